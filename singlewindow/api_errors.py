"""JSON errors for everything under /api/, even the ones DRF never sees.

DRF's exception handler (``singlewindow.api.exception_handler``) shapes the errors a view raises
knowingly. What escapes it (a bug: an unexpected exception in a view), and what Django answers
before or without a view (an unknown URL, a request body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``, a
CSRF failure), would otherwise be Django's HTML pages. An API client gets the same shape as any
other error: ``{"errors": [{"pointer": "", "code": ..., "message": ...}]}``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from django.core import signals
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import Resolver404
from django.utils.translation import gettext as _
from django.views import defaults

logger = logging.getLogger("django.request")

API_PREFIX = "/api/"
# What Django's own exception handling turns into a 400, 403 or 404 (django.core.handlers.exception).
CLIENT_ERRORS = (Http404, PermissionDenied, MultiPartParserError, BadRequest, SuspiciousOperation)


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def error_response(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"errors": [{"pointer": "", "code": code, "message": message}]}, status=status)


def server_error_response(reference: str = "") -> JsonResponse:
    if reference:
        message = _(
            "An unexpected error stopped this request; it has been logged under reference %(reference)s."
        ) % {"reference": reference}
    else:
        message = _("An unexpected error stopped this request; it has been logged.")
    return error_response(500, "server_error", message)


class ApiErrorMiddleware:
    """An exception escaping an API view answers JSON 500 (logged with a reference), never HTML.

    Last in ``MIDDLEWARE``, so it sees a view's exception first. Elsewhere in the site Django's
    own handling (``handler500``, the debug page) applies unchanged.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_api(request) or isinstance(exception, CLIENT_ERRORS):
            return None  # Django answers these 4xx itself, through the handlers below
        reference = uuid.uuid4().hex[:12]
        logger.error(
            "Internal Server Error: %s (reference %s)",
            request.path,
            reference,
            exc_info=(type(exception), exception, exception.__traceback__),
            extra={"status_code": 500, "request": request},
        )
        # What Django itself does for an unhandled exception: error reporters listen to this.
        signals.got_request_exception.send(sender=None, request=request)
        return server_error_response(reference)


# URLconf error handlers (singlewindow.urls): JSON under /api/, Django's pages elsewhere.


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        message = _("The request could not be read: %(error)s") % {
            "error": str(exception) or type(exception).__name__
        }
        return error_response(400, "bad_request", message)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        return error_response(403, "permission_denied", str(exception) or _("You may not do this."))
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        if isinstance(exception, Resolver404):
            message = _("There is no API endpoint at %(path)s.") % {"path": request.path}
        else:
            message = _("Not found.")
        return error_response(404, "not_found", message)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api(request):
        return server_error_response()
    return defaults.server_error(request)
