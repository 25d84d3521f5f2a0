"""The one domain error type; every app raises it (or a subclass) with a code and a message."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A request the domain refuses. ``code`` is for machines, ``message`` for people.

    ``status`` is the HTTP status the API answers with; ``errors`` optionally lists the individual
    problems (each a dict with ``pointer``, ``code``, ``message``).
    """

    status = 400

    def __init__(
        self,
        code: str,
        message: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.errors = errors if errors is not None else [{"pointer": "", "code": code, "message": message}]
        # Further keys of the answer beside ``errors`` (a rejected lodgement's DMS response).
        self.extra: dict[str, Any] = {}
        if status is not None:
            self.status = status

    def as_response_data(self) -> dict[str, Any]:
        return {"errors": self.errors, **self.extra}


class NotFound(DomainError):
    """Missing and not-yours are the same answer."""

    status = 404

    def __init__(self, message: str = "Not found.") -> None:
        super().__init__("not_found", message)


class Conflict(DomainError):
    status = 409
