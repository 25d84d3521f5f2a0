"""Uploading an XML declaration, and filtering the list of declarations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from declarations.models import Status

from .fields import UpperCharField

# ---------------------------------------------------------------------------------------------
# Upload and list filters


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Any number of files; each is judged on its own later (an empty or oversized file gets its own
    answer in the results), so the field only checks that there is at least one."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if not files and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return files


class UploadForm(forms.Form):
    """One or more WCO DM XML files, lodged (or only checked) one by one."""

    xml_files = MultipleFileField(
        label=_("WCO declaration XML files"),
        widget=MultipleFileInput(attrs={"accept": ".xml,application/xml,text/xml"}),
        error_messages={"required": _("Choose at least one XML file.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["xml_files"].help_text = (
            _(
                "WCO Data Model 3.6 goods declarations, with or without the MetaData envelope: up to "
                "%(files)s files and %(total)s in one go, each file at most %(each)s."
            )
            % batch_limits()
        )

    def clean_xml_files(self) -> list[UploadedFile]:
        files: list[UploadedFile] = self.cleaned_data["xml_files"]
        limits = batch_limits()
        if len(files) > settings.SW_BULK_MAX_FILES:
            raise forms.ValidationError(too_many_files_message(len(files)), code="too_many_files")
        total = sum(f.size or 0 for f in files)
        if total > settings.SW_BULK_MAX_BYTES:
            raise forms.ValidationError(
                _("These files come to %(size)s; at most %(total)s can be sent in one go.")
                % {"size": filesizeformat(total), "total": limits["total"]},
                code="batch_too_large",
            )
        return files


def batch_limits() -> dict[str, Any]:
    return {
        "files": settings.SW_BULK_MAX_FILES,
        "total": filesizeformat(settings.SW_BULK_MAX_BYTES),
        "each": filesizeformat(settings.SW_MAX_XML_BYTES),
    }


def too_many_files_message(count: int | None = None) -> str:
    limit = settings.SW_BULK_MAX_FILES
    if count is None:
        return str(_("At most %(limit)s files can be sent in one go.") % {"limit": limit})
    return str(
        _("You chose %(count)s files; at most %(limit)s can be sent in one go.")
        % {"count": count, "limit": limit}
    )


def batch_too_large_message() -> str:
    return str(
        _("The files come to more than %(total)s; at most %(total)s can be sent in one go.")
        % {"total": filesizeformat(settings.SW_BULK_MAX_BYTES)}
    )


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
    # A broker (or a member of several accounts) narrows the list to one client: only the accounts
    # it may act for are offered, and any other id is refused (the view then lists nothing).
    trader_account = forms.TypedChoiceField(label=_("Client"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, clients: Sequence[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if len(clients) > 1:
            field = self.fields["trader_account"]
            assert isinstance(field, forms.TypedChoiceField)
            field.choices = [("", _("All clients"))] + [
                (account.pk, f"{account.name} ({account.eori})") for account in clients
            ]
        else:
            del self.fields["trader_account"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("accepted_from"), cleaned.get("accepted_to")
        if start and end and start > end:
            self.add_error("accepted_to", _("The end date must be the same as or after the start date."))
        return cleaned
