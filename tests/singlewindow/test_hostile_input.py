"""Absurd numbers, deep JSON, impossible dates: a 4xx in the API's error shape, never a 500."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from declarations.models import Declaration
from singlewindow.parsers import json_depth
from tests.agencies.fixtures import client_for
from tests.declarations.payloads import import_payload

pytestmark = pytest.mark.django_db

DEEP_ARRAYS = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECTS = b'{"a":' * 50_000 + b"1" + b"}" * 50_000


def assert_error_shape(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    [error, *_] = response.json()["errors"]
    assert error["message"]
    if code is not None:
        assert error["code"] == code
    return error


# --- JSON bodies -------------------------------------------------------------------------------


POSTS = [
    "/api/v1/declarations",
    "/api/v1/reviews/1/decision",
    "/api/v1/reviews/1/claim",
    "/api/v1/declarations/26GB0000000000000/override",
    "/api/v1/information-requests/1/answer",
    "/api/v1/notifications/1/read",
]


@pytest.mark.parametrize("body", [DEEP_ARRAYS, DEEP_OBJECTS], ids=["arrays", "objects"])
def test_100000_nested_levels_on_the_token_endpoint_are_a_400_without_signing_in(body):
    response = APIClient().post("/api/v1/auth/token", body, content_type="application/json")

    error = assert_error_shape(response, 400, "too_deep")
    assert "more than 32 levels deep" in error["message"]


@pytest.mark.parametrize("path", POSTS)
def test_deep_json_is_a_400_on_every_post(path, supervisor):
    # The supervisor may reach every endpoint, so the parser (not a 404) answers.
    response = client_for(supervisor).post(path, DEEP_ARRAYS, content_type="application/json")

    if response.status_code == 404:  # the endpoint looked the object up before reading the body
        assert_error_shape(response, 404)
    else:
        assert_error_shape(response, 400, "too_deep")


def test_deep_json_on_lodgement_is_a_400_and_nothing_is_stored(broker):
    response = client_for(broker).post("/api/v1/declarations", DEEP_ARRAYS, content_type="application/json")

    assert_error_shape(response, 400, "too_deep")
    assert Declaration.objects.count() == 0


def test_json_just_past_the_depth_limit_is_refused_and_at_the_limit_it_is_read(settings):
    settings.SW_MAX_JSON_DEPTH = 5
    client = APIClient()
    at_limit = client.post("/api/v1/auth/token", b"[[[[[1]]]]]", content_type="application/json")
    past = client.post("/api/v1/auth/token", b"[[[[[[1]]]]]]", content_type="application/json")

    assert at_limit.status_code == 400
    assert at_limit.json()["errors"][0]["code"] != "too_deep"  # read, then refused as no credentials
    assert_error_shape(past, 400, "too_deep")


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b'{"username": NaN}', "NaN is not a JSON number"),
        (b'{"username": Infinity}', "Infinity is not a JSON number"),
        (b'{"username": 1' + b"0" * 5000 + b"}", "Exceeds the limit"),
        (b'{"username": "\xff"}', "not UTF-8"),
        (b'{"username": ', "Expecting value"),
    ],
    ids=["nan", "infinity", "5000-digit-integer", "latin1", "truncated"],
)
def test_bodies_that_are_not_strict_json_are_a_400_naming_the_problem(body, fragment):
    response = APIClient().post("/api/v1/auth/token", body, content_type="application/json")

    error = assert_error_shape(response, 400, "not_json")
    assert fragment in error["message"]


def test_json_body_over_the_cap_is_a_413_before_parsing(settings, broker):
    settings.SW_MAX_JSON_BYTES = 1000
    response = client_for(broker).post(
        "/api/v1/declarations", b"[" + b"1," * 1000 + b"1]", content_type="application/json"
    )

    assert_error_shape(response, 413, "too_large")


def test_a_real_declaration_is_well_inside_the_depth_limit():
    assert json_depth(import_payload()) < 32 // 4


# --- query parameters and path ids ---------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        {"page": "99999999999999999999"},
        {"page": "-5"},
        {"page": "1e309"},
        {"page_size": "99999999999999999999"},
        {"page_size": "-1"},
    ],
)
@pytest.mark.parametrize("path", ["/api/v1/reviews", "/api/v1/declarations", "/api/v1/notifications"])
def test_absurd_page_numbers_are_a_4xx(path, query, supervisor):
    response = client_for(supervisor).get(path, query)

    if response.status_code == 200:  # page_size is not a parameter of this API: ignored
        assert "page_size" in query
    else:
        assert_error_shape(response, 404)  # "Invalid page.", as for any page past the end


@pytest.mark.parametrize("value", ["1e309", "-5", "inf", "nan", "99999999999999999999", "abc"])
def test_absurd_min_age_hours_is_a_400_naming_the_parameter(value, supervisor):
    response = client_for(supervisor).get("/api/v1/reviews", {"min_age_hours": value})

    error = assert_error_shape(response, 400)
    assert error["pointer"] == "min_age_hours"


def test_min_age_hours_within_bounds_still_filters(supervisor):
    assert client_for(supervisor).get("/api/v1/reviews", {"min_age_hours": "87600"}).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/reviews/99999999999999999999",
        "/api/v1/reviews/9223372036854775808",
        "/api/v1/attachments/99999999999999999999",
        "/api/v1/declarations/" + "9" * 200,
    ],
)
def test_ids_beyond_bigint_are_a_404(path, supervisor):
    assert_error_shape(client_for(supervisor).get(path), 404)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/declarations/%00",
        "/api/v1/declarations/a%00b/xml",
        "/api/v1/declarations/%00/release-note",
    ],
)
def test_a_nul_byte_in_an_mrn_is_a_404(path, supervisor, importer):
    for user in (supervisor, importer):
        assert_error_shape(client_for(user).get(path), 404)


def test_a_nul_byte_in_an_mrn_on_a_page_is_a_404(client, importer, supervisor):
    client.force_login(importer)
    assert client.get("/declarations/%00/").status_code == 404
    client.force_login(supervisor)
    assert client.get("/clearance/declarations/%00/").status_code == 404
    assert client.get("/clearance/declarations/%00/release-note/").status_code == 404


def test_an_idempotency_key_with_control_characters_is_a_400(broker):
    response = client_for(broker).post(
        "/api/v1/declarations", import_payload(), format="json", headers={"Idempotency-Key": "a\x00b"}
    )
    assert_error_shape(response, 400, "idempotency_key_invalid")
    assert not Declaration.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/reviews/99999999999999999999/claim",
        "/api/v1/notifications/99999999999999999999/read",
        "/api/v1/information-requests/99999999999999999999/answer",
    ],
)
def test_posts_to_ids_beyond_bigint_are_a_404(path, supervisor, importer):
    for user in (supervisor, importer):
        assert_error_shape(client_for(user).post(path, {}, format="json"), 404)


@pytest.mark.parametrize(
    "value",
    [
        "0000-01-01",
        "99999-01-01",
        "2026-02-30",
        "2026-13-01",
        "yesterday",
        "0001-01-01T00:00:00+05:00",  # year 0 in UTC
        "9999-12-31T23:00:00-05:00",  # year 10000 in UTC
    ],
)
@pytest.mark.parametrize("name", ["accepted_from", "accepted_to"])
def test_impossible_dates_in_the_declarations_filter_are_a_400(name, value, importer):
    response = client_for(importer).get("/api/v1/declarations", {name: value})

    error = assert_error_shape(response, 400)
    assert error["pointer"] == name


@pytest.mark.parametrize(
    "value", ["0152-08-22T05:52:58-19:31", "2026-01-01T00:00:00+23:59", "0001-01-01T00:00:00-05:00"]
)
def test_offsets_postgresql_cannot_hold_are_read_in_utc(value, importer):
    # Python reads offsets up to ±23:59, PostgreSQL only to ±15:59: found by the fuzzing test.
    response = client_for(importer).get("/api/v1/declarations", {"accepted_from": value})

    assert response.status_code == 200
    assert response.json()["count"] == 0


# --- HTML pages' filters -------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0000-01-01", "99999-01-01", "2026-02-30"])
def test_declarations_page_with_impossible_dates_shows_the_list_unfiltered(client, importer, value):
    client.force_login(importer)
    response = client.get("/declarations/", {"accepted_from": value, "accepted_to": value, "page": "9" * 30})

    assert response.status_code == 200


def test_queue_page_with_absurd_filters_answers_the_page(client, customs_officer):
    client.force_login(customs_officer)
    response = client.get(
        "/agencies/queue/",
        {"age": "1e309", "tab": "x" * 500, "page": "-99999999999999999999", "hs_prefix": "9" * 99},
    )

    assert response.status_code == 200


# --- errors Django answers itself, and exceptions nobody expected --------------------------------


def test_unknown_api_path_is_a_json_404_and_an_unknown_page_stays_html(client):
    api = client.get("/api/v1/no-such-thing")
    page = client.get("/no-such-page/")

    error = assert_error_shape(api, 404, "not_found")
    assert "/api/v1/no-such-thing" in error["message"]
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")


def test_unexpected_exception_in_an_api_view_is_a_json_500_with_a_reference(monkeypatch, importer, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("the database caught fire")

    monkeypatch.setattr("declarations.selectors.declarations_visible_to", broken)
    client = Client(raise_request_exception=False)
    client.force_login(importer)

    response = client.get("/api/v1/declarations")

    error = assert_error_shape(response, 500, "server_error")
    assert "fire" not in response.content.decode()  # nothing of the exception reaches the client
    reference = error["message"].split("reference ")[1].rstrip(".")
    assert any(reference in r.getMessage() and r.exc_info for r in caplog.records)


def test_unexpected_exception_in_a_page_is_still_djangos_500(monkeypatch, importer):
    def broken(*args, **kwargs):
        raise RuntimeError("the database caught fire")

    monkeypatch.setattr("declarations.selectors.declarations_visible_to", broken)
    client = Client(raise_request_exception=False)
    client.force_login(importer)

    response = client.get("/declarations/")

    assert response.status_code == 500
    assert not response["Content-Type"].startswith("application/json")


def test_form_body_over_djangos_upload_limit_is_a_json_400(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    client = Client(raise_request_exception=False)

    response = client.post("/api/v1/auth/token", {"username": "x" * 1000, "password": "y"})

    error = assert_error_shape(response, 400, "bad_request")
    assert "exceeded" in error["message"]
