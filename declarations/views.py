"""The browser pages for declarations: list, detail, lodge by form (with drafts), upload XML.

Views check access through ``selectors``, parse input with ``forms`` and call one service; the
rules live in the service, whose issues are shown beside the fields they are about. A form with
field errors is also checked against the rules (``validation.validate``, which stores nothing) as
far as it can be read, so a rejected lodgement lists every error at once.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import TooManyFilesSent
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import accounts_actable, accounts_member_of
from accounts.models import Role, User
from singlewindow.audit import action_label
from singlewindow.errors import DomainError

from . import bulk, selectors, services, validation
from .api.throttling import LodgementThrottle, ValidationThrottle
from .canonical import DeclarationData, Issue
from .errors import LodgementRejected, LrnConflict
from .forms import (
    TRANSPORT_MODE_CHOICES,
    BaseGoodsItemFormSet,
    DeclarationFilterForm,
    DeclarationForm,
    DocumentRowsForm,
    UploadForm,
    document_added_to,
    error_summary,
    form_to_declaration_data,
    forms_from_payload,
    forms_from_post,
    issues_to_forms,
    payload_from_post,
    tax_line_added_to,
)
from .forms.drafts import draft_for_page, payload_from_data, with_language
from .forms.fields import ITEMS_PREFIX
from .forms.pickers import PICKER_LISTS
from .forms.taxes import tax_field
from .forms.upload import (
    batch_limits,
    batch_too_large_message,
    too_many_files_message,
    upload_too_large_message,
)
from .models import Channel, Declaration
from .panels import detail_panels
from .responses import responses_visible_to

PAGE_SIZE = 25


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@login_required
def declaration_list(request: HttpRequest) -> HttpResponse:
    """The declarations the user may see, filtered and paginated; its drafts below."""
    user = _user(request)
    # Traders and brokers pick one of the accounts they act for (one query); customs sees all.
    clients = list(accounts_actable(user).order_by("name")) if user.role in (Role.TRADER, Role.BROKER) else []
    filters = DeclarationFilterForm(request.GET or None, clients=clients)
    declarations = _filtered(selectors.declarations_visible_to(user), filters, user=user)
    page = Paginator(declarations, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "declarations/list.html",
        {
            "nav": "list",
            "filters": filters,
            "page": page,
            "query": query.urlencode(),
            "drafts": list(selectors.drafts_of(user).order_by("-updated_at")),
        },
    )


def _filtered(
    queryset: QuerySet[Declaration], filters: DeclarationFilterForm, *, user: User
) -> QuerySet[Declaration]:
    queryset = (
        queryset.select_related("trader_account")
        .annotate(items_count=selectors.items_count(user))
        .order_by("-accepted_at", "-pk")
    )
    if not filters.is_bound:
        return queryset
    if not filters.is_valid():
        # An account the user may not act for lists nothing rather than everything.
        return queryset.none() if "trader_account" in filters.errors else queryset
    f = filters.cleaned_data
    if f.get("trader_account"):
        queryset = queryset.filter(trader_account_id=f["trader_account"])
    if f["status"]:
        queryset = queryset.filter(status=f["status"])
    if f["accepted_from"]:
        queryset = queryset.filter(accepted_at__date__gte=f["accepted_from"])
    if f["accepted_to"]:
        queryset = queryset.filter(accepted_at__date__lte=f["accepted_to"])
    if f["lrn"]:
        queryset = queryset.filter(lrn__icontains=f["lrn"].strip())
    if f["mrn"]:
        queryset = queryset.filter(mrn__icontains=f["mrn"])
    return queryset


@login_required
def declaration_detail(request: HttpRequest, mrn: str) -> HttpResponse:
    """One declaration: summary, parties, transport, goods items with documents, and its timeline."""
    user = _user(request)
    # With the user: an agency officer gets only the items (and review) routed to its agency.
    declaration = selectors.declaration_with_details(selectors.access_declaration(user, mrn), user=user)
    documents = list(declaration.documents.all())
    items = list(declaration.items.all())
    for item in items:
        item.item_documents = [d for d in documents if d.item_id == item.pk]  # type: ignore[attr-defined]
    # Agencies' events name the agency by code; the reviews (already loaded) give its name.
    agency_names = {r.agency.code: r.agency.name for r in declaration.reviews.all()}
    visible = selectors.visible_agencies(user, declaration)
    timeline = []
    for event in selectors.declaration_timeline(declaration, user=user):
        _data, actor_shown = selectors.event_as_seen(event.data, visible)
        agency = agency_names.get(str(event.data.get("agency") or ""), "")
        timeline.append(
            {
                "event": event,
                "label": action_label(event.action),
                "agency": agency,
                # A trader sees the agency that acted, never an officer's name.
                "actor": selectors.actor_name(event, viewer=user, agency_name=agency)
                if actor_shown
                else None,
            }
        )
    parties = list(declaration.parties.all())
    dms_responses = list(
        responses_visible_to(user).filter(declaration=declaration).defer("body").order_by("pk")
    )
    return render(
        request,
        "declarations/detail.html",
        {
            "nav": "list",
            "declaration": declaration,
            "parties": parties,
            "declarant_party": next((p for p in parties if p.role == "declarant"), None),
            "items": items,
            "header_documents": [d for d in documents if d.item_id is None],
            "timeline": timeline,
            "panels": detail_panels(request, declaration),
            "xml_url": f"/api/v1/declarations/{declaration.mrn}/xml",
            "dms_responses": dms_responses,
            "transport_mode": dict(TRANSPORT_MODE_CHOICES).get(declaration.border_transport_mode, ""),
            "may_copy": _may_lodge(user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def declaration_new(request: HttpRequest) -> HttpResponse:
    return _declaration_form(request, draft=None)


@login_required
@require_http_methods(["GET", "POST"])
def declaration_draft(request: HttpRequest, pk: int) -> HttpResponse:
    return _declaration_form(request, draft=selectors.access_draft(_user(request), pk))


def _default_declarant(user: User) -> str:
    account = accounts_member_of(user).order_by("pk").first()
    return account.eori if account else ""


def _declaration_form(request: HttpRequest, *, draft: Declaration | None) -> HttpResponse:
    user = _user(request)
    if request.method != "POST":
        form, formset = forms_from_payload(
            draft_for_page(draft.draft_payload) if draft else None, default_declarant=_default_declarant(user)
        )
        return _render_form(request, draft, form, formset)

    action = request.POST.get("action", "submit")
    if (removed := item_removed(action)) is not None:
        return _remove_item(request, draft, removed)
    if action == "add_item":
        form, formset = forms_from_payload(payload_from_post(request.POST), add_item=True)
        # Without JavaScript the page reloads: put the cursor in the new item.
        formset.forms[-1].fields["description"].widget.attrs["autofocus"] = True
        return _render_form(request, draft, form, formset)
    if (added := document_added_to(action)) is not None:
        # Blank items stay, so the item keeps its place on the page.
        payload = payload_from_post(request.POST, keep_blank_items=True)
        form, formset = forms_from_payload(payload, add_document=added)
        target: DocumentRowsForm | None = form
        if added.item is not None:
            target = formset.forms[added.item] if added.item < len(formset.forms) else None
        if target is not None:
            rows = target.document_row_counts[added.documents.stem]
            target.fields[added.documents.code_field(rows)].widget.attrs["autofocus"] = True
        return _render_form(request, draft, form, formset)
    if (item_index := tax_line_added_to(action)) is not None:
        payload = payload_from_post(request.POST, keep_blank_items=True)
        form, formset = forms_from_payload(payload, add_tax_line=item_index)
        if item_index < len(formset.forms):
            item = formset.forms[item_index]
            item.fields[tax_field(item.tax_row_count, "tax_type")].widget.attrs["autofocus"] = True
        return _render_form(request, draft, form, formset)
    if action == "save_draft":
        return _save_draft(request, draft)

    form, formset = forms_from_post(request.POST)
    unplaced: list[Issue] = []
    service_messages: frozenset[str] = frozenset()
    # Both are cleaned (no short circuit), so every field error is known before the rules run.
    header_valid = form.is_valid()
    items_valid = formset.is_valid()
    if not (header_valid and items_valid):
        # The rules check what could be read, so this answer lists every error, not only the
        # format errors; issues needing a field that has an error do not fire. Nothing is stored.
        data = form_to_declaration_data(form, formset)
        issues = validation.validate(data, user=user)
        errors = [i for i in issues if i.severity == "error"] + _lrn_taken(user, data)
        unplaced = issues_to_forms(form, formset, errors, besides_field_errors=True)
        service_messages = frozenset(i.message for i in errors)
    else:
        data = form_to_declaration_data(form, formset)
        try:
            result = services.declaration_lodge(user=user, data=data, channel=Channel.WEB_FORM, draft=draft)
        except LodgementRejected as exc:
            errors = exc.issues + _lrn_taken(user, data)
            unplaced = issues_to_forms(form, formset, errors)
            service_messages = frozenset(i.message for i in errors)
        except LrnConflict as exc:
            form.add_error("lrn", exc.message)
            service_messages = frozenset([exc.message])
        except DomainError as exc:  # e.g. the draft was submitted meanwhile in another tab
            unplaced = [Issue(exc.code, exc.message)]
        else:
            _announce(request, result)
            return redirect("declarations:detail", mrn=result.declaration.mrn)
    kept = draft is not None and _keep_edits(request, draft)
    return _render_form(
        request,
        draft,
        form,
        formset,
        unplaced=unplaced,
        service_messages=service_messages,
        status=400,
        edits_kept=kept,
    )


def _lrn_taken(user: User, data: DeclarationData) -> list[Issue]:
    """A taken LRN, told in the same round as the other errors (see ``services.lrn_taken``)."""
    taken = services.lrn_taken(user=user, data=data)
    return [taken] if taken else []


def _keep_edits(request: HttpRequest, draft: Declaration) -> bool:
    """A draft whose submission failed keeps the edits made on the page, as "Save as draft" would:
    leaving the page to look something up loses nothing. False if the draft is gone meanwhile."""
    try:
        services.declaration_save_draft(
            user=_user(request), payload=with_language(payload_from_post(request.POST)), draft=draft
        )
    except DomainError:
        return False
    return True


# "Remove goods item" buttons: ``remove_item:items-2`` removes the third item.
REMOVE_ITEM_ACTION = re.compile(rf"remove_item:{ITEMS_PREFIX}-(\d{{1,3}})")


def item_removed(action: str) -> int | None:
    """The index of the goods item whose "Remove" button was pressed, if that was the action."""
    m = REMOVE_ITEM_ACTION.fullmatch(action)
    return int(m[1]) if m else None


def _remove_item(request: HttpRequest, draft: Declaration | None, index: int) -> HttpResponse:
    """The page again without one goods item; the items after it move up. Nothing is stored."""
    # Blank items stay, so the numbers the trader sees are the ones removed and kept.
    payload = payload_from_post(request.POST, keep_blank_items=True)
    items = payload["items"]
    if 0 <= index < len(items):
        del items[index]
    form, formset = forms_from_payload(payload)
    number = min(index, len(formset.forms) - 1) + 1
    # Without JavaScript the page reloads: the cursor goes to the item that took its place.
    formset.forms[number - 1].fields["description"].widget.attrs["autofocus"] = True
    return _render_form(request, draft, form, formset, removed=index + 1)


def _save_draft(request: HttpRequest, draft: Declaration | None) -> HttpResponse:
    payload = with_language(payload_from_post(request.POST))
    try:
        draft = services.declaration_save_draft(user=_user(request), payload=payload, draft=draft)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("declarations:new")
    messages.success(request, _("Draft saved. You can come back to it at any time from your home page."))
    return redirect("declarations:draft", pk=draft.pk)


def _announce(request: HttpRequest, result: services.LodgeResult) -> None:
    mrn = result.declaration.mrn
    if result.created:
        messages.success(request, _("Declaration accepted. MRN %(mrn)s") % {"mrn": mrn})
    else:
        messages.info(request, _("This declaration was accepted before. MRN %(mrn)s") % {"mrn": mrn})
    for warning in result.warnings:
        messages.warning(request, warning.message)


def _render_form(
    request: HttpRequest,
    draft: Declaration | None,
    form: DeclarationForm,
    formset: BaseGoodsItemFormSet,
    *,
    unplaced: list[Issue] | None = None,
    service_messages: frozenset[str] = frozenset(),
    status: int = 200,
    edits_kept: bool = False,
    removed: int | None = None,
) -> HttpResponse:
    errors = (
        error_summary(form, formset, unplaced, service_messages=service_messages) if form.is_bound else []
    )
    return render(
        request,
        "declarations/form.html",
        {
            "nav": "new",
            "draft": draft,
            "form": form,
            "formset": formset,
            "errors": errors,
            "action_url": reverse("declarations:draft", args=[draft.pk])
            if draft
            else reverse("declarations:new"),
            "edits_kept": edits_kept,
            "removed": removed,
        },
        status=status,
    )


# Room for the multipart framing (boundaries, headers, the CSRF token) around the files' bytes.
BATCH_OVERHEAD_BYTES = 64 * 1024


@csrf_exempt  # checked in _upload, once the size is known to be acceptable: reading the token reads the body
@login_required
@require_http_methods(["GET", "POST"])
def declaration_upload(request: HttpRequest) -> HttpResponse:
    """Lodge (or only check) one or more WCO DM XML files, each on its own, with an answer per file.

    A batch larger than ``SW_BULK_MAX_BYTES`` is refused by its Content-Length before a byte of it
    is read; more files than Django parses (``DATA_UPLOAD_MAX_NUMBER_FILES``) get the same clear
    answer as more than ``SW_BULK_MAX_FILES``.
    """
    if request.method == "POST":
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.SW_BULK_MAX_BYTES + BATCH_OVERHEAD_BYTES:
            return _upload_refused(request, batch_too_large_message(), status=413)
        try:
            request.FILES  # noqa: B018 - parsed here so that too many files is answered clearly
        except TooManyFilesSent:
            return _upload_refused(request, too_many_files_message(), status=400)
    return _upload(request)


def _upload_context() -> dict[str, Any]:
    return {
        "nav": "upload",
        "limits": {
            **batch_limits(),
            "total_bytes": settings.SW_BULK_MAX_BYTES,
            "each_bytes": settings.SW_MAX_XML_BYTES,
            "file_too_large": upload_too_large_message(),
        },
        "de_numbers": json.dumps(bulk.de_numbers(), sort_keys=True),
    }


def _upload_refused(request: HttpRequest, message: str, *, status: int) -> HttpResponse:
    form = UploadForm(data={}, files={})  # bound, so the page shows this one error in its summary
    form.is_valid()
    form.errors["xml_files"] = form.error_class([message])
    context = {**_upload_context(), "form": form}
    return render(request, "declarations/upload.html", context, status=status)


@csrf_protect
def _upload(request: HttpRequest) -> HttpResponse:
    context = _upload_context()
    if request.method != "POST":
        context["form"] = UploadForm()
        return render(request, "declarations/upload.html", context)

    form = UploadForm(request.POST, request.FILES)
    context["form"] = form
    if not form.is_valid():
        return render(request, "declarations/upload.html", context, status=400)
    check_only = request.POST.get("action") == "check"
    throttle = ValidationThrottle() if check_only else LodgementThrottle()

    def allow() -> float | None:
        # DRF's throttle reads only request.user here (declarations.api.throttling): a page request will do.
        allowed = throttle.allow_request(request, None)  # type: ignore[arg-type]
        return None if allowed else (throttle.wait() or 1.0)

    results = bulk.batch_process(
        user=_user(request), files=form.cleaned_data["xml_files"], check_only=check_only, allow=allow
    )
    if len(results) == 1 and results[0].outcome == bulk.ACCEPTED and not check_only:
        # One file lodged: straight to its declaration, as a single upload always did.
        messages.success(request, _("Declaration accepted. MRN %(mrn)s") % {"mrn": results[0].mrn})
        for warning in results[0].warnings:
            messages.warning(request, warning["message"])
        return redirect("declarations:detail", mrn=results[0].mrn)
    context.update(results=results, counts=bulk.counts(results), check_only=check_only)
    problems = any(r.outcome in (bulk.REFUSED, bulk.NOT_SENT) for r in results)
    return render(request, "declarations/upload.html", context, status=400 if problems else 200)


@login_required
@require_http_methods(["GET", "POST"])
def draft_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask, then delete one of the user's drafts (only its owner reaches it: ``access_draft``)."""
    user = _user(request)
    draft = selectors.access_draft(user, pk)
    if request.method != "POST":
        return render(request, "declarations/draft_delete.html", {"nav": "list", "draft": draft})
    try:
        services.declaration_draft_delete(user=user, draft=draft)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Draft deleted."))
    return redirect("declarations:list")


def _may_lodge(user: User) -> bool:
    return user.role in (Role.TRADER, Role.BROKER)


@login_required
@require_POST
def declaration_copy(request: HttpRequest, mrn: str) -> HttpResponse:
    """A new draft holding a copy of a lodged declaration the user may read, to lodge it again."""
    user = _user(request)
    declaration = selectors.access_declaration(user, mrn)
    if not _may_lodge(user):
        # Officers see a part of a declaration, supervisors lodge nothing: no copy to make.
        raise Http404("No such declaration.")
    payload = payload_from_data(selectors.declaration_with_details(declaration, user=user).to_data())
    return _copied(
        request, services.declaration_copy_to_draft(user=user, payload=payload, source=declaration)
    )


@login_required
@require_POST
def draft_copy(request: HttpRequest, pk: int) -> HttpResponse:
    """A new draft holding a copy of one of the user's drafts, without its LRN."""
    user = _user(request)
    draft = selectors.access_draft(user, pk)
    payload = {**(draft.draft_payload or {}), "lrn": ""}
    return _copied(request, services.declaration_copy_to_draft(user=user, payload=payload, source=draft))


def _copied(request: HttpRequest, draft: Declaration) -> HttpResponse:
    messages.success(
        request, _("Copied into a new draft. Give it a new LRN, check it, then submit it or save it.")
    )
    return redirect("declarations:draft", pk=draft.pk)


@login_required
@require_GET
def code_list(request: HttpRequest, name: str) -> HttpResponse:
    """The options of one code picker as JSON: ``{"options": [[code, name], ...]}``, in code order.

    The same list the rules check against (shipped plus administrators' overrides). Cached by the
    browser for five minutes and revalidated by its ETag, so a form with twenty country fields
    fetches the list once and an override shows within minutes.
    """
    picker = PICKER_LISTS.get(name)
    if picker is None:
        raise Http404("No such code list.")
    body = json.dumps({"options": sorted(picker.options().items())}, ensure_ascii=False).encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    response = get_conditional_response(request, etag=etag) or HttpResponse(
        body, content_type="application/json"
    )
    response["ETag"] = etag
    patch_cache_control(response, private=True, max_age=300)
    return response
