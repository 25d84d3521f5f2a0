"""Reference codes: countries, currencies, commodity and procedure codes."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.text import get_text_list
from django.utils.translation import gettext as _

from declarations import refdata
from declarations.canonical import (
    Issue,
    ItemData,
)

from .base import (
    ADDITIONAL_PROCEDURE_CODE_PATTERN,
    COMMODITY_CODE_LENGTHS,
    PROCEDURE_CODE_PATTERN,
    _error,
    _warning,
)


def _check_country(field: str, label: str, code: str) -> Iterable[Issue]:
    if code and refdata.country_name(code) is None:
        yield _error(
            "country_unknown",
            field,
            _(
                "%(code)s is not a known country code for the %(label)s: use the two-letter ISO code (for "
                "example GB)."
            )
            % {"code": code, "label": label},
        )


def _check_currency(field: str, code: str) -> Iterable[Issue]:
    if refdata.currency_name(code) is None:
        yield _error(
            "currency_unknown",
            field,
            _("%(code)s is not a known currency code: use the three-letter ISO 4217 code (for example GBP).")
            % {"code": code},
        )


def _check_commodity_code(field: str, where: str, code: str) -> Iterable[Issue]:
    if not code.isdigit() or len(code) not in COMMODITY_CODE_LENGTHS:
        yield _error(
            "hs_format",
            field,
            _(
                "%(where)s: commodity code %(code)s is not valid; declare 6, 8 or 10 digits (the HS "
                "subheading, optionally followed by the tariff's extra digits)."
            )
            % {"where": where, "code": code},
        )
        return
    subheading = code[:6]
    if successors := refdata.hs_successors(subheading):
        # A successor withdrawn by an administrator has no description: name the bare code.
        choices = [
            f"{new} ({description})" if (description := refdata.hs_description(new)) else new
            for new in successors
        ]
        yield _warning(
            "hs_edition_change",
            field,
            _(
                "%(where)s, commodity code %(code)s: subheading %(subheading)s was removed in HS 2022 and "
                "split into %(successors)s; declare one of them."
            )
            % {
                "where": where,
                "code": code,
                "subheading": subheading,
                "successors": get_text_list(choices, _("and")),
            },
        )
        return
    if refdata.hs_description(subheading) is not None:
        return
    heading = code[:4]
    heading_text = refdata.hs_description(heading)
    if heading_text is not None:
        yield _error(
            "hs_unknown",
            field,
            _(
                "%(where)s, commodity code %(code)s: subheading %(subheading)s does not exist in HS 2022 "
                "(heading %(heading)s is “%(heading_text)s”); declare an existing subheading."
            )
            % {
                "where": where,
                "code": code,
                "subheading": subheading,
                "heading": heading,
                "heading_text": heading_text,
            },
        )
    else:
        yield _error(
            "hs_unknown",
            field,
            _(
                "%(where)s, commodity code %(code)s: subheading %(subheading)s does not exist in HS 2022; "
                "check the code in the tariff."
            )
            % {"where": where, "code": code, "subheading": subheading},
        )


def _check_procedure(prefix: str, where: str, item: ItemData) -> Iterable[Issue]:
    code = item.procedure_code
    field = f"{prefix}.procedure_code"
    if not code:
        yield _error(
            "procedure_code_missing",
            field,
            _(
                "%(where)s has no procedure code: declare the requested and previous procedure (for "
                "example 4000)."
            )
            % {"where": where},
        )
    elif not PROCEDURE_CODE_PATTERN.fullmatch(code):
        yield _error(
            "procedure_code_format",
            field,
            _(
                "%(where)s: procedure code %(code)s is not valid; declare four digits, the requested "
                "procedure followed by the previous one (for example 4000)."
            )
            % {"where": where, "code": code},
        )
    else:
        known = refdata.procedure_code_parts()
        unknown_part = next(
            (
                (part, label)
                for part, label in ((code[:2], _("requested")), (code[2:], _("previous")))
                if part not in known
            ),
            None,
        )
        if unknown_part is not None:
            part, label = unknown_part
            yield _error(
                "procedure_code_unknown",
                field,
                _(
                    "%(where)s, procedure code %(code)s: the %(label)s procedure %(part)s does not "
                    "exist; "
                    "declare a valid procedure code (for example 4000)."
                )
                % {"where": where, "code": code, "label": label, "part": part},
            )
        elif refdata.procedure_code_name(code) is None:
            # Both halves are procedures, but the combination is not in the list (CDS Appendix 1 as
            # shipped, HMRC's lists, the accepted samples): reported, not refused, since a list
            # transcribed from public sources may lag behind the national one.
            yield _warning(
                "procedure_code_unlisted",
                field,
                _(
                    "%(where)s: procedure code %(code)s is not in the list of procedure codes; check "
                    "that the requested procedure %(requested)s may follow the previous procedure "
                    "%(previous)s."
                )
                % {"where": where, "code": code, "requested": code[:2], "previous": code[2:]},
            )
    allowed = refdata.additional_codes_allowed_with(code) if code else None
    for index, additional in enumerate(item.additional_procedure_codes, start=1):
        if not ADDITIONAL_PROCEDURE_CODE_PATTERN.fullmatch(additional):
            yield _error(
                "additional_procedure_code_format",
                f"{prefix}.additional_procedure_codes.{index}",
                _(
                    "%(where)s: additional procedure code %(code)s is not valid; declare three letters or "
                    "digits (for example 000)."
                )
                % {"where": where, "code": additional or "—"},
            )
        elif refdata.additional_procedure_code(additional) is None:
            # The shipped list is complete for imports and exports (CDS Appendix 2, HMRC's export
            # and clearance request lists, the accepted samples); administrators add codes that
            # appear later as reference codes.
            yield _error(
                "additional_procedure_code_unknown",
                f"{prefix}.additional_procedure_codes.{index}",
                _(
                    "%(where)s: additional procedure code %(code)s is not in the list of additional "
                    "procedure codes; check the code (declare 000 when no other applies)."
                )
                % {"where": where, "code": additional},
            )
        elif allowed is not None and additional not in allowed:
            # CDS refuses a combination Appendix 1 does not allow; the transcribed lists may lag
            # behind, so the portal reports it without refusing.
            yield _warning(
                "additional_procedure_code_not_allowed",
                f"{prefix}.additional_procedure_codes.{index}",
                _(
                    "%(where)s: additional procedure code %(additional)s is not one of those listed for "
                    "procedure code %(code)s (%(allowed)s); check the combination."
                )
                % {
                    "where": where,
                    "additional": additional,
                    "code": code,
                    "allowed": ", ".join(sorted(allowed)),
                },
            )
