"""Administrators' overrides of the shipped reference data, as the rules and the admin see them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from declarations import refdata
from declarations.models import ReferenceCode, ReferenceCodeList
from declarations.rules import check_declaration
from singlewindow.models import AuditEvent
from tests.factories import UserFactory

from .builders import build_export, build_import, codes, import_item

CLOSED_OFFICE = "GBLBA001"  # supervising office of the valid import
EXIT_OFFICE = "GB000093"  # office of exit of the valid export


class FakeClock:
    """Stands in for ``time.monotonic`` so a test moves past the refresh period without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(autouse=True)
def _no_cached_overrides() -> Iterator[None]:
    # The cache lives for the process; a rolled-back test sends no delete signal to clear it.
    refdata.overrides_reset()
    yield
    refdata.overrides_reset()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(refdata, "_clock", fake)
    return fake


@pytest.fixture
def administrator(db: None) -> User:
    return UserFactory(username="administrator", role="admin", is_staff=True, is_superuser=True)


def override(code_list: str, code: str, description: str = "", *, is_active: bool = True) -> ReferenceCode:
    return ReferenceCode.objects.create(
        code_list=code_list, code=code, description=description, is_active=is_active
    )


# --- HS ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_added_subheading_lets_a_declaration_with_that_commodity_code_pass() -> None:
    declaration = build_import()
    declaration.items = [import_item(commodity_code="99990100")]
    assert ("hs_unknown", "items.1.commodity_code") in codes(check_declaration(declaration))

    override(ReferenceCodeList.HS, "999901", "Goods under a national pilot scheme")

    assert codes(check_declaration(declaration)) == []
    assert refdata.hs_description("999901") == "Goods under a national pilot scheme"
    assert refdata.hs_codes()["999901"] == "Goods under a national pilot scheme"


@pytest.mark.django_db
def test_withdrawn_subheading_makes_the_commodity_code_unknown() -> None:
    override(ReferenceCodeList.HS, "851090", is_active=False)

    assert codes(check_declaration(build_import())) == [("hs_unknown", "items.1.commodity_code")]
    assert "851090" not in refdata.hs_codes()


@pytest.mark.django_db
def test_renamed_heading_is_named_by_its_new_description() -> None:
    override(ReferenceCodeList.HS, "8510", "Shavers and hair clippers (national wording)")
    declaration = build_import()
    declaration.items = [import_item(commodity_code="85109900")]

    [issue] = check_declaration(declaration)

    assert issue.code == "hs_unknown"
    assert "Shavers and hair clippers (national wording)" in issue.message


@pytest.mark.django_db
def test_deleting_a_withdrawal_restores_the_shipped_subheading() -> None:
    withdrawal = override(ReferenceCodeList.HS, "851090", is_active=False)
    assert refdata.hs_description("851090") is None

    withdrawal.delete()

    assert refdata.hs_description("851090") == refdata.shipped_description("hs", "851090")
    assert codes(check_declaration(build_import())) == []


# --- offices ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_closed_customs_office_is_refused_as_supervising_office() -> None:
    override(ReferenceCodeList.CUSTOMS_OFFICE, CLOSED_OFFICE, is_active=False)

    assert codes(check_declaration(build_import())) == [("customs_office_unknown", "supervising_office")]


@pytest.mark.django_db
def test_added_customs_office_is_accepted_and_named() -> None:
    declaration = build_import()
    declaration.supervising_office = "GBNEW001"
    assert codes(check_declaration(declaration)) == [("customs_office_unknown", "supervising_office")]

    override(ReferenceCodeList.CUSTOMS_OFFICE, "GBNEW001", "New inland border facility")

    assert codes(check_declaration(declaration)) == []
    assert refdata.customs_office("GBNEW001") == "New inland border facility"


@pytest.mark.django_db
def test_renamed_office_of_exit_keeps_being_accepted_under_its_new_name() -> None:
    shipped = refdata.office_of_exit(EXIT_OFFICE)

    override(ReferenceCodeList.EXIT_OFFICE, EXIT_OFFICE, "Felixstowe (renamed)")

    assert shipped is not None and shipped != "Felixstowe (renamed)"
    assert refdata.office_of_exit(EXIT_OFFICE) == "Felixstowe (renamed)"
    assert codes(check_declaration(build_export())) == []


@pytest.mark.django_db
def test_deleting_an_office_of_exit_withdrawal_restores_it() -> None:
    withdrawal = override(ReferenceCodeList.EXIT_OFFICE, EXIT_OFFICE, is_active=False)
    assert codes(check_declaration(build_export())) == [("exit_office_unknown", "exit_office")]

    withdrawal.delete()

    assert codes(check_declaration(build_export())) == []


# --- currencies and the other lists -----------------------------------------------------------


@pytest.mark.django_db
def test_added_currency_is_accepted_on_the_invoice() -> None:
    declaration = build_import()
    declaration.invoice_currency = "XQQ"  # in neither shipped list
    assert codes(check_declaration(declaration)) == [("currency_unknown", "invoice_currency")]

    override(ReferenceCodeList.CURRENCY, "XQQ", "Pilot settlement unit")

    assert codes(check_declaration(declaration)) == []
    assert refdata.currencies()["XQQ"] == "Pilot settlement unit"


@pytest.mark.django_db
def test_withdrawn_currency_is_refused_and_deleting_the_withdrawal_restores_it() -> None:
    withdrawal = override(ReferenceCodeList.CURRENCY, "GBP", is_active=False)
    assert ("currency_unknown", "invoice_currency") in codes(check_declaration(build_import()))

    withdrawal.delete()

    assert refdata.currency_name("GBP") == refdata.shipped_description("currency", "GBP")
    assert codes(check_declaration(build_import())) == []


@pytest.mark.django_db
def test_renamed_currency_wins_over_the_shipped_name() -> None:
    override(ReferenceCodeList.CURRENCY, "GBP", "Sterling")

    assert refdata.currency_name("GBP") == "Sterling"


@pytest.mark.django_db
def test_overrides_reach_countries_package_types_and_procedure_parts() -> None:
    override(ReferenceCodeList.COUNTRY, "US", is_active=False)
    override(ReferenceCodeList.PACKAGE_TYPE, "BX", is_active=False)
    override(ReferenceCodeList.PROCEDURE, "40", is_active=False)
    override(ReferenceCodeList.PROCEDURE, "4099", "Release with national pilot relief")

    found = {code for code, _field in codes(check_declaration(build_import()))}

    assert {"country_unknown", "package_type_unknown", "procedure_code_unknown"} <= found
    assert "40" not in refdata.procedure_code_parts()
    assert refdata.procedure_code_name("4099") == "Release with national pilot relief"


# --- freshness --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_change_made_by_another_process_is_seen_after_the_refresh_period(clock: FakeClock) -> None:
    office = override(ReferenceCodeList.CUSTOMS_OFFICE, "GBNEW001", "New inland border facility")
    assert refdata.customs_office("GBNEW001") == "New inland border facility"

    # Another worker withdraws it: a queryset update sends no signal to this process.
    ReferenceCode.objects.filter(pk=office.pk).update(is_active=False, updated_at=timezone.now())
    clock.advance(refdata.DEFAULT_REFRESH_SECONDS - 0.1)
    assert refdata.customs_office("GBNEW001") == "New inland border facility"  # still within the period

    clock.advance(0.2)
    assert refdata.customs_office("GBNEW001") is None


@pytest.mark.django_db
def test_row_added_by_another_process_is_seen_after_the_refresh_period(clock: FakeClock) -> None:
    assert refdata.currency_name("XQQ") is None
    # bulk_create, like another process's insert, sends no post_save signal.
    ReferenceCode.objects.bulk_create(
        [ReferenceCode(code_list=ReferenceCodeList.CURRENCY, code="XQQ", description="Pilot unit")]
    )
    assert refdata.currency_name("XQQ") is None

    clock.advance(refdata.DEFAULT_REFRESH_SECONDS)

    assert refdata.currency_name("XQQ") == "Pilot unit"


@pytest.mark.django_db
def test_refresh_period_follows_the_setting(clock: FakeClock, settings) -> None:
    settings.SW_REFDATA_REFRESH_SECONDS = 60
    assert refdata.currency_name("XQQ") is None
    ReferenceCode.objects.bulk_create(
        [ReferenceCode(code_list=ReferenceCodeList.CURRENCY, code="XQQ", description="Pilot unit")]
    )

    clock.advance(30)
    assert refdata.currency_name("XQQ") is None
    clock.advance(30)
    assert refdata.currency_name("XQQ") == "Pilot unit"


@pytest.mark.django_db
def test_unchanged_overrides_cost_one_freshness_query_per_period(
    clock: FakeClock, django_assert_num_queries
) -> None:
    override(ReferenceCodeList.CURRENCY, "GBP", "Sterling")
    refdata.currency_name("GBP")
    clock.advance(refdata.DEFAULT_REFRESH_SECONDS)

    with django_assert_num_queries(1) as captured:
        assert refdata.currency_name("GBP") == "Sterling"
        assert refdata.currency_name("GBP") == "Sterling"

    assert "COUNT" in captured.captured_queries[0]["sql"].upper()


# PostgreSQL wraps the first read in a savepoint inside a test's transaction; a transactional test
# validates as the portal does, outside any transaction, on every database.
@pytest.mark.django_db(transaction=True)
def test_validating_a_ten_item_declaration_reads_overrides_at_most_once(
    django_assert_max_num_queries,
) -> None:
    override(ReferenceCodeList.HS, "999901", "Goods under a national pilot scheme")
    refdata.overrides_reset()
    declaration = build_import(items=10)

    with django_assert_max_num_queries(1):
        issues = check_declaration(declaration)

    assert codes(issues) == []


def test_lookups_without_database_access_use_the_shipped_data() -> None:
    # pytest-django refuses database access here, as a missing table would during migrate.
    assert refdata.customs_office(CLOSED_OFFICE) == refdata.shipped_description(
        "customs_office", CLOSED_OFFICE
    )
    assert codes(check_declaration(build_import())) == []


@pytest.mark.django_db
def test_lookups_fall_back_to_the_shipped_data_when_the_table_is_missing() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE declarations_referencecode RENAME TO declarations_referencecode_away")
    try:
        assert refdata.hs_description("851090") == refdata.shipped_description("hs", "851090")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE declarations_referencecode_away RENAME TO declarations_referencecode")


# --- admin ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_administrator_sees_the_changelist_with_the_shipped_value(client, administrator: User) -> None:
    override(ReferenceCodeList.CUSTOMS_OFFICE, CLOSED_OFFICE, is_active=False, description="")
    override(ReferenceCodeList.HS, "999901", "Goods under a national pilot scheme")
    client.force_login(administrator)

    response = client.get(reverse("admin:declarations_referencecode_changelist"))

    assert response.status_code == 200
    page = response.content.decode()
    assert refdata.shipped_description("customs_office", CLOSED_OFFICE) in page
    assert "not in the shipped data" in page


@pytest.mark.django_db
def test_administrator_sees_the_add_page(client, administrator: User) -> None:
    client.force_login(administrator)

    response = client.get(reverse("admin:declarations_referencecode_add"))

    assert response.status_code == 200
    assert "shipped value" in response.content.decode().lower()


@pytest.mark.django_db
def test_administrator_withdrawing_an_office_is_recorded_and_applies_at_once(
    client, administrator: User
) -> None:
    assert refdata.customs_office(CLOSED_OFFICE) is not None  # cached before the change
    client.force_login(administrator)

    response = client.post(
        reverse("admin:declarations_referencecode_add"),
        {
            "code_list": "customs_office",
            "code": " gblba001 ",
            "description": "",
            "note": "Office closed on 1 April",
        },
    )

    assert response.status_code == 302
    saved = ReferenceCode.objects.get()
    assert (saved.code, saved.is_active, saved.updated_by) == (CLOSED_OFFICE, False, administrator)
    assert refdata.customs_office(CLOSED_OFFICE) is None
    event = AuditEvent.objects.get(action="declarations.reference_code.changed")
    assert (event.actor, event.data["after"]["code"], event.data["after"]["note"]) == (
        administrator,
        CLOSED_OFFICE,
        "Office closed on 1 April",
    )

    client.post(reverse("admin:declarations_referencecode_delete", args=[saved.pk]), {"post": "yes"})
    assert not ReferenceCode.objects.exists()
    removed = AuditEvent.objects.get(action="declarations.reference_code.removed", actor=administrator)
    assert removed.data["before"]["code"] == CLOSED_OFFICE
    assert refdata.customs_office(CLOSED_OFFICE) is not None  # the shipped fact applies again


@pytest.mark.django_db
def test_admin_refuses_an_active_code_without_description_and_a_malformed_code(
    client, administrator: User
) -> None:
    client.force_login(administrator)

    response = client.post(
        reverse("admin:declarations_referencecode_add"),
        {"code_list": "hs", "code": "12345", "description": "", "is_active": "on"},
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"code", "description"}
    assert not ReferenceCode.objects.exists()
