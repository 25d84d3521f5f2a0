"""National tariff nomenclature editions: the 8- and 10-digit commodity codes in force, by date.

The HS (6 digits) is shipped with the project (``declarations/refdata``); the national extensions
(8 digits, the combined nomenclature; 10 digits, the national tariff) change every year and by
administration, so they are loaded by administrators (``manage.py load_nomenclature``), one
edition at a time, each with the dates it is valid for. A declaration's commodity codes longer than
six digits are checked against the edition in force on the day it is accepted
(``nomenclature.lookup``).
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class NomenclatureEdition(models.Model):
    name = models.CharField(_("edition"), max_length=60, unique=True)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to (inclusive)"), null=True, blank=True)
    digits = models.PositiveSmallIntegerField(
        _("digits"), help_text=_("The length of the longest codes of the edition: 8 or 10.")
    )
    code_count = models.PositiveIntegerField(_("codes"))
    source = models.CharField(_("source"), max_length=500, blank=True)
    loaded_at = models.DateTimeField(_("loaded at"), auto_now_add=True)
    loaded_by = models.CharField(_("loaded by"), max_length=150, blank=True)

    class Meta:
        ordering = ("-valid_from",)
        verbose_name = _("nomenclature edition")
        verbose_name_plural = _("nomenclature editions")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="nomenclature_edition_dates_ordered",
            ),
            models.CheckConstraint(condition=Q(digits__in=(8, 10)), name="nomenclature_edition_digits"),
        ]

    def __str__(self) -> str:
        return self.name


class NomenclatureCode(models.Model):
    edition = models.ForeignKey(NomenclatureEdition, on_delete=models.CASCADE, related_name="codes")
    code = models.CharField(_("code"), max_length=10)
    # The first eight digits, so an 8-digit declared code is found in an edition of 10-digit codes.
    cn8 = models.CharField(max_length=8)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("nomenclature code")
        verbose_name_plural = _("nomenclature codes")
        constraints = [models.UniqueConstraint(fields=("edition", "code"), name="nomenclature_code_unique")]
        indexes = [models.Index(fields=("edition", "cn8"), name="nomenclature_code_cn8")]

    def __str__(self) -> str:
        return self.code
