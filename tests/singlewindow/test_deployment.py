"""The shipped deployment files: no demo superuser, production defaults, supervised long runs."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SYSTEMD = ROOT / "docs" / "systemd"
UNITS = sorted(path.name for path in SYSTEMD.glob("*.service"))


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_creates_no_demo_data():
    services = compose()["services"]
    assert "seed_demo" not in (ROOT / "docker-compose.yml").read_text()
    assert services["migrate"]["command"] == ["python", "manage.py", "migrate", "--noinput"]


def test_compose_restarts_every_long_running_service_and_runs_migrate_once():
    services = compose()["services"]
    assert services.pop("migrate")["restart"] == "no"
    assert {name: service.get("restart") for name, service in services.items()} == {
        name: "unless-stopped" for name in services
    }


def test_compose_defaults_to_https_behind_a_proxy_and_serves_on_the_loopback():
    services = compose()["services"]
    env = services["web"]["environment"]
    assert env["DEBUG"] == "false" and env["SW_EMBEDDED"] == "false"
    for name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
        assert env[name] == f"${{{name}:-true}}", name  # on unless the plain-http trial says otherwise
    assert services["web"]["ports"] == ["127.0.0.1:8000:8000"]


def test_docker_image_defaults_to_debug_off_and_collects_static_without_debug():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^ENV .*\bDEBUG=false SW_EMBEDDED=false\b", dockerfile, re.MULTILINE)
    collect = next(
        line for line in dockerfile.splitlines() if "collectstatic" in line and line.startswith("RUN")
    )
    assert "DEBUG=true" not in collect and "SECRET_KEY=" in collect


def unit(name: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    parser.read(SYSTEMD / name)
    return parser


def test_systemd_units_cover_every_long_running_process():
    assert set(UNITS) >= {
        "singlewindow-web.service",
        "singlewindow-worker.service",
        "singlewindow-deliveries.service",
        "singlewindow-beat.service",
    }


@pytest.mark.parametrize("name", UNITS)
def test_systemd_unit_restarts_runs_unprivileged_and_reads_the_production_environment(name):
    service = unit(name)["Service"]
    assert service["Restart"] in ("always", "on-failure")
    assert int(service["RestartSec"]) > 0
    assert service["User"] == "singlewindow"
    assert service["EnvironmentFile"] == "/etc/singlewindow/singlewindow.env"
    assert service["Environment"] == "SECRET_KEY_FILE=%d/secret_key"
    assert service["LoadCredential"] == "secret_key:/etc/singlewindow/secret_key"
    assert service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] == "strict"
    assert service["CapabilityBoundingSet"] == ""
    assert unit(name)["Install"]["WantedBy"] == "multi-user.target"


@pytest.mark.parametrize("name", UNITS)
def test_systemd_unit_parses_without_unknown_or_bad_settings(name):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("needs systemd-analyze")
    result = subprocess.run([analyze, "verify", str(SYSTEMD / name)], capture_output=True, text=True)
    # The programs live on the production host only; anything else systemd says is a mistake.
    complaints = [
        line for line in (result.stdout + result.stderr).splitlines() if "is not executable" not in line
    ]
    assert complaints == []
