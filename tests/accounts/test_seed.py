"""seed_demo: the contract other tools rely on, and every sample's parties being registered."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command
from django.http import HttpRequest
from lxml import etree

from accounts.access import accounts_actable
from accounts.models import Role, TraderAccount, User

from ..conftest import SAMPLES

pytestmark = pytest.mark.django_db
NS = "{urn:wco:datamodel:WCO:DEC-DMS:2}"


def seed_json(capsys) -> list[dict[str, str]]:
    call_command("seed_demo", "--json")
    return json.loads(capsys.readouterr().out)


def test_seed_demo_json_lists_a_user_for_every_role_with_account_or_agency(capsys):
    users = seed_json(capsys)
    assert {u["role"] for u in users} == {r.value for r in Role}
    for user in users:
        assert set(user) >= {"username", "password", "role"}
        if user["role"] in ("trader", "broker"):
            assert TraderAccount.objects.filter(eori=user["account"]).exists()
        if user["role"] == "officer":
            assert user["agency"]


def test_seed_demo_passwords_sign_in(client, capsys):
    for user in seed_json(capsys):
        # the sign-in lockout (django-axes) needs the request the credentials came with
        signed_in = client.login(request=HttpRequest(), username=user["username"], password=user["password"])
        assert signed_in, user["username"]
        client.logout()


def test_seed_demo_is_idempotent(capsys):
    first = seed_json(capsys)
    second = seed_json(capsys)
    assert first == second
    assert User.objects.filter(username="broker").count() == 1


def test_seed_demo_creates_the_four_agencies_the_issue_names(capsys):
    from agencies.models import Agency

    seed_json(capsys)
    assert {"customs", "plant-health", "food-safety", "standards"} <= set(
        Agency.objects.values_list("code", flat=True)
    )
    assert Agency.objects.get(is_customs=True).code == "customs"


def test_demo_broker_may_act_for_every_declarant_importer_and_exporter_in_the_samples(capsys):
    seed_json(capsys)
    broker = User.objects.get(username="broker")
    actable = set(accounts_actable(broker).values_list("eori", flat=True))
    # The hmrc-tt1 files carry a placeholder (INSERTEORI) for the tester's own EORI, not a real one.
    files = [*SAMPLES.glob("imports/*.xml"), *SAMPLES.glob("exports/*.xml")]
    needed = set()
    for path in files:
        root = etree.parse(str(path))
        for role in ("Declarant", "Importer", "Exporter"):
            needed |= {e.text.strip() for e in root.iter(f"{NS}{role}") for e in e.findall(f"{NS}ID")}
    assert len(files) == 42
    assert needed - actable == set()


def test_seed_demo_refuses_outside_the_embedded_mode_and_creates_no_one(settings, capsys):
    settings.SW_EMBEDDED = False

    with pytest.raises(CommandError, match="only created in the embedded mode"):
        call_command("seed_demo")

    assert not User.objects.exists()


def test_seed_demo_forced_outside_the_embedded_mode_warns_loudly_and_seeds(settings, capsys):
    settings.SW_EMBEDDED = False

    call_command("seed_demo", "--json", "--force-outside-embedded")

    out, err = capsys.readouterr()
    assert "PUBLISHED passwords" in err and "superuser 'admin'" in err
    assert {u["username"] for u in json.loads(out)} >= {"admin", "broker"}
    assert User.objects.get(username="admin").is_superuser


def test_seed_demo_in_the_embedded_mode_prints_no_warning(settings, capsys):
    settings.SW_EMBEDDED = True

    call_command("seed_demo")

    assert "WARNING" not in capsys.readouterr().err
