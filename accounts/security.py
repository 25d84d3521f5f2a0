"""Who is signing in from where, and what a locked-out sign-in is told (django-axes hooks)."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def client_ip(request: HttpRequest) -> str:
    """The client's address, trusting X-Forwarded-For only as far as our own proxies wrote it.

    With ``SW_TRUSTED_PROXY_COUNT = 0`` the header is ignored: anyone can send it, so trusting it
    would let a guesser start a fresh count with every request. With N proxies, the N-th address
    from the right is the one our outermost proxy saw (the same rule as DRF's ``NUM_PROXIES``, so
    the lockout and the API throttles agree on who a client is).
    """
    remote = str(request.META.get("REMOTE_ADDR", ""))
    proxies = settings.SW_TRUSTED_PROXY_COUNT
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
    if proxies <= 0 or not forwarded:
        return remote
    addresses = [address.strip() for address in forwarded.split(",") if address.strip()]
    if not addresses:
        return remote
    chosen = addresses[-min(proxies, len(addresses))]
    try:
        return str(ipaddress.ip_address(chosen))
    except ValueError:  # not an address (a proxy misconfigured, or none there): the connection's
        return remote


def lockout_address(request: HttpRequest) -> str:
    """The address sign-in failures are counted against: the client's, an IPv6 client by its /64.

    One IPv6 host commonly holds a whole /64 and can pick a fresh address for every try; counting
    by the network keeps the lockout meaningful. The network's first address stands for it (axes
    stores an address, not a prefix).
    """
    address = client_ip(request)
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is None:
        return str(ipaddress.IPv6Network((parsed, 64), strict=False).network_address)
    return address


# No username is longer (User.username); the lockout's own column holds 255 characters.
USERNAME_MAX_LENGTH = 150


def client_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str | None:
    """The username a sign-in tried, cut to what a username can be: Django's sign-in forms pass any
    length on to ``authenticate``, and a longer one must be a wrong one, not a failed insert (500)."""
    field = getattr(settings, "AXES_USERNAME_FORM_FIELD", "username")  # axes sets its defaults at import
    source = credentials or getattr(request, "data", request.POST)
    username = source.get(field)
    return None if username is None else str(username)[:USERNAME_MAX_LENGTH]


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return _(
        "Too many failed sign-in attempts for this username from your network. "
        "Try again in %(minutes)d minutes, or reset your password."
    ) % {"minutes": minutes}


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """429 for a locked-out sign-in: the API's error shape under /api/, the lockout page elsewhere."""
    retry_after = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"errors": [{"pointer": "", "code": "locked_out", "message": lockout_message()}]}, status=429
        )
    else:
        response = render(request, "accounts/locked_out.html", {"message": lockout_message()}, status=429)
    response["Retry-After"] = retry_after
    return response
