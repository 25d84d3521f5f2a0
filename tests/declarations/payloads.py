"""Valid declarations as the JSON API takes them, modelled on the real HMRC import sample IM001a."""

from __future__ import annotations

import copy
from typing import Any

IMPORT: dict[str, Any] = {
    "type_code": "IM",
    "additional_type": "A",
    "function_code": "9",
    "lrn": "API-IM-0001",
    "goods_item_quantity": 2,
    "total_package_quantity": 80,
    "invoice_amount": "1500",
    "invoice_currency": "GBP",
    "parties": [
        {"role": "declarant", "eori": "GB553202734852"},
        {"role": "importer", "eori": "GB553202734852"},
        {
            "role": "exporter",
            "name": "US Clipper Inc.",
            "street": "1 Shaver Street",
            "city": "New York",
            "postcode": "NY1 234",
            "country": "US",
        },
    ],
    "supervising_office": "GBLBA001",
    "border_transport_mode": "1",
    "border_transport_nationality": "US",
    "arrival_transport_id": "12345",
    "arrival_transport_id_type": "10",
    "container": True,
    "goods_location": "WLALONBTW",
    "goods_location_type": "A",
    "goods_location_qualifier": "U",
    "goods_location_country": "GB",
    "destination_country": "GB",
    "export_country": "US",
    "transaction_nature": "1",
    "delivery_terms": "CIF",
    "delivery_location": "GBWLA",
    "documents": [{"kind": "previous", "code": "ZDCR", "reference": "4GB553202734852-12345"}],
    "items": [
        {
            "sequence": 1,
            "description": "Parts for electric shavers",
            "commodity_code": "85109000",
            "origin_country": "US",
            "origin_type": "1",
            "procedure_code": "4000",
            "additional_procedure_codes": ["000"],
            "net_mass": "100",
            "gross_mass": "150",
            "value_amount": "1000",
            "value_currency": "GBP",
            "valuation_method": "1",
            "package_count": 50,
            "package_type": "BX",
            "package_marks": "BX-1234228/34",
            "documents": [{"code": "N935", "reference": "12345/19.01.2024", "status": "AC"}],
        },
        {
            "sequence": 2,
            "description": "Hair clippers with self-contained electric motor",
            "commodity_code": "85102000",
            "origin_country": "CN",
            "origin_type": "1",
            "procedure_code": "4000",
            "additional_procedure_codes": ["000"],
            "net_mass": "40.5",
            "gross_mass": "52",
            "value_amount": "500",
            "value_currency": "GBP",
            "valuation_method": "1",
            "package_count": 30,
            "package_type": "CT",
            "package_marks": "CT-77/1",
            "documents": [{"code": "N935", "reference": "12345/19.01.2024", "status": "AC"}],
        },
    ],
}


def import_payload(**changes: Any) -> dict[str, Any]:
    payload = copy.deepcopy(IMPORT)
    payload.update(changes)
    return payload
