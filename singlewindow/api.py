"""API infrastructure: one error shape, and Idempotency-Key replay for writes."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from django.db import Error as DatabaseFault
from django.db import IntegrityError, connection, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import DomainError
from .models import IdempotencyKey

logger = logging.getLogger(__name__)


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


def validation_errors(detail: Any) -> list[dict[str, str]]:
    """A serializer's (nested) errors as the API's flat list, each with its dotted, 1-based path."""
    errors: list[dict[str, str]] = []
    _flatten(detail, "", errors)
    return errors


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
# How long a repeat waits for the first request with its key to finish before it is told to retry.
IDEMPOTENCY_WAIT_SECONDS = 3.0
# A reservation this old belongs to a request whose process died: the key is free again.
IDEMPOTENCY_ABANDONED_AFTER = timedelta(minutes=5)


def request_fingerprint(request: Request) -> bytes:
    """What ``with_idempotency`` compares between two uses of one key, for a request whose body is
    parsed data: the path (one key on two resources is two different requests) and the data as
    canonical JSON (the order of fields and the client's spacing do not count)."""
    return request.path.encode() + json.dumps(request.data, sort_keys=True, default=str).encode()


def with_idempotency(request: Request, body: bytes, handler: Callable[[], Response]) -> Response:
    """Run ``handler`` once per (user, Idempotency-Key); a repeat replays the first answer.

    The key is reserved first, in its own committed transaction, so that of two requests with the
    same key at the same moment only one runs the handler: the other waits for its answer (up to
    ``IDEMPOTENCY_WAIT_SECONDS``) and replays it, or is told to retry (409
    ``idempotency_in_progress`` with ``Retry-After``). The same key with a different body is a
    client error (422), as the IETF draft advises. Answers are stored whatever their status, so a
    replayed rejection stays a rejection; a handler failing with an unexpected error stores
    nothing and frees the key. ``body`` is the request content as parsed (the stream is read
    once), fingerprinted to detect reuse.
    """
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    user = request.user
    if not key or not user.is_authenticated:
        return handler()
    if len(key) > 200:
        raise DomainError(
            "idempotency_key_too_long", _("The Idempotency-Key header is at most 200 characters.")
        )
    if not key.isascii() or not key.isprintable():
        raise DomainError(
            "idempotency_key_invalid",
            _("The Idempotency-Key header holds printable ASCII characters only."),
        )
    body_hash = hashlib.sha256(body).hexdigest()
    reservation = _idempotency_reserve(user=user, key=key, body_hash=body_hash)
    if reservation is None:
        return _idempotency_replay(user=user, key=key, body_hash=body_hash)
    try:
        try:
            response = handler()
        except DomainError as exc:
            response = Response(exc.as_response_data(), status=exc.status)
        except exceptions.APIException as exc:
            handled = exception_handler(exc, {})
            assert handled is not None
            response = handled
        # stored as rendered, so the replay is byte-for-byte what the client first saw
        stored = json.loads(JSONRenderer().render(response.data))
    except BaseException:
        # Nothing to replay: the next request with this key runs the handler again.
        IdempotencyKey.objects.filter(pk=reservation.pk, status_code__isnull=True).delete()
        raise
    try:
        _retried_once(
            lambda: IdempotencyKey.objects.filter(pk=reservation.pk).update(
                status_code=response.status_code, response=stored
            )
        )
    except DatabaseFault:
        # The write is done and this is its answer; a repeat meanwhile is told to retry until the
        # reservation is taken for abandoned, then runs and is answered by the domain (same LRN).
        logger.warning("idempotency: could not store the answer for key %r", key, exc_info=True)
    return response


T = TypeVar("T")


def _retried_once(read: Callable[[], T]) -> T:
    """``read()``, and once more on a fresh connection if the database connection failed.

    Only outside a transaction: after commit, a connection the server dropped (a restart, a
    terminated backend) is replaced rather than turning a recorded change into an error.
    """
    try:
        return read()
    except DatabaseFault:
        if connection.in_atomic_block:
            raise
        logger.warning("database error after commit; retrying on a new connection", exc_info=True)
        connection.close()
        return read()


def answer_after_commit(build: Callable[[], Response], fallback: Callable[[], Response]) -> Response:
    """The answer to a write that is committed: never an error because reading it back failed.

    ``build`` reads the full answer (retried once on a new connection); if the database still
    fails, ``fallback`` answers from what the write returned in memory (the MRN, the decision).
    """
    try:
        return _retried_once(build)
    except DatabaseFault:
        logger.error("could not read back a committed write; answering from memory", exc_info=True)
        return fallback()


def _idempotency_reserve(*, user: Any, key: str, body_hash: str) -> IdempotencyKey | None:
    """Insert the key as in progress and commit; None when another request holds or answered it."""
    abandoned = timezone.now() - IDEMPOTENCY_ABANDONED_AFTER
    IdempotencyKey.objects.filter(
        user=user, key=key, status_code__isnull=True, created_at__lt=abandoned
    ).delete()
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(user=user, key=key, request_hash=body_hash)
    except IntegrityError:
        return None


def _idempotency_replay(*, user: Any, key: str, body_hash: str) -> Response:
    """The stored answer to the first request with this key, once it has one."""
    deadline = time.monotonic() + IDEMPOTENCY_WAIT_SECONDS
    while True:
        stored = IdempotencyKey.objects.filter(user=user, key=key).first()
        if stored is None:
            # The first request failed and freed the key in between: this one may try again.
            return _in_progress()
        if stored.request_hash != body_hash:
            raise DomainError(
                "idempotency_key_reused",
                _("This Idempotency-Key was already used with a different request body."),
                status=status.HTTP_422_UNPROCESSABLE_ENTITY,
            )
        if stored.status_code is not None:
            replay = Response(stored.response, status=stored.status_code)
            replay["Idempotent-Replayed"] = "true"
            return replay
        if time.monotonic() >= deadline:
            return _in_progress()
        time.sleep(0.05)


def _in_progress() -> Response:
    """409 ``idempotency_in_progress``: not stored, so the retry it asks for gets the real answer."""
    error = DomainError(
        "idempotency_in_progress",
        _("A request with this Idempotency-Key is still being processed; retry in a moment."),
    )
    response = Response(error.as_response_data(), status=status.HTTP_409_CONFLICT)
    response["Retry-After"] = "1"
    return response
