"""The vendor test kit's example messages, made from the demo data with the portal's own XML writer.

Each example is a canonical declaration (``DeclarationData``) between the demo trader accounts
(``clearance.demo``), written as WCO DM 3.6 XML by ``declarations.wco.writer`` (one also as the
canonical JSON), with the answer lodging it should get: who lodges it, the HTTP status, and for a
refused one the single error code expected. None of HMRC's samples is shipped: those stay in
../shared and are only read by the tests. ``manage.py vendor_examples DIR`` writes the files and
an ``expected.json``; ``manage.py vendor_check`` says what the portal would answer for any file.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

from declarations.canonical import DeclarationData, DocumentData, DocumentKind, ItemData, PartyData, PartyRole
from declarations.wco.writer import write_declaration

from .demo import ACCOUNTS

# The demo accounts the examples are between (clearance.demo.ACCOUNTS), and who lodges them.
IMPORTER_EORI = "GB553202734852"  # Clipper Imports Ltd: demo user "importer" is a member
EXPORTER_EORI = "GB427168118378"  # Albion Sports Goods Ltd: demo user "exporter"
BROKER_EORI = "GB603202734852"  # Harbour Customs Brokers Ltd: demo user "broker" represents all
assert {IMPORTER_EORI, EXPORTER_EORI, BROKER_EORI} <= {eori for eori, _name, _broker in ACCOUNTS}


@dataclass(frozen=True)
class Example:
    name: str  # file name
    about: str  # what it shows, for expected.json and the kit's table
    lodge_as: str  # the demo user who lodges it
    status: int  # what POST /api/v1/declarations answers
    error: str = ""  # the one error code of a refused example
    data: DeclarationData | None = None
    body: bytes = b""  # a hand-made body (a hostile message), instead of ``data``

    def content(self) -> bytes:
        if self.body:
            return self.body
        assert self.data is not None
        if self.name.endswith(".json"):
            return (json.dumps(self.data.to_dict(), indent=2, sort_keys=True) + "\n").encode()
        return write_declaration(self.data)


def _import() -> DeclarationData:
    """An H1 free-circulation import of electrical goods from the United States, two items."""
    return DeclarationData(
        type_code="IM",
        additional_type="A",
        lrn="KIT-IM-0001",
        goods_item_quantity=2,
        total_package_quantity=60,
        invoice_amount=Decimal("2400"),
        invoice_currency="GBP",
        parties=[
            PartyData(PartyRole.DECLARANT, eori=IMPORTER_EORI),
            PartyData(PartyRole.IMPORTER, eori=IMPORTER_EORI),
            PartyData(
                PartyRole.EXPORTER,
                name="Lakeside Appliances Inc.",
                street="400 Harbor Road",
                city="Baltimore",
                postcode="MD 21230",
                country="US",
            ),
        ],
        supervising_office="GBLBA001",
        border_transport_mode="1",
        border_transport_nationality="US",
        arrival_transport_id="9300401",
        arrival_transport_id_type="10",
        container=True,
        goods_location="WLALONBTW",
        goods_location_type="A",
        goods_location_qualifier="U",
        goods_location_country="GB",
        destination_country="GB",
        export_country="US",
        transaction_nature="1",
        delivery_terms="CIF",
        delivery_location="GBWLA",
        documents=[DocumentData(DocumentKind.PREVIOUS, code="ZDCR", reference="4GB553202734852-KIT01")],
        items=[
            ItemData(
                sequence=1,
                description="Parts of electric shavers: cutter heads",
                commodity_code="85109000",
                origin_country="US",
                origin_type="1",
                procedure_code="4000",
                additional_procedure_codes=["000"],
                net_mass=Decimal("120"),
                gross_mass=Decimal("140"),
                value_amount=Decimal("1600"),
                value_currency="GBP",
                valuation_method="1",
                package_count=40,
                package_type="BX",
                package_marks="LAI-40/1",
                documents=[
                    DocumentData(DocumentKind.ADDITIONAL, code="N935", reference="KIT-INV-77", status="AC")
                ],
            ),
            ItemData(
                sequence=2,
                description="Hair clippers with self-contained electric motor",
                commodity_code="85102000",
                origin_country="US",
                origin_type="1",
                procedure_code="4000",
                additional_procedure_codes=["000"],
                net_mass=Decimal("35.5"),
                gross_mass=Decimal("41"),
                value_amount=Decimal("800"),
                value_currency="GBP",
                valuation_method="1",
                package_count=20,
                package_type="CT",
                package_marks="LAI-20/2",
                documents=[
                    DocumentData(DocumentKind.ADDITIONAL, code="N935", reference="KIT-INV-77", status="AC")
                ],
            ),
        ],
    )


def _export() -> DeclarationData:
    """A permanent export of sports goods to Canada, one item, by the exporter itself."""
    return DeclarationData(
        type_code="EX",
        additional_type="A",
        lrn="KIT-EX-0001",
        goods_item_quantity=1,
        total_package_quantity=12,
        invoice_amount=Decimal("5200"),
        invoice_currency="GBP",
        parties=[
            PartyData(PartyRole.DECLARANT, eori=EXPORTER_EORI),
            PartyData(PartyRole.EXPORTER, eori=EXPORTER_EORI),
            PartyData(
                PartyRole.CONSIGNEE,
                name="Maple Leaf Sports Ltd",
                street="12 Front Street",
                city="Toronto",
                postcode="M5J 2N1",
                country="CA",
            ),
        ],
        exit_office="GB000084",
        border_transport_mode="4",
        border_transport_nationality="GB",
        inland_transport_mode="4",
        departure_transport_id="GB427052534",
        departure_transport_id_type="41",
        container=True,
        goods_location="CBRLHRXAD",
        goods_location_type="A",
        goods_location_qualifier="U",
        goods_location_country="GB",
        destination_country="CA",
        export_country="GB",
        transaction_nature="11",
        documents=[
            DocumentData(DocumentKind.PREVIOUS, code="ZDCR", reference="3GB427168118378-KIT02", line=1)
        ],
        items=[
            ItemData(
                sequence=1,
                description="Tennis rackets, strung",
                commodity_code="95065100",
                procedure_code="1040",
                additional_procedure_codes=["000"],
                net_mass=Decimal("48"),
                gross_mass=Decimal("60"),
                statistical_value=Decimal("5200"),
                statistical_currency="GBP",
                package_count=12,
                package_type="CT",
                package_marks="ASG-KIT-12",
            )
        ],
    )


def _broker_import() -> DeclarationData:
    """The import again, lodged by the customs broker as direct representative (DE 3/21 code 2)."""
    data = _import()
    data.lrn = "KIT-IM-0002"
    data.representation_code = "2"
    data.parties[0] = PartyData(PartyRole.DECLARANT, eori=BROKER_EORI)
    data.parties.append(PartyData(PartyRole.REPRESENTATIVE, eori=BROKER_EORI))
    return data


def _with_item(data: DeclarationData, lrn: str, **changes: object) -> DeclarationData:
    """``data`` with a new LRN and the first goods item changed: one error, at one place."""
    data = copy.deepcopy(data)
    data.lrn = lrn
    data.items[0] = replace(data.items[0], **changes)  # type: ignore[arg-type]
    return data


def examples() -> list[Example]:
    """Every example of the kit, in the order the kit's table lists them."""
    imported = _import()
    as_json = copy.deepcopy(imported)
    as_json.lrn = "KIT-IM-0003"
    long_lrn = copy.deepcopy(imported)
    long_lrn.lrn = "KIT-IM-LRN-LONGER-THAN-22"
    doctype = write_declaration(replace(imported, lrn="KIT-IM-0099")).replace(
        b"?>", b'?>\n<!DOCTYPE md:MetaData [<!ENTITY kit "kit">]>', 1
    )
    return [
        Example("01-import-accepted.xml", "An import (H1), two goods items", "importer", 201, data=imported),
        Example("02-export-accepted.xml", "An export (B1), one goods item", "exporter", 201, data=_export()),
        Example(
            "03-import-by-broker-accepted.xml",
            "An import lodged by a customs broker as direct representative",
            "broker",
            201,
            data=_broker_import(),
        ),
        Example("04-import-accepted.json", "The import as canonical JSON", "importer", 201, data=as_json),
        Example(
            "10-refused-net-mass-missing.xml",
            "Goods item 1 without its net mass (DE 6/1)",
            "importer",
            400,
            "net_mass_missing",
            data=_with_item(imported, "KIT-IM-0010", net_mass=None),
        ),
        Example(
            "11-refused-commodity-code-unknown.xml",
            "Goods item 1 with a commodity code not in the HS nomenclature (DE 6/14)",
            "importer",
            400,
            "hs_unknown",
            data=_with_item(imported, "KIT-IM-0011", commodity_code="99999900"),
        ),
        Example(
            "12-refused-procedure-code-unknown.xml",
            "Goods item 1 with a procedure code that does not exist (DE 1/10)",
            "importer",
            400,
            "procedure_code_unknown",
            data=_with_item(imported, "KIT-IM-0012", procedure_code="9999"),
        ),
        Example(
            "13-refused-lrn-too-long.xml",
            "An LRN longer than 22 characters (DE 2/5)",
            "importer",
            400,
            "lrn_too_long",
            data=long_lrn,
        ),
        Example(
            "14-refused-doctype.xml",
            "A message with a DOCTYPE: refused before it is read",
            "importer",
            400,
            "doctype",
            body=doctype,
        ),
    ]


def examples_write(directory: Path) -> list[Path]:
    """Write every example and ``expected.json`` into ``directory``; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    expected = {}
    for example in examples():
        path = directory / example.name
        path.write_bytes(example.content())
        written.append(path)
        expected[example.name] = {
            "about": example.about,
            "lodge_as": example.lodge_as,
            "status": example.status,
            "error": example.error or None,
        }
    manifest = directory / "expected.json"
    manifest.write_text(json.dumps(expected, indent=2) + "\n")
    written.append(manifest)
    return written
