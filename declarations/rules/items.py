"""Goods items: numbering, description, codes, masses, origin, value, packages, quantity."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from declarations import categories, refdata
from declarations.canonical import (
    DeclarationData,
    Issue,
    ItemData,
)
from declarations.models import GoodsItem

from .base import MAX_ITEMS, _error, _missing
from .codes import _check_commodity_code, _check_country, _check_currency, _check_procedure
from .documents import _check_documents
from .numbers import _check_numbers, _plain
from .taxes import _check_tax_lines
from .texts import _check_texts


def _check_items(data: DeclarationData) -> Iterable[Issue]:
    yield from _check_sequences(data.items)
    for position, item in enumerate(data.items, start=1):
        yield from _check_item(data, position, item)


def _check_sequences(items: list[ItemData]) -> Iterable[Issue]:
    """Goods item numbers run 1, 2, 3 ... in the order of the items, at most 999."""
    seen: set[int] = set()
    ok = True
    for position, item in enumerate(items, start=1):
        field = f"items.{position}.sequence"
        seq = item.sequence
        if seq is None:
            ok = False
            yield _error(
                "item_sequence_missing",
                field,
                _("Goods item %(position)s has no item number: number the items 1, 2, 3 … in order.")
                % {"position": position},
            )
        elif not 1 <= seq <= MAX_ITEMS:
            ok = False
            yield _error(
                "item_sequence_range",
                field,
                _("Goods item %(position)s is numbered %(seq)s; item numbers run from 1 to %(max)s.")
                % {"position": position, "seq": seq, "max": MAX_ITEMS},
            )
        elif seq in seen:
            ok = False
            yield _error(
                "item_sequence_duplicate",
                field,
                _("Goods item %(position)s repeats item number %(seq)s; each item needs its own number.")
                % {"position": position, "seq": seq},
            )
        else:
            seen.add(seq)
    if not ok:
        return
    for position, item in enumerate(items, start=1):
        if item.sequence != position:
            yield _error(
                "item_sequence_order",
                f"items.{position}.sequence",
                _(
                    "Goods item %(position)s is numbered %(seq)s; number the items 1, 2, 3 … in order "
                    "without gaps."
                )
                % {"position": position, "seq": item.sequence},
            )
            return


def _check_item(data: DeclarationData, position: int, item: ItemData) -> Iterable[Issue]:
    prefix = f"items.{position}"
    where = _("Goods item %(position)s") % {"position": position}
    # What this item must carry depends on its declaration category (declarations.categories):
    # derived from the declaration type, additional type, procedure and additional procedure.
    category = categories.category_of(data, item)

    def required(key: str) -> bool:
        return categories.required(key, category)

    if not item.description and required("items.description"):
        yield _missing(
            "description_missing",
            f"{prefix}.description",
            _("%(where)s has no description: describe the goods plainly enough to classify them.")
            % {"where": where},
            str(category),
        )

    if item.commodity_code:
        yield from _check_commodity_code(f"{prefix}.commodity_code", where, item.commodity_code)
    elif required("items.commodity_code"):
        yield _missing(
            "commodity_code_missing",
            f"{prefix}.commodity_code",
            _("%(where)s has no commodity code: declare its HS or tariff code (for example 85109000).")
            % {"where": where},
            str(category),
        )

    yield from _check_procedure(prefix, where, item)
    if not item.additional_procedure_codes and required("items.additional_procedure_codes"):
        yield _missing(
            "additional_procedure_code_missing",
            f"{prefix}.additional_procedure_codes",
            _("%(where)s has no additional procedure code: declare 000 when no other applies.")
            % {"where": where},
            str(category),
        )

    if item.gross_mass is None and required("items.gross_mass"):
        yield _missing(
            "gross_mass_missing",
            f"{prefix}.gross_mass",
            _("%(where)s has no gross mass: declare the mass in kilograms including packaging.")
            % {"where": where},
            str(category),
        )
    if item.net_mass is None and required("items.net_mass"):
        yield _missing(
            "net_mass_missing",
            f"{prefix}.net_mass",
            _("%(where)s has no net mass: declare the mass in kilograms without packaging.")
            % {"where": where},
            str(category),
        )
    for field, mass in (("net_mass", item.net_mass), ("gross_mass", item.gross_mass)):
        if mass is not None and mass < 0:
            yield _error(
                "mass_negative",
                f"{prefix}.{field}",
                _("%(where)s has a negative mass (%(mass)s kg); declare the mass in kilograms.")
                % {"where": where, "mass": mass},
            )
    if item.net_mass is not None and item.gross_mass is not None and item.net_mass > item.gross_mass:
        yield _error(
            "net_mass_exceeds_gross",
            f"{prefix}.net_mass",
            _(
                "%(where)s has a net mass of %(net)s kg, more than its gross mass of %(gross)s kg; the gross "
                "mass includes packaging, so check both."
            )
            % {"where": where, "net": item.net_mass, "gross": item.gross_mass},
        )

    if item.origin_country:
        yield from _check_country(
            f"{prefix}.origin_country",
            _("origin of goods item %(position)s") % {"position": position},
            item.origin_country,
        )
    elif required("items.origin_country"):
        yield _missing(
            "origin_country_missing",
            f"{prefix}.origin_country",
            _("%(where)s has no country of origin: declare where the goods were produced.")
            % {"where": where},
            str(category),
        )

    if item.value_amount is None and item.statistical_value is None and required("items.value_amount"):
        yield _missing(
            "item_value_missing",
            f"{prefix}.value_amount",
            _("%(where)s has no value: declare the item price or its statistical value.") % {"where": where},
            str(category),
        )
    if item.value_amount is not None and not (item.value_currency or data.invoice_currency):
        yield _error(
            "value_currency_missing",
            f"{prefix}.value_currency",
            _(
                "%(where)s has a price of %(amount)s without a currency: declare the currency code (for "
                "example GBP)."
            )
            % {"where": where, "amount": _plain(item.value_amount)},
        )
    if item.value_currency:
        yield from _check_currency(f"{prefix}.value_currency", item.value_currency)

    if item.package_count is not None and item.package_count < 0:
        yield _error(
            "package_count_negative",
            f"{prefix}.package_count",
            _("%(where)s declares %(count)s packages; the number of packages cannot be negative.")
            % {"where": where, "count": item.package_count},
        )
    if item.package_type and refdata.package_type(item.package_type) is None:
        yield _error(
            "package_type_unknown",
            f"{prefix}.package_type",
            _(
                "%(where)s has package type %(code)s, which is not a known package type code (for example "
                "BX for box)."
            )
            % {"where": where, "code": item.package_type},
        )
    if item.quantity is not None and not item.quantity_unit and not item.commodity_code:
        yield _error(
            "quantity_unit_missing",
            f"{prefix}.quantity_unit",
            _(
                "%(where)s declares a quantity of %(quantity)s without a unit or a commodity code, so "
                "nothing says what it counts; declare the unit (for example NAR) or the commodity code."
            )
            % {"where": where, "quantity": item.quantity},
        )
    if item.quantity_unit and item.quantity is None:
        yield _error(
            "quantity_missing",
            f"{prefix}.quantity",
            _(
                "%(where)s declares the unit %(unit)s without a quantity; declare the quantity or remove "
                "the unit."
            )
            % {"where": where, "unit": item.quantity_unit},
        )
    yield from _check_texts(prefix, where, item)
    yield from _check_numbers(prefix, where, item, GoodsItem)
    yield from _check_documents(f"{prefix}.documents", item.documents, where)
    yield from _check_tax_lines(prefix, where, item)
