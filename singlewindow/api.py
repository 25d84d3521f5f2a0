"""API infrastructure: one error shape, and Idempotency-Key replay for writes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import DomainError
from .models import IdempotencyKey


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every API error answers ``{"errors": [{"pointer", "code", "message"}, ...]}``."""
    if isinstance(exc, DomainError):
        return Response(exc.as_response_data(), status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    errors: list[dict[str, str]] = []
    if isinstance(exc, exceptions.ValidationError):
        _flatten(detail, "", errors)
    else:
        code = getattr(exc, "default_code", "error")
        message = detail.get("detail", str(detail)) if isinstance(detail, dict) else str(detail)
        errors.append({"pointer": "", "code": str(code), "message": str(message)})
    response.data = {"errors": errors}
    return response


def _flatten(detail: Any, prefix: str, out: list[dict[str, str]]) -> None:
    """DRF's nested validation errors as a flat list with dotted, 1-based field paths."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            # list serializers report errors by 0-based position; paths are 1-based like item numbers
            name = "" if key == "non_field_errors" else str(key + 1 if isinstance(key, int) else key)
            _flatten(value, f"{prefix}.{name}".strip(".") if name else prefix, out)
    elif isinstance(detail, list):
        if all(isinstance(v, str) for v in detail):
            for message in detail:
                code = getattr(message, "code", "invalid")
                out.append({"pointer": prefix, "field": prefix, "code": str(code), "message": str(message)})
        else:
            for index, value in enumerate(detail, start=1):
                if value:
                    _flatten(value, f"{prefix}.{index}" if prefix else str(index), out)
    else:
        code = getattr(detail, "code", "invalid")
        out.append({"pointer": prefix, "field": prefix, "code": str(code), "message": str(detail)})


IDEMPOTENCY_HEADER = "Idempotency-Key"


def with_idempotency(request: Request, body: bytes, handler: Callable[[], Response]) -> Response:
    """Run ``handler`` once per (user, Idempotency-Key); a repeat replays the first answer.

    The same key with a different body is a client error (422), as the IETF draft advises.
    Answers are stored whatever their status, so a replayed rejection stays a rejection. ``body``
    is the request content as parsed (the stream is read once), fingerprinted to detect reuse.
    """
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    user = request.user
    if not key or not user.is_authenticated:
        return handler()
    if len(key) > 200:
        raise DomainError(
            "idempotency_key_too_long", _("The Idempotency-Key header is at most 200 characters.")
        )
    body_hash = hashlib.sha256(body).hexdigest()
    stored = IdempotencyKey.objects.filter(user=user, key=key).first()
    if stored is None:
        try:
            response = handler()
        except DomainError as exc:
            response = Response(exc.as_response_data(), status=exc.status)
        except exceptions.APIException as exc:
            handled = exception_handler(exc, {})
            assert handled is not None
            response = handled
        try:
            with transaction.atomic():
                IdempotencyKey.objects.create(
                    user=user,
                    key=key,
                    request_hash=body_hash,
                    status_code=response.status_code,
                    # stored as rendered, so the replay is byte-for-byte what the client first saw
                    response=json.loads(JSONRenderer().render(response.data)),
                )
        except IntegrityError:
            # A concurrent request with the same key finished first; answer as it did.
            stored = IdempotencyKey.objects.get(user=user, key=key)
        else:
            return response
    if stored.request_hash != body_hash:
        raise DomainError(
            "idempotency_key_reused",
            _("This Idempotency-Key was already used with a different request body."),
            status=status.HTTP_422_UNPROCESSABLE_ENTITY,
        )
    replay = Response(stored.response, status=stored.status_code)
    replay["Idempotent-Replayed"] = "true"
    return replay
