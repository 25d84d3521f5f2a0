"""Regenerate the reference-data files in this package from the shared public data.

The portal validates declarations offline, so the facts it checks against (the HS 2022
nomenclature, HMRC's code lists) ship inside the project. This script is how they were derived,
so anyone can reproduce or refresh them:

    .venv/bin/python -m declarations.refdata.build [path/to/shared/data]

It writes, next to this file:

- ``hs2022.csv.gz``: ``code,description`` for every HS 2022 chapter (2 digits), heading (4) and
  subheading (6), from ``hs/harmonized-system.csv`` without UN Comtrade's chapter 99 (gzip with a
  fixed timestamp, so an unchanged source gives byte-identical output).
- ``hs_edition_changes.json``: HS 2017 subheadings that HS 2022 removed, with their successors
  (the table below; every successor is checked to exist in HS 2022 and every removed code to be
  absent).
- ``countries.json``, ``currencies.json``, ``offices_of_exit.json``, ``customs_offices.json``,
  ``package_types.json``: ``{code: English name}`` from HMRC's code lists.
- ``procedure_codes.json``: the DE 1/10 procedure codes, ``combined`` (four digits: HMRC's export
  list, the import codes of CDS Appendix 1 and the export clearance request codes in ``sources/``,
  and every code an accepted HMRC sample declares), ``parts`` (the two-digit halves of those, plus
  ``SAMPLE_PROCEDURE_CODES``) and ``allowed_additional`` (for each combined code the DE 1/11 codes
  it may be declared with, where a source lists them).
- ``additional_procedure_codes.json``: DE 1/11 codes, HMRC's export list
  (``additionalProcedureCodes.json``), the import codes of CDS Appendix 2 and the export clearance
  request codes in ``sources/``, and every code an accepted HMRC sample declares (see
  ``sample_codes``).

``sources/`` holds the facts that are not in the shared data, each file naming the public
repository, path and commit it was transcribed from.
- ``document_codes.json``: DE 2/3 document codes (and the DE 2/6 deferment type ``1DAN``, which
  DMS sends as a header ``AdditionalDocument``), HMRC's ``additionalDocumentCodes.json`` and every
  code an accepted HMRC sample declares.
- ``goods_locations.json``: DE 5/23 locations of goods HMRC lists (airports, maritime ports and
  wharves; all of type A, qualifier U), keyed by the identification a declaration sends as
  ``GoodsLocation/Name`` (the code after its country, type and qualifier: ``GBAUBELBFSBEL`` is
  ``BELBFSBEL``), with the name and country. A partial list: inland locations and authorised
  premises are not in it, so it suggests and never refuses.
- ``payment_methods.json``: DE 4/8 methods of payment, from ``sources/cds_payment_methods.json``.
- ``tax_types.json``: DE 4/3 tax types, ``sources/cds_tax_types.json`` and every tax type an accepted
  HMRC sample declares in a DutyTaxFee (see ``sample_tax_types``).
- ``header_document_codes.json``: the document codes that, declared once for the whole declaration
  (at header level), cover every goods item: the codes HMRC's accepted samples declare at header
  level. Anything else (a licence, a certificate) must be declared on the goods item it covers.

Only the standard library is used: the script must run before anything else is installed.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import sys
import xml.etree.ElementTree as ET  # noqa: S405  (HMRC's published samples, not input; see sample_codes)
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "sources"
DEFAULT_SOURCE = HERE.parents[2] / "shared" / "data"

# HS 2017 subheadings that the HS 2022 edition deleted, each split into the listed HS 2022
# subheadings. Only changes we are sure of: chapter 97 was reorganised by age of the object.
HS_2017_TO_2022: dict[str, list[str]] = {
    "970110": ["970121", "970191"],  # paintings, drawings, pastels: over / not over 100 years
    "970190": ["970122", "970129", "970192", "970199"],  # collages, mosaics, plaques
    "970200": ["970210", "970290"],  # original engravings, prints, lithographs
    "970300": ["970310", "970390"],  # original sculptures and statuary
    "970500": ["970510", "970521", "970522", "970529", "970531", "970539"],  # collections
    "970600": ["970610", "970690"],  # antiques: over 250 years / 100-250 years
}

# HMRC's procedureCodes.json lists only 16 combined export codes (1040, 3171, ...), yet accepted
# HMRC trade-test declarations use many more. Each DE 1/10 code is a requested and a previous
# procedure, two digits each; the rules accept a code when both halves are procedure codes that
# HMRC's list or one of its accepted samples uses. These are the halves only the samples show.
SAMPLE_PROCEDURE_CODES: dict[str, str] = {
    "02": "TT_IM005a, 0002: customs clearance request for release to free circulation",
    "14": "TT_EX031a, 0014: goods removed from temporary storage or a free zone and re-exported",
    "15": "TT_EX016a, 0015: UK goods released for temporary export",
    "20": "TT_IM072a, 0020: BIRDS customs clearance request",
    "61": "TT_IM092a, 6123: re-import with release for free circulation",
    "90": "TT_IM061a, 0090: final supplementary declaration",
}


# The HMRC code lists in the shared data come from HMRC's export declaration service, so they are
# narrower than CDS accepts: ``additionalProcedureCodes.json`` holds only the 65 DE 1/11 codes of
# exports (no ``1H7``, ``C07``, ``F15`` ...), and ``additionalDocumentCodes.json`` only the 160 DE
# 2/3 codes that need a reason when no document is produced (no ``N935``, ``C505`` ...). HMRC
# accepted its own trade-test samples with those codes, so the shipped lists add every code an
# accepted sample declares; a code CDS accepts that is in neither is added by an administrator
# (``ReferenceCode``) until a fuller list is shipped.
ACCEPTED_SAMPLES = ("wco-dms/samples/imports/*.xml", "wco-dms/samples/exports/*.xml")
ACCEPTED_TT1 = "wco-dms/hmrc-tt1/*/Accepted/Declaration/*.xml"


def _read_json(path: Path) -> list[dict[str, object]]:
    # Several HMRC files start with a UTF-8 byte-order mark.
    with path.open(encoding="utf-8-sig") as f:
        data = json.load(f)
    assert isinstance(data, list), path
    return data


def _names(path: Path) -> dict[str, str]:
    return {str(row["code"]).strip(): str(row["en"]).strip() for row in _read_json(path)}


def _write_json(out: Path, name: str, data: object) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    (out / name).write_text(text, encoding="utf-8")


def _local(element: ET.Element) -> str:
    return element.tag.rpartition("}")[2]


def _child_text(element: ET.Element, name: str) -> str | None:
    child = next((c for c in element if _local(c) == name), None)
    return None if child is None else (child.text or "").strip()


def sample_procedure_codes(source: Path) -> dict[str, str]:
    """The four-digit DE 1/10 procedure codes of HMRC's accepted samples (``CurrentCode`` followed by
    ``PreviousCode`` of a goods item's ``GovernmentProcedure``), each described by its first sample."""
    paths = [p for pattern in ACCEPTED_SAMPLES for p in sorted(source.glob(pattern))]
    paths += sorted(source.glob(ACCEPTED_TT1))
    codes: dict[str, str] = {}
    for path in paths:
        root = ET.parse(path).getroot()  # noqa: S314  (HMRC's published samples, see sample_codes)
        for element in root.iter():
            if _local(element) != "GovernmentProcedure":
                continue
            current, previous = _child_text(element, "CurrentCode"), _child_text(element, "PreviousCode")
            if current and previous and len(current + previous) == 4:
                codes.setdefault(current + previous, f"accepted HMRC sample: {path.stem.split('__')[0]}")
    return codes


def _source(name: str) -> dict[str, object]:
    with (SOURCES / name).open(encoding="utf-8") as f:
        data = json.load(f)
    assert isinstance(data, dict) and "_source" in data, name
    return data


def _source_procedures(name: str) -> dict[str, tuple[str, list[str]]]:
    codes = _source(name)["codes"]
    assert isinstance(codes, dict), name
    return {str(code): (str(entry[0]), [str(c) for c in entry[1]]) for code, entry in codes.items()}


def sample_codes(source: Path) -> tuple[dict[str, str], dict[str, str]]:
    """DE 2/3 document codes and DE 1/11 additional procedure codes of HMRC's accepted samples.

    Read as ``declarations.wco.reader`` maps them: a document code is the ``CategoryCode`` and
    ``TypeCode`` of an ``AdditionalDocument`` of the declaration or of a goods item; an additional
    procedure code is the ``CurrentCode`` of a goods item's ``GovernmentProcedure`` that has no
    ``PreviousCode`` and three characters. Each code is described by the first sample using it.
    """
    paths = [p for pattern in ACCEPTED_SAMPLES for p in sorted(source.glob(pattern))]
    paths += sorted(source.glob(ACCEPTED_TT1))
    assert paths, f"no accepted samples under {source}"
    documents: dict[str, str] = {}
    procedures: dict[str, str] = {}
    for path in paths:
        why = f"accepted HMRC sample: {path.stem.split('__')[0]}"
        # HMRC's own published files, read once at build time: no DTD or entity in any of them.
        root = ET.parse(path).getroot()  # noqa: S314
        for element in root.iter():
            if _local(element) not in ("Declaration", "GovernmentAgencyGoodsItem"):
                continue
            for child in element:
                if _local(child) == "AdditionalDocument":
                    code = (_child_text(child, "CategoryCode") or "") + (_child_text(child, "TypeCode") or "")
                    if code:
                        documents.setdefault(code, why)
                elif _local(child) == "GovernmentProcedure" and _child_text(child, "PreviousCode") is None:
                    code = _child_text(child, "CurrentCode") or ""
                    if len(code) == 3:
                        procedures.setdefault(code, why)
    return documents, procedures


def sample_header_document_codes(source: Path) -> dict[str, str]:
    """Document codes HMRC's accepted samples declare for the whole declaration (header level)."""
    paths = [p for pattern in ACCEPTED_SAMPLES for p in sorted(source.glob(pattern))]
    paths += sorted(source.glob(ACCEPTED_TT1))
    codes: dict[str, str] = {}
    for path in paths:
        root = ET.parse(path).getroot()  # noqa: S314  (HMRC's published samples, see sample_codes)
        for element in root.iter():
            if _local(element) != "Declaration":
                continue
            for child in element:
                if _local(child) == "AdditionalDocument":
                    code = (_child_text(child, "CategoryCode") or "") + (_child_text(child, "TypeCode") or "")
                    if code:
                        codes.setdefault(code, f"declared at header level in HMRC sample {path.stem}")
    return codes


def sample_tax_types(source: Path) -> dict[str, str]:
    """DE 4/3 tax types (DutyTaxFee TypeCode) HMRC's accepted samples declare."""
    paths = [p for pattern in ACCEPTED_SAMPLES for p in sorted(source.glob(pattern))]
    paths += sorted(source.glob(ACCEPTED_TT1))
    codes: dict[str, str] = {}
    for path in paths:
        root = ET.parse(path).getroot()  # noqa: S314  (HMRC's published samples, see sample_codes)
        for element in root.iter():
            if _local(element) == "DutyTaxFee" and (code := _child_text(element, "TypeCode")):
                codes.setdefault(code, f"accepted HMRC sample {path.stem}")
    return codes


def build_hs(source: Path, out: Path = HERE) -> dict[str, str]:
    """Chapters, headings and subheadings of HS 2022 as ``{code: description}``."""
    codes: dict[str, str] = {}
    with (source / "hs" / "harmonized-system.csv").open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            code = row["hscode"]
            # Section "TOTAL" rows are UN Comtrade's reporting aggregates (the total and chapter 99
            # "commodities not specified according to kind"), not part of the nomenclature.
            if row["section"] != "TOTAL" and code.isdigit() and len(code) in (2, 4, 6):
                codes[code] = row["description"].strip()
    for old, new in HS_2017_TO_2022.items():
        assert old not in codes, f"{old} still exists in HS 2022"
        missing = [n for n in new if n not in codes]
        assert not missing, f"successors of {old} missing from HS 2022: {missing}"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["code", "description"])
    writer.writerows(sorted(codes.items()))
    with gzip.GzipFile(out / "hs2022.csv.gz", "wb", compresslevel=9, mtime=0) as gz:
        gz.write(buffer.getvalue().encode("utf-8"))
    return codes


def build(source: Path = DEFAULT_SOURCE, out: Path = HERE) -> None:
    """Write every reference-data file derived from ``source`` into ``out``."""
    lists = source / "code-lists"
    build_hs(source, out)
    _write_json(out, "hs_edition_changes.json", HS_2017_TO_2022)
    _write_json(out, "countries.json", _names(lists / "countryCodes.json"))
    _write_json(out, "currencies.json", _names(lists / "currencyCodes.json"))
    _write_json(out, "offices_of_exit.json", _names(lists / "officeOfExits.json"))
    _write_json(out, "customs_offices.json", _names(lists / "customsOffices.json"))
    _write_json(out, "package_types.json", _names(lists / "packageTypes.json"))
    imports = _source_procedures("cds_import_procedure_codes.json")
    clearance = _source("cds_export_clearance_request_codes.json")
    clearance_codes = _source_procedures("cds_export_clearance_request_codes.json")
    combined = _names(lists / "procedureCodes" / "procedureCodes.json")
    for code, (description, _allowed) in [*imports.items(), *clearance_codes.items()]:
        combined.setdefault(code, description)
    for code, why in sample_procedure_codes(source).items():
        combined.setdefault(code, why)
    parts = {
        code[:2]: "HMRC procedureCodes.json"
        for code in _names(lists / "procedureCodes" / "procedureCodes.json")
    }
    parts.update(
        {
            code[2:]: "HMRC procedureCodes.json"
            for code in _names(lists / "procedureCodes" / "procedureCodes.json")
        }
    )
    for code in combined:
        for half in (code[:2], code[2:]):
            parts.setdefault(half, f"half of procedure code {code}")
    for code, why in SAMPLE_PROCEDURE_CODES.items():
        parts.setdefault(code, f"accepted HMRC sample: {why}")
    allowed: dict[str, list[str]] = {}
    for row in _read_json(lists / "procedureCodes" / "linkProcedureCodeToAdditionalProcedureCodes.json"):
        children = row["childCodes"]
        assert isinstance(children, list), row
        allowed[str(row["parentCode"])] = sorted(str(c) for c in children)
    for code, (_description, codes) in [*imports.items(), *clearance_codes.items()]:
        if codes:
            allowed.setdefault(code, sorted(set(codes)))
    _write_json(
        out, "procedure_codes.json", {"combined": combined, "parts": parts, "allowed_additional": allowed}
    )
    documents_used, procedures_used = sample_codes(source)
    additional = _names(lists / "procedureCodes" / "additionalProcedureCodes.json")
    import_additional = _source("cds_import_additional_procedure_codes.json")["codes"]
    clearance_additional = clearance["additional_codes"]
    assert isinstance(import_additional, dict) and isinstance(clearance_additional, dict)
    for code, description in [*import_additional.items(), *clearance_additional.items()]:
        additional.setdefault(str(code), str(description))
    for code, why in procedures_used.items():
        additional.setdefault(code, why)
    for code, listed in allowed.items():
        unknown = [c for c in listed if c not in additional]
        assert not unknown, f"procedure code {code} allows unlisted additional codes {unknown}"
    _write_json(out, "additional_procedure_codes.json", additional)
    documents = {
        str(row["parentCode"]).strip(): "HMRC additionalDocumentCodes.json (a reason is required when "
        "no document is produced)"
        for row in _read_json(lists / "additionalDocumentCodes" / "additionalDocumentCodes.json")
    }
    for code, why in documents_used.items():
        documents.setdefault(code, why)
    _write_json(out, "document_codes.json", documents)
    _write_json(out, "header_document_codes.json", sample_header_document_codes(source))
    payment_methods = _source("cds_payment_methods.json")["codes"]
    tax_types = _source("cds_tax_types.json")["codes"]
    assert isinstance(payment_methods, dict) and isinstance(tax_types, dict)
    _write_json(out, "payment_methods.json", {str(k): str(v) for k, v in payment_methods.items()})
    types = {str(k): str(v) for k, v in tax_types.items()}
    for code, why in sample_tax_types(source).items():
        types.setdefault(code, why)
    _write_json(out, "tax_types.json", types)
    _write_json(out, "goods_locations.json", goods_locations(lists / "goods-locations-codes"))


def goods_locations(folder: Path) -> dict[str, str]:
    """``{identification: "name (country)"}`` from every list of locations in ``folder``."""
    locations: dict[str, str] = {}
    for path in sorted(folder.glob("*.json")):
        for code, name in _names(path).items():
            # Country (2), type of location (1), qualifier (1), then the identification.
            locations[code[4:]] = f"{name} ({code[:2]})"
    return locations


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SOURCE)
