"""Routing rules: each condition on its own, the plan per agency, customs by default, the dry run."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.models import Agency, AgencyReview, RoutingRule, RuleDirection
from agencies.routing import routing_dry_run, routing_plan, rule_matches
from declarations.models import Declaration, GoodsItem

from .fixtures import REVOLVERS, ROSES, SHAVER_PARTS, TEA, TOMATOES, item, lodge, mixed_payload, payload_with


def _item(code: str = "06031100", origin: str = "KE", procedure: str = "4000") -> GoodsItem:
    return GoodsItem(
        commodity_code=code, origin_country=origin, procedure_code=procedure, sequence=1, position=1
    )


def _declaration(direction: str = "import", destination: str = "GB", export: str = "KE") -> Declaration:
    return Declaration(direction=direction, destination_country=destination, export_country=export)


@pytest.mark.parametrize(
    ("prefix", "code", "matches"),
    [
        ("", "06031100", True),
        ("06", "06031100", True),
        ("0603", "06031100", True),
        ("060311", "06031100", True),
        ("0604", "06031100", False),
        ("07", "06031100", False),
    ],
)
def test_hs_prefix_matches_chapter_heading_or_subheading(prefix, code, matches):
    assert rule_matches(RoutingRule(hs_prefix=prefix), _item(code), _declaration()) is matches


@pytest.mark.parametrize(
    ("direction", "declared", "matches"),
    [
        (RuleDirection.ANY, "import", True),
        (RuleDirection.ANY, "export", True),
        (RuleDirection.IMPORT, "import", True),
        (RuleDirection.IMPORT, "export", False),
        (RuleDirection.EXPORT, "export", True),
        (RuleDirection.EXPORT, "import", False),
    ],
)
def test_direction_must_match_the_declaration(direction, declared, matches):
    assert (
        rule_matches(RoutingRule(direction=direction), _item(), _declaration(direction=declared)) is matches
    )


def test_transit_means_neither_exported_from_nor_destined_here(settings):
    settings.SW_MRN_COUNTRY = "GB"
    rule = RoutingRule(direction=RuleDirection.TRANSIT)
    assert rule_matches(rule, _item(), _declaration(destination="FR", export="US"))
    assert not rule_matches(rule, _item(), _declaration(destination="GB", export="US"))
    assert not rule_matches(rule, _item(), _declaration(destination="FR", export="GB"))


def test_origin_country_is_the_items_origin():
    rule = RoutingRule(origin_country="CN")
    assert rule_matches(rule, _item(origin="CN"), _declaration())
    assert not rule_matches(rule, _item(origin="US"), _declaration())


def test_destination_country_is_the_declarations_destination():
    rule = RoutingRule(destination_country="GB")
    assert rule_matches(rule, _item(), _declaration(destination="GB"))
    assert not rule_matches(rule, _item(), _declaration(destination="IE"))


def test_procedure_code_is_a_prefix_of_the_items_procedure():
    rule = RoutingRule(procedure_code="40")
    assert rule_matches(rule, _item(procedure="4000"), _declaration())
    assert not rule_matches(rule, _item(procedure="5100"), _declaration())


def test_every_condition_of_a_rule_must_hold():
    rule = RoutingRule(hs_prefix="06", origin_country="KE", direction=RuleDirection.IMPORT)
    assert rule_matches(rule, _item(origin="KE"), _declaration())
    assert not rule_matches(rule, _item(origin="NL"), _declaration())
    assert not rule_matches(rule, _item(origin="KE"), _declaration(direction="export"))


def test_rule_clean_refuses_a_bad_document_list_and_normalises_codes(db):
    from django.core.exceptions import ValidationError

    agency = Agency.objects.create(code="x", name="X")
    rule = RoutingRule(agency=agency, name="r", required_documents=" n851 ")
    with pytest.raises(ValidationError):
        rule.full_clean()
    rule.required_documents = ["n851", "N851", "c085"]
    rule.origin_country = "cn"
    rule.full_clean()
    assert rule.required_documents == ["C085", "N851"]
    assert rule.origin_country == "CN"


def test_hs_prefix_of_odd_length_is_refused(db):
    from django.core.exceptions import ValidationError

    rule = RoutingRule(agency=Agency.objects.create(code="y", name="Y"), name="r", hs_prefix="060")
    with pytest.raises(ValidationError) as error:
        rule.full_clean()
    assert "hs_prefix" in error.value.message_dict


@pytest.mark.django_db
def test_plan_gives_each_agency_only_its_items_and_says_why(
    importer, agencies, django_capture_on_commit_callbacks
):
    declaration = lodge(importer, mixed_payload(), django_capture_on_commit_callbacks)
    plan = {route.agency.code: route for route in routing_plan(declaration)}
    assert set(plan) == {"plant-health", "food-safety", "standards"}
    assert [i.sequence for i in plan["plant-health"].items] == [1]
    assert [i.sequence for i in plan["food-safety"].items] == [2]
    assert [i.sequence for i in plan["standards"].items] == [3]
    assert plan["plant-health"].reasons[0]["rule_name"] == "Cut flowers"
    # the phytosanitary certificate is missing: no automatic approval
    assert plan["plant-health"].missing_documents == [
        {"item": 1, "code": "N851", "rule": plan["plant-health"].reasons[0]["rule"]}
    ]
    assert not plan["plant-health"].auto_approve


@pytest.mark.django_db
def test_goods_no_agency_claims_go_to_customs_alone(importer, agencies, django_capture_on_commit_callbacks):
    declaration = lodge(
        importer, payload_with(item(1, TEA), lrn="CLR-TEA"), django_capture_on_commit_callbacks
    )
    plan = routing_plan(declaration)
    assert [(r.agency.code, [i.sequence for i in r.items]) for r in plan] == [("customs", [1])]
    assert plan[0].reasons[0]["rule"] is None


@pytest.mark.django_db
def test_certificate_on_the_item_is_listed_for_the_officer_and_approves_nothing(
    importer, agencies, django_capture_on_commit_callbacks
):
    docs = [{"code": "N851", "reference": "PHYTO-1", "status": "AE"}]
    declaration = lodge(
        importer,
        payload_with(item(1, ROSES, documents=docs), lrn="CLR-PHYTO"),
        django_capture_on_commit_callbacks,
    )
    (route,) = routing_plan(declaration)
    assert route.agency.code == "plant-health"
    assert route.missing_documents == []
    assert route.reasons[0]["required_documents"] == ["N851"]
    assert not route.auto_approve


@pytest.mark.django_db
def test_an_item_no_rule_claims_goes_to_customs_beside_the_agencies_that_claim_the_others(
    importer, agencies, django_capture_on_commit_callbacks
):
    declaration = lodge(
        importer,
        payload_with(item(1, SHAVER_PARTS), item(2, REVOLVERS), lrn="CLR-SHAVE-GUN"),
        django_capture_on_commit_callbacks,
    )
    plan = {route.agency.code: route for route in routing_plan(declaration)}
    assert {code: [i.sequence for i in r.items] for code, r in plan.items()} == {
        "standards": [1],
        "customs": [2],
    }
    assert plan["customs"].reasons == [
        {
            "rule": None,
            "rule_name": "Not claimed by any agency: customs reviews",
            "item": 2,
            "required_documents": [],
        }
    ]


@pytest.mark.django_db
def test_a_plan_with_unclaimed_goods_checks_the_cached_rules_and_customs_once(
    importer, agencies, django_capture_on_commit_callbacks
):
    declaration = lodge(
        importer,
        payload_with(item(1, SHAVER_PARTS), item(2, REVOLVERS), lrn="CLR-ONE-CHECK"),
        django_capture_on_commit_callbacks,
    )
    items, documents = list(declaration.items.all()), list(declaration.documents.all())
    routing_plan(declaration, items=items, documents=documents)  # the cache filled
    with CaptureQueriesContext(connection) as queries:
        plan = routing_plan(declaration, items=items, documents=documents)
    assert {r.agency.code for r in plan} == {"customs", "standards"}
    # One freshness check covers the rules and the customs agency the unclaimed item goes to
    # (not PostgreSQL: nothing is cached, the rules and customs are read).
    assert len(queries.captured_queries) == (1 if connection.vendor == "postgresql" else 2)


@pytest.mark.django_db
def test_customs_own_rule_and_the_unclaimed_items_make_one_customs_route(
    importer, agencies, django_capture_on_commit_callbacks
):
    RoutingRule.objects.create(agency=agencies["customs"], name="Tea", hs_prefix="0902")
    declaration = lodge(
        importer,
        payload_with(item(1, REVOLVERS), item(2, TEA), item(3, ROSES), lrn="CLR-CUSTOMS-BOTH"),
        django_capture_on_commit_callbacks,
    )
    plan = {route.agency.code: route for route in routing_plan(declaration)}
    assert [i.sequence for i in plan["customs"].items] == [1, 2]
    assert [(r["item"], r["rule_name"]) for r in plan["customs"].reasons] == [
        (2, "Tea"),
        (1, "Not claimed by any agency: customs reviews"),
    ]


@pytest.mark.django_db
def test_a_licence_code_declared_at_header_level_covers_no_item(
    importer, agencies, django_capture_on_commit_callbacks
):
    """Only codes of the whole declaration (header_document list: 1DAN) count for every item."""
    header = [{"kind": "additional", "code": "N851", "reference": "PHYTO-HEADER", "status": "AE"}]
    declaration = lodge(
        importer,
        payload_with(item(1, ROSES), lrn="CLR-HEADER-LIC", documents=header),
        django_capture_on_commit_callbacks,
    )
    (route,) = routing_plan(declaration)
    assert route.missing_documents == [{"item": 1, "code": "N851", "rule": route.reasons[0]["rule"]}]


@pytest.mark.django_db
def test_a_header_document_the_code_list_says_covers_every_item_counts_for_each(
    importer, agencies, django_capture_on_commit_callbacks
):
    from declarations.models import ReferenceCode

    ReferenceCode.objects.create(
        code_list="header_document", code="N851", description="test: covers the whole declaration"
    )
    header = [{"kind": "additional", "code": "N851", "reference": "PHYTO-HEADER", "status": "AE"}]
    declaration = lodge(
        importer,
        payload_with(item(1, ROSES), item(2, ROSES), lrn="CLR-HEADER-OK", documents=header),
        django_capture_on_commit_callbacks,
    )
    (route,) = routing_plan(declaration)
    assert route.missing_documents == []


@pytest.mark.django_db
def test_inactive_rules_and_agencies_route_nothing(importer, agencies, django_capture_on_commit_callbacks):
    RoutingRule.objects.filter(agency__code="standards").update(is_active=False)
    Agency.objects.filter(code="food-safety").update(is_active=False)
    declaration = lodge(importer, mixed_payload(lrn="CLR-INACTIVE"), django_capture_on_commit_callbacks)
    # what the inactive ones would have claimed is not waved through: customs reviews it
    assert {r.agency.code: [i.sequence for i in r.items] for r in routing_plan(declaration)} == {
        "plant-health": [1],
        "customs": [2, 3],
    }


@pytest.mark.django_db
def test_dry_run_answers_without_writing(importer, agencies, django_capture_on_commit_callbacks):
    declaration = lodge(importer, mixed_payload(lrn="CLR-DRY"), django_capture_on_commit_callbacks)
    before = AgencyReview.objects.count()
    RoutingRule.objects.create(agency=agencies["customs"], name="Shavers", hs_prefix=SHAVER_PARTS[:4])
    result = routing_dry_run(declaration)
    assert {r["agency"]: r["items"] for r in result} == {
        "customs": [3],
        "food-safety": [2],
        "plant-health": [1],
        "standards": [3],
    }
    assert AgencyReview.objects.count() == before
    assert {r["agency"] for r in result if r["auto_approve"]} == set()
    assert TOMATOES  # the food-safety item


@pytest.mark.django_db
def test_admin_dry_run_page_shows_agencies_and_reasons(
    client, importer, agencies, django_capture_on_commit_callbacks
):
    from tests.factories import UserFactory

    admin_user = UserFactory(username="admin", role="admin")
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    declaration = lodge(importer, mixed_payload(lrn="CLR-ADMIN"), django_capture_on_commit_callbacks)
    client.force_login(admin_user)
    before = AgencyReview.objects.count()
    page = client.get("/admin/agencies/routingrule/dry-run/", {"mrn": declaration.mrn.lower()})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Plant Health Inspectorate" in text
    assert "Cut flowers" in text
    assert "N851 on item 1" in text
    assert AgencyReview.objects.count() == before
    missing = client.get("/admin/agencies/routingrule/dry-run/", {"mrn": "26GBNOSUCHMRN00000"})
    assert "No lodged declaration has this MRN." in missing.content.decode()


@pytest.mark.django_db
def test_administrator_adds_and_edits_a_rule_with_document_codes_in_the_admin(client, agencies):
    from tests.factories import UserFactory

    admin_user = UserFactory(username="admin", role="admin")
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    plant = agencies["plant-health"]
    form = {
        "agency": plant.pk,
        "name": "Seeds for sowing",
        "hs_prefix": "1209",
        "direction": "import",
        "origin_country": "",
        "destination_country": "",
        "procedure_code": "",
        "required_documents": "n851, C085  N851",
        "is_active": "on",
    }
    added = client.post("/admin/agencies/routingrule/add/", form)
    assert added.status_code == 302
    rule = RoutingRule.objects.get(name="Seeds for sowing")
    assert rule.required_documents == ["C085", "N851"]
    change_url = f"/admin/agencies/routingrule/{rule.pk}/change/"
    assert 'value="C085, N851"' in client.get(change_url).content.decode()

    bad = client.post(change_url, {**form, "required_documents": "N851, PHYTO"})
    assert bad.status_code == 200
    assert "Document codes have four letters or digits, like N851: PHYTO." in bad.content.decode()

    cleared = client.post(change_url, {**form, "required_documents": ""})
    assert cleared.status_code == 302
    rule.refresh_from_db()
    assert rule.required_documents == []
