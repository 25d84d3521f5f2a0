"""The vendor test kit: its examples get the answers the kit promises, its conformance check says
what lodging would answer, and its document lists every error code lodgement can give."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.models import User
from clearance.demo import seed_demo
from clearance.vendor_kit import examples, examples_write
from declarations.models import Declaration
from declarations.wco.reader import read_declaration

from ..conftest import SAMPLES

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
KIT = ROOT / "docs" / "vendor-kit.md"
EXAMPLES = {e.name: e for e in examples()}


@pytest.fixture
def demo() -> None:
    seed_demo()


def client_as(username: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(User.objects.get(username=username))
    return client


def post(client: APIClient, path: str, example) -> object:
    content_type = "application/json" if example.name.endswith(".json") else "application/xml"
    return client.post(path, example.content(), content_type=content_type)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_each_example_gets_the_answer_the_kit_promises_from_validate_and_then_lodgement(demo, name):
    example = EXAMPLES[name]
    client = client_as(example.lodge_as)
    checked = post(client, "/api/v1/declarations/validate", example).json()
    lodged = post(client, "/api/v1/declarations", example)
    assert checked["lodgement_status"] == lodged.status_code == example.status, lodged.json()
    if example.error:
        # Exactly one error, the one the kit names.
        assert [e["code"] for e in lodged.json()["errors"]] == [example.error]
        assert [e["code"] for e in checked["errors"]] == [example.error]
        assert not Declaration.objects.exists()
    else:
        assert lodged.json()["warnings"] == []
        assert Declaration.objects.get().mrn == lodged.json()["mrn"]


def test_an_accepted_example_sent_again_returns_the_same_declaration(demo):
    example = EXAMPLES["01-import-accepted.xml"]
    client = client_as("importer")
    first = post(client, "/api/v1/declarations", example)
    again = post(client, "/api/v1/declarations", example)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["mrn"] == again.json()["mrn"]


def test_the_xml_examples_are_the_writers_schema_valid_output_not_hmrc_samples():
    sample_lrns = set()
    for path in SAMPLES.rglob("*.xml"):
        sample_lrns.update(re.findall(rb"<FunctionalReferenceID>([^<]*)<", path.read_bytes()))
    for example in EXAMPLES.values():
        if example.body or example.name.endswith(".json"):
            continue
        read = read_declaration(example.content())
        assert [i.code for i in read.issues if i.code == "schema"] == [], example.name
        assert read.data.lrn.encode() not in sample_lrns


def test_examples_are_written_the_same_every_time_with_their_expected_answers(tmp_path):
    first = {p.name: p.read_bytes() for p in examples_write(tmp_path / "a")}
    second = {p.name: p.read_bytes() for p in examples_write(tmp_path / "b")}
    assert first == second
    expected = json.loads(first["expected.json"])
    assert set(expected) == set(EXAMPLES)
    assert expected["10-refused-net-mass-missing.xml"] == {
        "about": EXAMPLES["10-refused-net-mass-missing.xml"].about,
        "lodge_as": "importer",
        "status": 400,
        "error": "net_mass_missing",
    }


def test_vendor_check_says_per_file_what_lodging_would_answer(demo, tmp_path, capsys):
    examples_write(tmp_path)
    files = [
        str(tmp_path / n)
        for n in ("01-import-accepted.xml", "04-import-accepted.json", "10-refused-net-mass-missing.xml")
    ]
    with pytest.raises(SystemExit) as exit_status:
        call_command("vendor_check", *files, "--as", "importer", "--json")
    assert exit_status.value.code == 1
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(line["lodgement_status"], line["valid"]) for line in lines] == [
        (201, True),
        (201, True),
        (400, False),
    ]
    assert lines[2]["errors"][0]["pointer"] == "67A/68A[1]/23A/65A NetNetWeightMeasure"
    assert not Declaration.objects.exists()


def test_vendor_check_in_text_names_the_declaration_lodged_before(demo, tmp_path, capsys):
    examples_write(tmp_path)
    path = tmp_path / "01-import-accepted.xml"
    mrn = (
        client_as("importer")
        .post("/api/v1/declarations", path.read_bytes(), content_type="application/xml")
        .json()["mrn"]
    )
    call_command("vendor_check", str(path), "--as", "importer")
    out = capsys.readouterr().out
    assert f"200 lodged before as {mrn}" in out
    # Another trader's check is told nothing about it.
    with pytest.raises(SystemExit):
        call_command("vendor_check", str(path), "--as", "exporter")
    out = capsys.readouterr().out
    assert mrn not in out
    assert "not_authorised_declarant" in out


def test_vendor_check_answers_unreadable_and_broken_files_without_failing(demo, tmp_path, capsys):
    broken = tmp_path / "broken.json"
    broken.write_text("{nope")
    with pytest.raises(SystemExit):
        call_command("vendor_check", str(tmp_path / "missing.xml"), str(broken), "--as", "importer", "--json")
    codes = [json.loads(line)["errors"][0]["code"] for line in capsys.readouterr().out.splitlines()]
    assert codes == ["unreadable", "not_json"]


def test_the_kit_lists_every_error_code_lodgement_can_give():
    """Codes written literally where lodgement's stages raise them (parser, reader, schema, rules,
    validation, checking, services, the API's parsers and idempotency). A new code needs a line in
    docs/vendor-kit.md; codes passed through a variable are not seen by this scan."""
    stages = [
        *sorted((ROOT / "declarations" / "rules").glob("*.py")),
        *(ROOT / "declarations" / name for name in ("validation.py", "checking.py", "services.py")),
        *(ROOT / "declarations" / "wco" / name for name in ("parser.py", "reader.py", "schema.py")),
        ROOT / "singlewindow" / "parsers.py",
        ROOT / "singlewindow" / "api.py",
    ]
    raised = re.compile(
        r"\b(?:_error|_warning|_missing|Issue|XmlRejected|DomainError|Conflict|LrnConflict|BodyTooLarge)"
        r"\(\s*(?:code=)?\"([a-z][a-z_0-9]+)\"|\"code\": \"([a-z][a-z_0-9]+)\""
    )
    codes = {a or b for path in stages for a, b in raised.findall(path.read_text())}
    assert len(codes) > 80  # the scan finds them
    documented = set(re.findall(r"`([a-z][a-z_0-9]+)`", KIT.read_text()))
    assert sorted(codes - documented) == []
