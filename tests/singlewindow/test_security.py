"""Safe by default outside the embedded mode: https only, no debug page, a strict CSP on every page.

The production settings are exercised in a fresh process with the environment docs/operations.md
documents (docs/systemd/singlewindow.env plus a secret key file), because the settings module reads
the environment once, at import; pytest's own process runs on the embedded defaults.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
ENV_FILE = ROOT / "docs" / "systemd" / "singlewindow.env"
HOST = "singlewindow.example.gov"


def documented_production_env(tmp_path: Path) -> dict[str, str]:
    """The variables of the documented environment file, the secret key handed over as a file."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "SW_SHARED_DATA_DIR": str(settings.SHARED_DATA_DIR),
    }
    for line in ENV_FILE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            env[name] = value
    key = tmp_path / "secret_key"
    key.write_text(secrets.token_urlsafe(50))
    env["SECRET_KEY_FILE"] = str(key)
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_documented_production_environment_turns_debug_off_and_names_the_public_host(tmp_path):
    env = documented_production_env(tmp_path)
    assert env["DEBUG"] == "false" and env["SW_EMBEDDED"] == "false"
    assert env["ALLOWED_HOSTS"] == HOST
    assert env["CSRF_TRUSTED_ORIGINS"] == f"https://{HOST}"
    assert "SECRET_KEY" not in env  # handed over as a credential, never in the shared file


def test_check_deploy_is_clean_with_the_documented_production_settings(tmp_path):
    result = manage(documented_production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_warns_when_https_is_turned_off(tmp_path):
    """The clean check above is not vacuous: the same check fails on a plain-http configuration."""
    env = documented_production_env(tmp_path) | {
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
    }

    result = manage(env, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode != 0
    assert "security.W008" in result.stderr and "security.W012" in result.stderr


@pytest.mark.parametrize(
    "switch", ["SW_EMBEDDED", "SW_WEBHOOK_ALLOW_PRIVATE", "SW_WEBHOOK_ALLOW_HTTP", "SW_AUTO_DECIDE_ALLOWED"]
)
def test_check_deploy_names_an_embedded_mode_switch_left_on(tmp_path, switch):
    result = manage(documented_production_env(tmp_path) | {switch: "true"}, "check", "--deploy")

    assert "accounts.W002" in result.stderr and f"{switch} is on" in result.stderr


PROBE = """
import json
import django
django.setup()
from django.test import Client, override_settings

# Headers, not static files: the hashed names of the production storage exist only after
# collectstatic (the image runs it at build time), so this probe serves the plain names.
override_settings(STORAGES={{
    "default": {{"BACKEND": "django.core.files.storage.FileSystemStorage"}},
    "staticfiles": {{"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}},
}}).enable()

client = Client()
plain = client.get("/login/", HTTP_HOST="{host}")
tls = client.get("/login/", HTTP_HOST="{host}", HTTP_X_FORWARDED_PROTO="https")
missing = client.get("/no-such-page/", HTTP_HOST="{host}", HTTP_X_FORWARDED_PROTO="https")
print(json.dumps({{
    "plain": [plain.status_code, plain.headers.get("Location", "")],
    "tls": [tls.status_code, dict(tls.headers)],
    "csrf_cookie_secure": tls.cookies["csrftoken"]["secure"],
    "csrf_cookie_httponly": tls.cookies["csrftoken"]["httponly"],
    "missing": [missing.status_code, missing.content.decode()],
}}))
"""


def test_production_redirects_plain_http_and_answers_https_with_hsts_and_secure_cookies(tmp_path):
    env = documented_production_env(tmp_path) | {"DJANGO_SETTINGS_MODULE": "singlewindow.settings"}

    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(host=HOST)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["plain"] == [301, f"https://{HOST}/login/"]
    status, headers = seen["tls"]
    assert status == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert seen["csrf_cookie_secure"] is True and seen["csrf_cookie_httponly"] is True
    # No debug page: a missing page is the portal's own 404, with no settings or traceback.
    missing_status, missing_page = seen["missing"]
    assert missing_status == 404
    assert "Page not found" in missing_page and "URLconf" not in missing_page and "DEBUG" not in missing_page


def test_debug_is_refused_outside_the_embedded_mode(tmp_path):
    env = documented_production_env(tmp_path) | {"DEBUG": "true"}

    result = manage(env, "check")

    assert result.returncode != 0
    assert "DEBUG=true is for the embedded mode only" in result.stderr


def test_production_without_a_secret_key_refuses_to_start(tmp_path):
    env = documented_production_env(tmp_path)
    del env["SECRET_KEY_FILE"]

    result = manage(env, "check")

    assert result.returncode != 0
    assert "SECRET_KEY (or SECRET_KEY_FILE) must be set" in result.stderr


def test_the_embedded_default_runs_migrates_and_seeds_with_no_variables(tmp_path):
    """`make run` sets nothing: DEBUG and the embedded mode on, the development key, SQLite."""
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    shown = manage(
        env,
        "shell",
        "-c",
        "from django.conf import settings as s; "
        "print(s.DEBUG, s.SW_EMBEDDED, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, "
        "s.SECURE_HSTS_SECONDS, s.DATABASES['default']['ENGINE'])",
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[-1].split() == [
        "True",
        "True",
        "False",
        "False",
        "0",
        "django.db.backends.sqlite3",
    ]

    # The same steps as `make run`, on a SQLite file of this test's own instead of ./db.sqlite3.
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    migrated = manage(env, "migrate", "--noinput")
    assert migrated.returncode == 0, migrated.stderr
    seeded = manage(env, "seed_demo")
    assert seeded.returncode == 0, seeded.stderr
    assert "admin" in seeded.stdout and "WARNING" not in seeded.stderr


def test_html_pages_carry_the_strict_content_security_policy(client):
    response = client.get("/login/")

    directives = dict(d.strip().split(" ", 1) for d in response["Content-Security-Policy"].split(";"))
    assert directives == {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data:",
        "font-src": "'self'",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "frame-ancestors": "'none'",
        "form-action": "'self'",
    }


def test_the_api_reference_alone_admits_redoc_styles_by_hash_and_its_search_worker(client):
    docs = client.get("/api/docs/")["Content-Security-Policy"]
    sign_in = client.get("/login/")["Content-Security-Policy"]

    assert "style-src 'self' 'sha256-" in docs and "worker-src 'self' blob:" in docs
    assert "unsafe-inline" not in docs and "unsafe-eval" not in docs
    assert "script-src 'self';" in docs + ";"
    assert "sha256-" not in sign_in and "worker-src" not in sign_in


def test_the_embedded_mode_sends_no_hsts_and_does_not_redirect(client):
    response = client.get("/login/")

    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response
