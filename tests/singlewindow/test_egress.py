"""Where deliveries may go (singlewindow.egress): public https endpoints, the address pinned when sent.

Against a real local server: the tests make a made-up host name resolve to 127.0.0.1 (by
replacing ``socket.getaddrinfo``), so a request that arrives proves it went to the pinned address.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from singlewindow import egress
from singlewindow.egress import UnsafeDestination, address_problem, destination_check, url_check, webhook_post

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),  # the cloud metadata service
        ("0.0.0.0", "unspecified"),  # noqa: S104 - an address under test, not a binding
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "not publicly routable"),  # carrier-grade NAT
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "link-local"),
        ("fc00::1", "private"),
        ("ff02::1", "multicast"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped: judged as the IPv4 address
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:169.254.169.254", "link-local"),
        ("2002:7f00:1::", "tunnelled"),  # 6to4 around 127.0.0.1
        ("2002:a9fe:a9fe::", "tunnelled"),  # 6to4 around the metadata service
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "tunnelled"),  # Teredo
        ("fec0::1", "site-local"),
    ],
)
def test_non_public_addresses_are_refused_with_the_reason(address: str, problem: str):
    assert problem in address_problem(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_are_accepted(address: str):
    assert address_problem(ipaddress.ip_address(address)) == ""


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://agency.example.org/hook", "https://"),
        ("ftp://agency.example.org/hook", "https://"),
        ("https:///hook", "no host"),
        ("https://user:pw@agency.example.org/hook", "user name or password"),
        ("https://localhost/hook", "loopback"),
        ("https://api.localhost/hook", "loopback"),
        ("https://127.0.0.1/hook", "loopback"),
        ("https://[::1]:8443/hook", "loopback"),
        ("https://[::ffff:7f00:1]/hook", "loopback"),
        ("https://10.0.0.5/hook", "private"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://agency.example.org:99999/hook", "not valid"),
    ],
)
def test_url_check_refuses_plain_http_credentials_and_non_public_hosts(url: str, message: str):
    with pytest.raises(UnsafeDestination, match=message):
        url_check(url, allow_http=False, allow_private=False)


def test_production_settings_refuse_plain_http_and_private_addresses_by_default():
    """Outside the embedded mode both switches are off unless set explicitly."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SW_", "DJANGO_"))}
    env.update(DEBUG="false", SECRET_KEY="x" * 50, DJANGO_SETTINGS_MODULE="singlewindow.settings")
    script = (
        "from django.conf import settings as s; "
        "print(s.SW_EMBEDDED, s.SW_WEBHOOK_ALLOW_PRIVATE, s.SW_WEBHOOK_ALLOW_HTTP)"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False", "False", "False"]


# Resolving ----------------------------------------------------------------------------------


REAL_GETADDRINFO = socket.getaddrinfo


class Resolver:
    """Stands in for DNS for made-up names (``*.example.*``): each lookup answers the next list of
    addresses (the last one repeats). Address literals resolve as usual."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.calls: list[str] = []

    def __call__(self, host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if ".example." not in str(host):
            return REAL_GETADDRINFO(host, port, *args, **kwargs)
        self.calls.append(host)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return [
            (
                socket.AF_INET6 if ":" in a else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (a, int(port or 0), 0, 0) if ":" in a else (a, int(port or 0)),
            )
            for a in answer
        ]


def test_every_resolved_address_is_checked_not_only_the_first(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", Resolver(["93.184.215.14", "10.0.0.7"]))
    with pytest.raises(UnsafeDestination, match=r"resolves to 10\.0\.0\.7, a private address"):
        destination_check("https://agency.example.org/hook", allow_private=False)


def test_a_name_that_does_not_resolve_is_refused_clearly(monkeypatch):
    def nothing(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", nothing)
    with pytest.raises(UnsafeDestination, match="agency.example.org does not resolve"):
        destination_check("https://agency.example.org/hook", allow_private=False)


# Sending, to a real local server ------------------------------------------------------------


class Server:
    """A local HTTP(S) server; ``answer`` sets the status, headers and body of every reply."""

    def __init__(self, context: ssl.SSLContext | None = None) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self.headers: dict[str, str] = {}
        self.body = b""
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                server.requests.append(
                    {"path": self.path, "headers": dict(self.headers.items()), "body": body}
                )
                self.send_response(server.status)
                for name, value in server.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(server.body)))
                self.end_headers()
                self.wfile.write(server.body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if context is not None:
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.close()


@pytest.fixture
def local_allowed(settings: Any) -> None:
    settings.SW_WEBHOOK_ALLOW_PRIVATE = True
    settings.SW_WEBHOOK_ALLOW_HTTP = True


TIMEOUT = (2.0, 5.0)


def test_the_connection_goes_to_the_address_checked_even_if_the_name_then_resolves_elsewhere(
    server: Server, local_allowed: None, monkeypatch
):
    """DNS rebinding: the first answer is checked and used; a second lookup would say 10.255.255.1."""
    resolver = Resolver(["127.0.0.1"], ["10.255.255.1"])
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    answer = webhook_post(
        f"http://agency.example.test:{server.port}/hook", data=b"{}", headers={"X-Test": "1"}, timeout=TIMEOUT
    )
    assert answer.status_code == 200
    (received,) = server.requests
    assert received["headers"]["Host"] == f"agency.example.test:{server.port}"
    assert received["headers"]["X-Test"] == "1"
    assert resolver.calls == ["agency.example.test"]  # resolved once


def test_loopback_is_refused_at_send_time_by_default(server: Server, settings: Any, monkeypatch):
    settings.SW_WEBHOOK_ALLOW_PRIVATE = False
    settings.SW_WEBHOOK_ALLOW_HTTP = True
    monkeypatch.setattr(socket, "getaddrinfo", Resolver(["127.0.0.1"]))
    for url in (f"http://agency.example.test:{server.port}/", f"http://127.0.0.1:{server.port}/"):
        with pytest.raises(UnsafeDestination, match="loopback"):
            webhook_post(url, data=b"{}", headers={}, timeout=TIMEOUT)
    assert server.requests == []


def test_a_redirect_is_not_followed(server: Server, local_allowed: None):
    server.status = 307
    server.headers = {"Location": f"http://127.0.0.1:{server.port}/internal"}
    answer = webhook_post(f"http://127.0.0.1:{server.port}/hook", data=b"{}", headers={}, timeout=TIMEOUT)
    assert answer.status_code == 307
    assert [r["path"] for r in server.requests] == ["/hook"]


def test_only_a_short_excerpt_of_the_answer_is_kept(server: Server, local_allowed: None):
    server.status = 500
    server.body = b"<html><script>alert(1)</script>" + b"x" * 1_000_000
    answer = webhook_post(f"http://127.0.0.1:{server.port}/hook", data=b"{}", headers={}, timeout=TIMEOUT)
    assert answer.status_code == 500
    assert len(answer.excerpt) <= egress.EXCERPT_CHARS
    assert answer.excerpt.startswith("<html><script>alert(1)</script>xxx")


def _certificate(tmp_path: Path, name: str) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs openssl to make a test certificate")
    cert, key = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            f"/CN={name}",
            "-addext",
            f"subjectAltName=DNS:{name}",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[Server, Path]]:
    cert, key = _certificate(tmp_path, "agency.example.test")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    s = Server(context)
    yield s, cert
    s.close()


def test_https_is_pinned_to_the_address_and_verified_for_the_name(
    tls_server: tuple[Server, Path], settings: Any, monkeypatch
):
    server, cert = tls_server
    settings.SW_WEBHOOK_ALLOW_PRIVATE = True
    settings.SW_WEBHOOK_ALLOW_HTTP = False
    monkeypatch.setattr(socket, "getaddrinfo", Resolver(["127.0.0.1"]))
    answer = webhook_post(
        f"https://agency.example.test:{server.port}/hook",
        data=b"{}",
        headers={},
        timeout=TIMEOUT,
        verify=str(cert),
    )
    assert answer.status_code == 200
    assert server.requests[0]["headers"]["Host"] == f"agency.example.test:{server.port}"


def test_https_to_a_name_the_certificate_does_not_cover_fails(
    tls_server: tuple[Server, Path], settings: Any, monkeypatch
):
    server, cert = tls_server
    settings.SW_WEBHOOK_ALLOW_PRIVATE = True
    monkeypatch.setattr(socket, "getaddrinfo", Resolver(["127.0.0.1"]))
    with pytest.raises(requests.exceptions.SSLError):
        webhook_post(
            f"https://other.example.test:{server.port}/hook",
            data=b"{}",
            headers={},
            timeout=TIMEOUT,
            verify=str(cert),
        )
    assert server.requests == []
