"""The OpenAPI schema's error answers, added where every operation of a kind can give them.

Views document what is particular to them (a 409 on a claim, a 413 on an upload). What follows
from the API's machinery is added here for every operation it applies to, so the schema never
lags behind the code (the fuzzing test in tests/singlewindow checks every answer against it):

- 401 for operations that need a signed-in user (no token, a wrong one);
- 400 and 413 for operations with a body (``singlewindow.parsers``: not JSON, nested too deeply,
  too large);
- 400 (a filter that cannot apply) and 404 (a page past the end) for paginated lists;
- 404 for operations on one object (missing and not-yours are the same answer);
- 422 for operations that honour ``Idempotency-Key`` (the key reused with another body).
"""

from __future__ import annotations

from typing import Any

ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}

DESCRIPTIONS = {
    "400": "Refused: the body or a parameter is invalid (each problem listed in `errors`).",
    "401": "Not signed in: no token, or a token that is not valid.",
    "404": "Not found, or not yours: the same answer.",
    "413": "The body is larger than the configured limit.",
    "422": "This Idempotency-Key was already used with a different request.",
}


def _add(operation: dict[str, Any], status: str) -> None:
    responses = operation.setdefault("responses", {})
    if status not in responses:
        responses[status] = {
            "content": {"application/json": {"schema": ERROR_REF}},
            "description": DESCRIPTIONS[status],
        }


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook (``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``)."""
    for path, methods in result.get("paths", {}).items():
        for operation in methods.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            parameters = operation.get("parameters", [])
            names = {(p.get("in"), p.get("name")) for p in parameters}
            if operation.get("security", [{}]) != [{}]:
                _add(operation, "401")
            if "requestBody" in operation:
                _add(operation, "400")
                _add(operation, "413")
            if ("query", "page") in names:
                _add(operation, "400")
                _add(operation, "404")
            if "{" in path:
                _add(operation, "404")
            if ("header", "Idempotency-Key") in names:
                _add(operation, "422")
    return result
