"""Hand-built canonical declarations that pass every rule, for tests to break one field at a time.

``valid_import`` follows HMRC's IM001a scenario (shaver parts from the US, procedure 4000);
``valid_export`` the TT1 export (vanity cases to the US through exit office GB000093).
"""

from __future__ import annotations

from decimal import Decimal

from declarations.canonical import (
    DeclarationData,
    DocumentData,
    DocumentKind,
    Issue,
    ItemData,
    PartyData,
    PartyRole,
)


def import_item(sequence: int = 1, **changes: object) -> ItemData:
    item = ItemData(
        sequence=sequence,
        description="Parts for electric shavers",
        commodity_code="85109000",
        origin_country="US",
        origin_type="1",
        procedure_code="4000",
        additional_procedure_codes=["000"],
        net_mass=Decimal("100"),
        gross_mass=Decimal("150"),
        value_amount=Decimal("1000"),
        value_currency="GBP",
        package_count=50,
        package_type="BX",
        documents=[DocumentData(kind=DocumentKind.ADDITIONAL, code="N935", reference="12345", status="AC")],
    )
    for name, value in changes.items():
        setattr(item, name, value)
    return item


def build_import(items: int = 1) -> DeclarationData:
    return DeclarationData(
        type_code="IM",
        additional_type="A",
        function_code="9",
        lrn="U.7847767E1WB6",
        goods_item_quantity=items,
        total_package_quantity=50 * items,
        invoice_amount=Decimal(1000 * items),
        invoice_currency="GBP",
        parties=[
            PartyData(role=PartyRole.DECLARANT, eori="GB603202734852"),
            PartyData(role=PartyRole.IMPORTER, eori="GB553202734852"),
            PartyData(
                role=PartyRole.EXPORTER,
                name="US Clipper Inc.",
                street="1 Shaver Street",
                city="New York",
                postcode="NY1 234",
                country="US",
            ),
        ],
        supervising_office="GBLBA001",
        border_transport_nationality="US",
        goods_location_country="GB",
        destination_country="GB",
        export_country="US",
        documents=[DocumentData(kind=DocumentKind.PREVIOUS, code="ZDCR", reference="4GB553202734852-12345")],
        items=[import_item(n) for n in range(1, items + 1)],
    )


def build_export() -> DeclarationData:
    return DeclarationData(
        type_code="EX",
        additional_type="D",
        function_code="9",
        lrn="Export_Accepted",
        goods_item_quantity=1,
        total_package_quantity=55,
        parties=[
            PartyData(role=PartyRole.DECLARANT, eori="GB427168118378"),
            PartyData(role=PartyRole.EXPORTER, eori="GB427168118378"),
        ],
        exit_office="GB000093",
        border_transport_nationality="US",
        destination_country="US",
        export_country="GB",
        items=[
            ItemData(
                sequence=1,
                description="Vanity case with outer surface made of plastic sheet",
                commodity_code="42021219",
                procedure_code="1040",
                additional_procedure_codes=["000"],
                net_mass=Decimal("100"),
                gross_mass=Decimal("150"),
                statistical_value=Decimal("1000"),
                package_count=55,
                package_type="PK",
            )
        ],
    )


def codes(issues: list[Issue], severity: str | None = None) -> list[tuple[str, str]]:
    """``(code, field)`` of each issue, optionally only those of one severity."""
    return [(i.code, i.field) for i in issues if severity is None or i.severity == severity]
