"""The API's JSON parser: bounded in size and nesting, every refusal a 400 (or 413) in the one error shape.

Python's ``json`` recurses once per ``[`` or ``{``: 100,000 of them raise ``RecursionError``, which
DRF's own parser lets through as a 500. This one refuses bodies over ``SW_MAX_JSON_BYTES`` before
reading further, documents nested deeper than ``SW_MAX_JSON_DEPTH``, non-UTF-8 bytes, ``NaN`` and
``Infinity`` (not JSON), and numbers too long to convert.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import parsers

from .errors import DomainError


class BodyTooLarge(DomainError):
    status = 413


def read_capped(stream: Any, cap: int) -> bytes:
    """At most ``cap`` bytes of the body; a larger body is refused before any parsing."""
    body = stream.read(cap + 1) if stream is not None else b""
    if len(body) > cap:
        raise BodyTooLarge(
            "too_large", _("The request body is larger than the limit of %(cap)s bytes.") % {"cap": cap}
        )
    return body


def _not_json(message: str) -> DomainError:
    return DomainError("not_json", _("The body is not valid JSON: %(error)s") % {"error": message})


def _reject_constant(name: str) -> Any:
    raise ValueError(_("%(constant)s is not a JSON number") % {"constant": name})


def json_depth(value: Any) -> int:
    """How deeply arrays and objects nest in ``value`` (a scalar is 0); iterative, so never recurses."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        stack.extend((child, depth) for child in children)
    return deepest


def json_load(body: bytes, *, max_depth: int) -> Any:
    """Parse ``body`` as strict JSON no deeper than ``max_depth``; ``DomainError`` (400) otherwise."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _not_json(_("it is not UTF-8 (byte %(position)s).") % {"position": exc.start}) from None
    too_deep = DomainError(
        "too_deep",
        _("The JSON body nests arrays and objects more than %(depth)s levels deep.") % {"depth": max_depth},
    )
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise too_deep from None
    except ValueError as exc:  # JSONDecodeError, NaN/Infinity, integers past int_max_str_digits
        raise _not_json(str(exc)) from None
    if json_depth(value) > max_depth:
        raise too_deep
    return value


class BoundedJSONParser(parsers.JSONParser):
    """DRF's JSON parser with the size and depth bounds above (``REST_FRAMEWORK`` uses it everywhere)."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        body = read_capped(stream, settings.SW_MAX_JSON_BYTES)
        return json_load(body, max_depth=settings.SW_MAX_JSON_DEPTH)
