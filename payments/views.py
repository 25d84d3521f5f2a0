"""Payments' pages: the provider callback, the trader's payment pages and the cashier's desk."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from singlewindow.errors import DomainError

from . import payments
from .providers import provider_by_code

# A callback larger than this is no callback (TestPay's are ~300 bytes; gateways' a few KB).
CALLBACK_MAX_BYTES = 64 * 1024


@csrf_exempt  # the provider posts from its servers: the HMAC signature is the proof, not a cookie
@require_POST
def provider_callback(request: HttpRequest, code: str) -> HttpResponse:
    """A payment provider's signed callback: settle or decline the payment it is about, once."""
    provider = provider_by_code(code) if len(code) <= 30 else None
    if provider is None:
        raise Http404
    if int(request.headers.get("Content-Length") or 0) > CALLBACK_MAX_BYTES:
        return JsonResponse({"errors": [{"code": "callback_too_large"}]}, status=413)
    body = request.body
    try:
        result = payments.provider_callback_receive(provider=provider, body=body, headers=request.headers)
    except DomainError as exc:
        return JsonResponse(exc.as_response_data(), status=exc.status)
    return JsonResponse({"outcome": result.outcome})
