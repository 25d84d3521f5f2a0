"""Who was given or lost access, who signed in (or failed to), and what administrators changed:
each leaves an audit event with the actor and the values before and after, never a secret."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.access import (
    account_add_member,
    account_authorise_representative,
    account_remove_member,
    account_revoke_representative,
    user_set_role,
)
from accounts.models import PERM_MEMBER, Role, TraderAccount, User
from agencies.access import agency_add_officer, agency_remove_officer, is_officer_of
from agencies.models import Agency, RoutingRule
from singlewindow.admin import AuditedAdminMixin
from singlewindow.audit import ACTION_LABELS
from singlewindow.auditchain import chain_verify
from singlewindow.models import AuditEvent
from tests.factories import AgencyFactory, TraderAccountFactory, UserFactory

pytestmark = pytest.mark.django_db

SECRET = "s3cret-shared-with-the-agency-2026"


@pytest.fixture
def administrator(db: None) -> User:
    return UserFactory(username="administrator", role="admin", is_staff=True, is_superuser=True)


def events(action: str, **filters: Any) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, **filters).order_by("seq"))


def test_membership_and_representation_grants_and_revocations_are_audited_once_with_the_actor(
    administrator, broker
):
    account = TraderAccountFactory(eori="GB123456789000", name="Newly Onboarded Ltd")
    member = UserFactory(username="new_member", role="trader")

    account_add_member(account=account, user=member, actor=administrator)
    account_add_member(account=account, user=member, actor=administrator)  # already a member
    account_authorise_representative(account=account, user=broker, actor=administrator)
    account_revoke_representative(account=account, user=broker, actor=administrator)
    account_remove_member(account=account, user=member, actor=administrator)
    account_remove_member(account=account, user=member, actor=administrator)  # no longer one

    on_account = AuditEvent.objects.filter(object_type="accounts.traderaccount", object_id=account.pk)
    assert [(e.action, e.actor, e.data) for e in on_account.order_by("seq")] == [
        (
            "accounts.trader_account.member_added",
            administrator,
            {"user": member.pk, "username": "new_member"},
        ),
        (
            "accounts.trader_account.representative_authorised",
            administrator,
            {"user": broker.pk, "username": "broker"},
        ),
        (
            "accounts.trader_account.representative_revoked",
            administrator,
            {"user": broker.pk, "username": "broker"},
        ),
        (
            "accounts.trader_account.member_removed",
            administrator,
            {"user": member.pk, "username": "new_member"},
        ),
    ]
    assert not member.has_perm(f"accounts.{PERM_MEMBER}", account)


def test_officer_grant_and_revocation_are_audited_and_take_effect(administrator):
    agency = AgencyFactory(code="fisheries", name="Fisheries Inspectorate")
    officer = UserFactory(username="fish_officer", role="officer")

    agency_add_officer(agency=agency, user=officer, actor=administrator)
    assert is_officer_of(officer, agency)
    agency_remove_officer(agency=agency, user=officer, actor=administrator)

    assert not is_officer_of(officer, agency)
    assert [
        e.action for e in AuditEvent.objects.filter(object_id=agency.pk, object_type="agencies.agency")
    ] == [
        "agencies.agency.officer_added",
        "agencies.agency.officer_removed",
    ]


def test_a_role_given_to_a_user_is_audited_with_the_groups_before_and_after(administrator):
    user = UserFactory(username="promoted", role="officer")

    user_set_role(user=user, role=Role.SUPERVISOR, actor=administrator)
    user_set_role(user=user, role=Role.SUPERVISOR, actor=administrator)  # has it already

    (event,) = events("accounts.user.roles_changed", object_id=user.pk)
    assert (event.actor, event.data) == (
        administrator,
        {"before": ["officer"], "after": ["officer", "supervisor"]},
    )


def test_sign_in_sign_out_and_a_failed_sign_in_are_audited_with_the_address_and_never_the_password(
    client, importer, password
):
    address = {"REMOTE_ADDR": "203.0.113.7"}
    client.post(reverse("login"), {"username": "importer", "password": "wrong-guess-123"}, **address)
    client.post(reverse("login"), {"username": "nobody-here", "password": "wrong-guess-456"}, **address)
    client.post(reverse("login"), {"username": "importer", "password": password}, **address)
    client.post(reverse("logout"), **address)

    failed = events("accounts.user.login_failed")
    assert [(e.object_id, e.actor, e.data) for e in failed] == [
        (importer.pk, None, {"username": "importer", "ip": "203.0.113.7"}),
        (None, None, {"username": "nobody-here", "ip": "203.0.113.7"}),
    ]
    assert failed[1].object_type == "accounts.user"
    (signed_in,) = events("accounts.user.logged_in")
    (signed_out,) = events("accounts.user.logged_out")
    assert (signed_in.actor, signed_in.object_id, signed_in.data) == (
        importer,
        importer.pk,
        {"ip": "203.0.113.7"},
    )
    assert signed_out.actor == importer
    stored = str(list(AuditEvent.objects.values_list("data", flat=True)))
    assert "wrong-guess" not in stored and password not in stored


def agency_form(agency: Agency, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": agency.code,
        "name": agency.name,
        "service_level_hours": agency.service_level_hours,
        "webhook_url": agency.webhook_url,
        "rules-TOTAL_FORMS": "0",
        "rules-INITIAL_FORMS": "0",
        "rules-MIN_NUM_FORMS": "0",
        "rules-MAX_NUM_FORMS": "1000",
    }
    if agency.is_active:
        data["is_active"] = "on"
    data.update(changes)
    return data


def test_an_agency_changed_in_the_admin_records_old_and_new_values_and_hides_the_webhook_secret(
    client, administrator
):
    agency = AgencyFactory(
        code="fisheries",
        name="Fisheries Inspectorate",
        webhook_url="https://old.example.test/hook",
        webhook_secret="old-secret",
    )
    client.force_login(administrator)

    response = client.post(
        reverse("admin:agencies_agency_change", args=[agency.pk]),
        agency_form(
            agency,
            name="Marine Fisheries Inspectorate",
            service_level_hours="48",
            webhook_url="https://new.example.test/hook",
            new_webhook_secret=SECRET,
        ),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    (changed,) = events("agencies.agency.changed", object_id=agency.pk)
    assert changed.actor == administrator
    assert changed.data == {
        "before": {"name": "Fisheries Inspectorate", "service_level_hours": 24},
        "after": {"name": "Marine Fisheries Inspectorate", "service_level_hours": 48},
    }
    (webhook,) = events("agencies.agency.webhook_changed", object_id=agency.pk)
    assert webhook.data == {
        "before": {"webhook_url": "https://old.example.test/hook", "webhook_secret": "[hidden]"},
        "after": {"webhook_url": "https://new.example.test/hook", "webhook_secret": "changed"},
    }
    stored = str(list(AuditEvent.objects.values_list("data", flat=True)))
    assert SECRET not in stored and "old-secret" not in stored


def test_saving_an_agency_unchanged_in_the_admin_writes_no_event(client, administrator):
    agency = AgencyFactory(code="fisheries", name="Fisheries Inspectorate")
    client.force_login(administrator)

    response = client.post(reverse("admin:agencies_agency_change", args=[agency.pk]), agency_form(agency))

    assert response.status_code == 302
    assert not AuditEvent.objects.filter(object_type="agencies.agency").exists()


def test_routing_rules_created_changed_and_deleted_in_the_admin_are_audited(client, administrator):
    agency = AgencyFactory(code="fisheries", name="Fisheries Inspectorate")
    client.force_login(administrator)
    rule_form = {
        "agency": agency.pk,
        "name": "Fish",
        "hs_prefix": "03",
        "direction": "any",
        "is_active": "on",
    }

    client.post(reverse("admin:agencies_routingrule_add"), rule_form)
    rule = RoutingRule.objects.get()
    client.post(
        reverse("admin:agencies_routingrule_change", args=[rule.pk]),
        {**rule_form, "hs_prefix": "0302", "required_documents": "C085"},
    )
    client.post(reverse("admin:agencies_routingrule_delete", args=[rule.pk]), {"post": "yes"})

    created, changed, deleted = AuditEvent.objects.filter(object_type="agencies.routingrule").order_by("seq")
    assert (created.action, created.object_id) == ("agencies.routing_rule.created", rule.pk)
    assert created.data["after"]["hs_prefix"] == "03"
    assert changed.action == "agencies.routing_rule.changed"
    assert {k: changed.data["before"][k] for k in ("hs_prefix", "required_documents")} == {
        "hs_prefix": "03",
        "required_documents": [],
    }
    assert {k: changed.data["after"][k] for k in ("hs_prefix", "required_documents")} == {
        "hs_prefix": "0302",
        "required_documents": ["C085"],
    }
    assert (deleted.action, deleted.object_id, deleted.actor) == (
        "agencies.routing_rule.deleted",
        rule.pk,
        administrator,
    )
    assert deleted.data["before"]["name"] == "Fish"
    assert deleted.data["deleted"] == {"agencies.RoutingRule": 1}


def test_a_rule_deleted_inline_on_its_agencys_page_is_audited(client, administrator):
    agency = AgencyFactory(code="fisheries", name="Fisheries Inspectorate")
    rule = RoutingRule.objects.create(agency=agency, name="Fish", hs_prefix="03")
    client.force_login(administrator)
    data = agency_form(agency, **{"rules-TOTAL_FORMS": "1", "rules-INITIAL_FORMS": "1"})
    data.update(
        {
            "rules-0-id": rule.pk,
            "rules-0-agency": agency.pk,
            "rules-0-name": "Fish",
            "rules-0-hs_prefix": "03",
            "rules-0-direction": "any",
            "rules-0-is_active": "on",
            "rules-0-DELETE": "on",
        }
    )

    response = client.post(reverse("admin:agencies_agency_change", args=[agency.pk]), data)

    assert response.status_code == 302
    assert not RoutingRule.objects.exists()
    (deleted,) = events("agencies.routing_rule.deleted")
    assert (deleted.object_id, deleted.data["before"]["hs_prefix"]) == (rule.pk, "03")


def test_trader_accounts_deleted_with_the_admin_action_are_audited_each(client, administrator):
    doomed = [TraderAccountFactory(eori=f"GB99900000000{n}", name=f"Dormant {n} Ltd") for n in range(2)]
    client.force_login(administrator)

    response = client.post(
        reverse("admin:accounts_traderaccount_changelist"),
        {"action": "delete_selected", "_selected_action": [a.pk for a in doomed], "post": "yes"},
    )

    assert response.status_code == 302
    assert not TraderAccount.objects.filter(pk__in=[a.pk for a in doomed]).exists()
    deleted = events("accounts.trader_account.deleted")
    assert sorted(e.object_id for e in deleted) == sorted(a.pk for a in doomed)
    assert {e.data["before"]["name"] for e in deleted} == {"Dormant 0 Ltd", "Dormant 1 Ltd"}


def test_a_users_groups_changed_in_the_admin_are_recorded_and_the_password_hash_never(client, administrator):
    user = UserFactory(username="clerk", role="trader")
    supervisors, _ = Group.objects.get_or_create(name="supervisor")
    client.force_login(administrator)
    page = client.get(reverse("admin:accounts_user_change", args=[user.pk]))
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() not in (None, False)}
    data = {k: ("on" if v is True else v) for k, v in data.items()}
    data.pop("password", None)
    data["date_joined_0"], data["date_joined_1"] = user.date_joined.strftime("%Y-%m-%d %H:%M:%S").split()
    data.pop("date_joined", None)
    data.pop("last_login", None)
    data["groups"] = [*data.get("groups", []), supervisors.pk]

    response = client.post(reverse("admin:accounts_user_change", args=[user.pk]), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    (event,) = events("accounts.user.changed", object_id=user.pk)
    assert (event.data["before"]["groups"], event.data["after"]["groups"]) == (
        ["trader"],
        ["supervisor", "trader"],
    )
    assert "password" not in event.data["after"]

    client.post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {"password1": "Another-long-passphrase-1", "password2": "Another-long-passphrase-1"},
    )
    (password_set,) = events("accounts.user.password_set", object_id=user.pk)
    assert password_set.data == {"before": {"password": "[hidden]"}, "after": {"password": "changed"}}
    user.refresh_from_db()
    assert user.password not in str(list(AuditEvent.objects.values_list("data", flat=True)))


def test_object_permissions_changed_on_guardians_admin_page_are_audited(client, administrator):
    account = TraderAccountFactory(eori="GB123456789000", name="Newly Onboarded Ltd")
    member = UserFactory(username="new_member", role="trader")
    client.force_login(administrator)

    response = client.post(
        reverse("admin:accounts_traderaccount_permissions_manage_user", args=[account.pk, member.pk]),
        {"permissions": [PERM_MEMBER]},
    )

    assert response.status_code == 302
    assert member.has_perm(f"accounts.{PERM_MEMBER}", account)
    (event,) = events("admin.object_permissions.changed", object_id=account.pk)
    assert (event.actor, event.data) == (
        administrator,
        {"user": member.pk, "username": "new_member", "before": [], "after": [PERM_MEMBER]},
    )


def test_every_admin_of_the_site_is_audited_and_every_action_has_a_label():
    unaudited = [
        type(m).__name__ for m in admin.site._registry.values() if not isinstance(m, AuditedAdminMixin)
    ]
    assert unaudited == []
    assert all(str(label) for label in ACTION_LABELS.values())


def test_the_chain_holds_after_a_session_of_admin_work(client, administrator):
    agency = AgencyFactory(code="fisheries", name="Fisheries Inspectorate")
    client.force_login(administrator)
    client.post(
        reverse("admin:agencies_agency_change", args=[agency.pk]), agency_form(agency, name="Fisheries")
    )
    client.post(reverse("admin:agencies_agency_delete", args=[agency.pk]), {"post": "yes"})

    assert [e.action for e in AuditEvent.objects.filter(object_type="agencies.agency")] == [
        "agencies.agency.changed",
        "agencies.agency.deleted",
    ]
    report = chain_verify()
    assert report.ok and report.count == AuditEvent.objects.count()


def test_api_tokens_created_and_revoked_are_audited_without_their_keys(importer):
    from accounts import services as account_services

    token, key = account_services.api_token_create(user=importer, name="ERP")
    account_services.api_token_revoke(user=importer, token_id=token.pk)
    account_services.api_token_revoke(user=importer, token_id=token.pk)  # revoked already
    second, _key = account_services.api_token_create(user=importer, name="ERP")
    account_services.api_tokens_revoke_all(user=importer)

    on_tokens = AuditEvent.objects.filter(object_type="accounts.apitoken").order_by("seq")
    assert [(e.action, e.object_id, e.actor, e.data.get("reason")) for e in on_tokens] == [
        ("accounts.api_token.created", token.pk, importer, None),
        ("accounts.api_token.revoked", token.pk, importer, "revoked"),
        ("accounts.api_token.created", second.pk, importer, None),
        ("accounts.api_token.revoked", second.pk, None, "password_changed"),
    ]
    assert key not in str(list(on_tokens.values_list("data", flat=True)))
