"""Where a delivery may go, and the one way a delivery leaves: a POST pinned to a checked address.

Shared by every push to a system outside the portal: agencies' webhooks (``agencies``) and the WCO
DMS responses to traders' own endpoints (``declarations.push``). Such a URL is typed by an
administrator or a trader, and the name in it is resolved by DNS that someone else controls:
without care, the single window could be made to post into its own network (the database,
Redis, a cloud metadata service). So:

- **When saved** (the admin forms, the trader's endpoint page): the URL must be ``https`` and its
  host must resolve only to public addresses (``destination_check``).
- **When sent** (``webhook_post``): the host is resolved once, *every* address is checked, and the
  connection goes to the first checked address (``PinnedAdapter``), with the ``Host`` header, TLS
  SNI and certificate verification still for the name in the URL. A name that resolves to a public
  address when checked and to 127.0.0.1 a moment later (DNS rebinding) cannot swap the address
  between the check and the connection. Redirects are not followed (a ``3xx`` is a failed
  delivery), proxies from the environment are not used, and at most ``EXCERPT_BYTES`` of the
  answer are read.

Refused addresses: private, loopback, link-local, multicast, reserved, unspecified and anything
else not globally routable, IPv4 and IPv6 alike (an IPv4-mapped IPv6 address is judged as the IPv4
address it carries). ``SW_WEBHOOK_ALLOW_PRIVATE`` (tests, closed networks) lets private addresses
through, ``SW_WEBHOOK_ALLOW_HTTP`` plain ``http``; both default to the embedded mode only.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.utils.translation import gettext as _
from requests.adapters import HTTPAdapter

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# What is kept of an endpoint's answer: enough to recognise an error page, never a whole body.
EXCERPT_CHARS = 200
EXCERPT_BYTES = 1024


class UnsafeDestination(Exception):
    """The URL or an address its host resolves to may not receive deliveries; the message says why."""


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str
    port: int
    addresses: tuple[IPAddress, ...]

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


@dataclass(frozen=True)
class Answer:
    """What an endpoint answered: the status code and a short excerpt of the body."""

    status_code: int
    excerpt: str


def address_problem(address: IPAddress) -> str:
    """Why deliveries may not go to ``address`` ("" when they may)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        elif address.sixtofour is not None or address.teredo is not None:
            # 6to4 (2002::/16) and Teredo (2001::/32) carry an IPv4 address a relay may reach
            # (2002:7f00:1:: is 127.0.0.1): no agency's system needs them.
            return str(_("a tunnelled IPv6 address (6to4 or Teredo)"))
        elif address.is_site_local:
            return str(_("a site-local address"))
    checks = (
        (address.is_unspecified, _("an unspecified address")),
        (address.is_loopback, _("a loopback address")),
        (address.is_link_local, _("a link-local address")),
        (address.is_multicast, _("a multicast address")),
        (address.is_reserved, _("a reserved address")),
        (address.is_private, _("a private address")),
        (not address.is_global, _("an address that is not publicly routable")),
    )
    return next((str(reason) for bad, reason in checks if bad), "")


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def url_check(url: str, *, allow_http: bool | None = None, allow_private: bool | None = None) -> Destination:
    """The URL's own shape: scheme, host, port, no credentials; an address literal is checked too.

    Returns the destination without addresses (nothing resolved). Raises ``UnsafeDestination``.
    """
    allow_http = settings.SW_WEBHOOK_ALLOW_HTTP if allow_http is None else allow_http
    allow_private = settings.SW_WEBHOOK_ALLOW_PRIVATE if allow_private is None else allow_private
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeDestination(_("The URL is not valid: %(error)s.") % {"error": exc}) from None
    scheme = parts.scheme.lower()
    schemes = ("https", "http") if allow_http else ("https",)
    if scheme not in schemes:
        raise UnsafeDestination(_("The endpoint must be an https:// URL."))
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeDestination(_("The URL has no host name."))
    if parts.username is not None or parts.password is not None:
        raise UnsafeDestination(_("Put no user name or password in the URL: deliveries are signed."))
    if not allow_private:
        literal = _literal(host)
        problem = address_problem(literal) if literal is not None else ""
        if literal is None and (host.lower() == "localhost" or host.lower().endswith(".localhost")):
            problem = _("a loopback address")
        if problem:
            raise UnsafeDestination(
                _("%(host)s is %(problem)s: deliveries go only to public addresses.")
                % {"host": host, "problem": problem}
            )
    default_port = 443 if scheme == "https" else 80
    return Destination(scheme=scheme, host=host, port=port or default_port, addresses=())


def destination_resolve(host: str, port: int) -> tuple[IPAddress, ...]:
    """Every address ``host`` resolves to, in the resolver's order (one lookup)."""
    literal = _literal(host)
    if literal is not None:
        return (literal,)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnsafeDestination(
            _("%(host)s does not resolve (%(error)s).") % {"host": host, "error": exc}
        ) from None
    found: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    if not found:
        raise UnsafeDestination(_("%(host)s does not resolve.") % {"host": host})
    return tuple(found)


def destination_check(
    url: str, *, allow_http: bool | None = None, allow_private: bool | None = None
) -> Destination:
    """The URL checked, its host resolved once and every address it resolves to checked.

    Raises ``UnsafeDestination`` naming the first refused address and why.
    """
    allow_private = settings.SW_WEBHOOK_ALLOW_PRIVATE if allow_private is None else allow_private
    destination = url_check(url, allow_http=allow_http, allow_private=allow_private)
    addresses = destination_resolve(destination.host, destination.port)
    if not allow_private:
        for address in addresses:
            problem = address_problem(address)
            if problem:
                raise UnsafeDestination(
                    _(
                        "%(host)s resolves to %(address)s, %(problem)s: "
                        "deliveries go only to public addresses."
                    )
                    % {"host": destination.host, "address": address, "problem": problem}
                )
    return Destination(
        scheme=destination.scheme, host=destination.host, port=destination.port, addresses=addresses
    )


def registration_check(url: str) -> None:
    """The check of an endpoint typed into a form (an agency's, a trader's): raises
    ``UnsafeDestination``. Where private addresses are allowed (embedded mode, tests, closed
    networks) there is nothing to learn from the addresses: the URL alone is checked."""
    if settings.SW_WEBHOOK_ALLOW_PRIVATE:
        url_check(url)
    else:
        destination_check(url)


class PinnedAdapter(HTTPAdapter):
    """Connects to one checked address whatever the URL's host resolves to by the time of sending.

    The pool is keyed by the address; TLS still sends the URL's host name as SNI and verifies the
    certificate against it (``server_hostname``, ``assert_hostname``).
    """

    def __init__(self, destination: Destination, **kwargs: Any) -> None:
        self.destination = destination
        super().__init__(max_retries=0, **kwargs)

    def build_connection_pool_key_attributes(  # type: ignore[override]
        self, request: requests.PreparedRequest, verify: Any, cert: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        built = super().build_connection_pool_key_attributes(request, verify, cert)
        host_params: dict[str, Any] = dict(built[0])
        pool_kwargs: dict[str, Any] = dict(built[1])
        if (host_params.get("host") or "").rstrip(".").lower() != self.destination.host.lower():
            raise UnsafeDestination(_("The request left its checked host."))
        host_params["host"] = str(self.destination.addresses[0])
        if host_params.get("scheme") == "https":
            pool_kwargs["server_hostname"] = self.destination.host
            pool_kwargs["assert_hostname"] = self.destination.host
        return host_params, pool_kwargs


def webhook_post(
    url: str,
    *,
    data: bytes,
    headers: dict[str, str],
    timeout: tuple[float, float],
    verify: bool | str = True,
) -> Answer:
    """POST ``data`` to ``url``, pinned to its checked address; the status and a body excerpt.

    Raises ``UnsafeDestination`` before connecting when the URL or any address is refused, and
    ``requests.RequestException`` for network errors and timeouts. ``verify`` is a CA bundle for
    tests; deliveries use the system's.
    """
    destination = destination_check(url)
    with requests.Session() as session:
        session.trust_env = False  # no proxy or .netrc from the environment: the address is ours
        adapter = PinnedAdapter(destination)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        response = session.post(
            url,
            data=data,
            headers={**headers, "Host": destination.host_header},
            timeout=timeout,
            allow_redirects=False,
            stream=True,
            verify=verify,
        )
        try:
            head = response.raw.read(EXCERPT_BYTES, decode_content=True) or b""
        except Exception:  # a broken body does not change the status received
            head = b""
        finally:
            response.close()
    return Answer(status_code=response.status_code, excerpt=excerpt(head.decode("utf-8", "replace")))


def excerpt(text: str) -> str:
    """At most ``EXCERPT_CHARS`` of ``text`` on one line (kept, and shown escaped, in the admin)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[: EXCERPT_CHARS - 1] + "…"
