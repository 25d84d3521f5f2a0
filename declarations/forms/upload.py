"""Uploading an XML declaration, and filtering the list of declarations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from declarations.models import Status

from .fields import UpperCharField

if TYPE_CHECKING:
    pass

# ---------------------------------------------------------------------------------------------
# Upload and list filters


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("WCO declaration XML file"),
        help_text=_("A WCO Data Model 3.6 goods declaration, with or without the MetaData envelope."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xml,application/xml,text/xml"}),
    )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        # Refused on the size the upload reports, before anything is read into memory.
        if upload.size is not None and upload.size > settings.SW_MAX_XML_BYTES:
            raise forms.ValidationError(upload_too_large_message(upload.size), code="too_large")
        return upload


def upload_too_large_message(size: int | None = None) -> str:
    """The file is over the XML size cap: say so with the limit (and the file's size when known)."""
    limit = filesizeformat(settings.SW_MAX_XML_BYTES)
    if size is None:
        return str(_("The file is larger than the limit of %(limit)s.") % {"limit": limit})
    return str(
        _("The file is larger than the limit of %(limit)s (it is %(size)s).")
        % {"limit": limit, "size": filesizeformat(size)}
    )


class DeclarationFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status"))] + [(v, label) for v, label in Status.choices if v != Status.DRAFT],
    )
    accepted_from = forms.DateField(
        label=_("Accepted from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    accepted_to = forms.DateField(
        label=_("Accepted to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    lrn = forms.CharField(label=_("LRN"), required=False, max_length=22)
    mrn = UpperCharField(label=_("MRN"), required=False, max_length=18)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("accepted_from"), cleaned.get("accepted_to")
        if start and end and start > end:
            self.add_error("accepted_to", _("The end date must be the same as or after the start date."))
        return cleaned
