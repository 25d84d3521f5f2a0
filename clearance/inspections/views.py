"""The control pages: customs' documentary checks, the supervisor's inspection planning, each
officer's inspections and the findings page for the quay (a phone), and the photos (never a public
media URL: ``photo`` checks who asks). Access through ``selectors``; changes through ``services``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import Role, User
from agencies.forms import add_service_errors, error_summary
from declarations.models import Declaration, Document
from singlewindow.errors import DomainError

from ..models import ControlKind, ControlStatus, ControlTask, InspectionStatus, JointInspection
from . import selectors, services
from .forms import AppointmentForm, CancelForm, DocumentaryForm, FindingForm, RescheduleForm
from .photos import photos_check


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _goods_with_documents(declaration: Declaration) -> tuple[list[Any], list[Document]]:
    """The declaration's goods items with their documents, and its header documents (two queries)."""
    items = list(declaration.items.prefetch_related("documents").order_by("sequence"))
    for item in items:
        item.item_documents = list(item.documents.all())  # type: ignore[attr-defined]
    header = list(Document.objects.filter(declaration=declaration, item__isnull=True).order_by("position"))
    return items, header


# Documentary checks ---------------------------------------------------------------------------


@login_required
@require_GET
def documentary_queue(request: HttpRequest) -> HttpResponse:
    """Customs officers: the documentary checks to do, AEO traders first, then oldest first."""
    user = _user(request)
    if not selectors.is_customs_officer(user):
        raise Http404("Customs officers only.")
    tasks = list(selectors.documentary_queue(user)[:200])
    return render(
        request, "clearance/inspections/documentary_queue.html", {"nav": "controls", "tasks": tasks}
    )


@login_required
@require_http_methods(["GET", "POST"])
def documentary_task(request: HttpRequest, pk: int) -> HttpResponse:
    """One documentary check: the declaration's goods and documents beside the decision form."""
    user = _user(request)
    task = selectors.access_documentary_task(user, pk)
    form = None
    status = 200
    if task.status == ControlStatus.OPEN and task.declaration.is_under_review:
        form = DocumentaryForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                services.documentary_decide(
                    task=task,
                    officer=user,
                    outcome=form.cleaned_data["outcome"],
                    findings=form.cleaned_data["findings"],
                )
            except DomainError as exc:
                add_service_errors(form, exc, default_field="outcome")
            else:
                messages.success(
                    request,
                    _("Documentary check of %(mrn)s recorded.") % {"mrn": task.declaration.mrn},
                )
                return redirect("clearance:control", pk=task.pk)
        if request.method == "POST":
            status = 400
    elif request.method == "POST":
        messages.error(request, _("This documentary check has already been recorded."))
        return redirect("clearance:control", pk=task.pk)
    items, header_documents = _goods_with_documents(task.declaration)
    return render(
        request,
        "clearance/inspections/documentary_task.html",
        {
            "nav": "controls",
            "task": task,
            "declaration": task.declaration,
            "items": items,
            "header_documents": header_documents,
            "form": form,
            "errors": error_summary(form) if form is not None and form.is_bound else [],
        },
        status=status,
    )


# Joint inspections: planning (supervisors) ----------------------------------------------------


def _supervisor(request: HttpRequest) -> User:
    user = _user(request)
    if not selectors.is_supervisor(user):
        raise Http404("Customs supervisors only.")
    return user


@login_required
@require_GET
def inspection_plan(request: HttpRequest) -> HttpResponse:
    """Supervisors: declarations with a physical inspection to schedule or scheduled."""
    user = _supervisor(request)
    declarations = list(selectors.declarations_to_inspect(user)[:200])
    return render(
        request,
        "clearance/inspections/plan.html",
        {
            "nav": "inspection_plan",
            "to_schedule": [d for d in declarations if not d.scheduled],  # type: ignore[attr-defined]
            "scheduled": [d for d in declarations if d.scheduled],  # type: ignore[attr-defined]
        },
    )


def _appointment(data: dict[str, Any]) -> services.Appointment:
    return services.Appointment(
        scheduled_for=data["scheduled_for"],
        place=data["place"],
        goods_location=data.get("goods_location") or "",
        instructions=data.get("instructions") or "",
        contact=data.get("contact") or "",
    )


def _goods_location_text(declaration: Declaration) -> str:
    parts = [declaration.goods_location]
    if declaration.goods_location_country:
        parts.append(declaration.goods_location_country)
    return " · ".join(p for p in parts if p)


@login_required
@require_http_methods(["GET", "POST"])
def inspection_schedule(request: HttpRequest, mrn: str) -> HttpResponse:
    """Schedule the declaration's joint inspection, or reschedule or cancel it (with a reason)."""
    user = _supervisor(request)
    declaration = selectors.access_declaration_to_inspect(user, mrn)
    inspection = selectors.scheduled_inspection(declaration)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    form: AppointmentForm
    initial: dict[str, Any]
    cancel_form = CancelForm(auto_id="id_cancel_%s")
    status = 200
    if inspection is None:
        initial = {
            "goods_location": _goods_location_text(declaration),
            "place": _goods_location_text(declaration),
        }
        form = AppointmentForm(request.POST if action == "schedule" else None, initial=initial)
    else:
        initial = {
            "scheduled_for": timezone.localtime(inspection.scheduled_for),
            "place": inspection.place,
            "goods_location": inspection.goods_location,
            "instructions": inspection.instructions,
            "contact": inspection.contact,
        }
        form = RescheduleForm(request.POST if action == "reschedule" else None, initial=initial)
        if action == "cancel":
            cancel_form = CancelForm(request.POST, auto_id="id_cancel_%s")
    if request.method == "POST":
        status = 400
        try:
            if action == "schedule" and inspection is None and form.is_valid():
                services.inspection_schedule(
                    declaration=declaration, supervisor=user, appointment=_appointment(form.cleaned_data)
                )
                messages.success(request, _("Inspection scheduled. The trader has been told where and when."))
                return redirect("clearance:inspection_schedule", mrn=declaration.mrn)
            if action == "reschedule" and inspection is not None and form.is_valid():
                services.inspection_reschedule(
                    inspection_id=inspection.pk,
                    supervisor=user,
                    appointment=_appointment(form.cleaned_data),
                    reason=form.cleaned_data["reason"],
                )
                messages.success(request, _("Inspection moved. The trader has been told."))
                return redirect("clearance:inspection_schedule", mrn=declaration.mrn)
            if action == "cancel" and inspection is not None and cancel_form.is_valid():
                services.inspection_cancel(
                    inspection_id=inspection.pk, supervisor=user, reason=cancel_form.cleaned_data["reason"]
                )
                messages.success(request, _("Inspection cancelled. The trader has been told."))
                return redirect("clearance:inspection_schedule", mrn=declaration.mrn)
        except DomainError as exc:
            target = cancel_form if action == "cancel" else form
            add_service_errors(target, exc, default_field="reason" if action == "cancel" else "scheduled_for")
    tasks = list(
        ControlTask.objects.filter(declaration=declaration, kind=ControlKind.PHYSICAL)
        .exclude(status=ControlStatus.CANCELLED)
        .select_related("agency", "inspection")
        .order_by("created_at", "pk")
    )
    past = list(
        JointInspection.objects.filter(declaration=declaration)
        .exclude(status=InspectionStatus.SCHEDULED)
        .order_by("-scheduled_for")
    )
    findings = [f for i in past for f in selectors.findings_of(i)]
    if inspection is not None:
        findings += selectors.findings_of(inspection)
    can_schedule = declaration.is_under_review and any(t.status == ControlStatus.OPEN for t in tasks)
    errors = []
    if form is not None and form.is_bound:
        errors += error_summary(form)
    if cancel_form.is_bound:
        errors += error_summary(cancel_form)
    return render(
        request,
        "clearance/inspections/schedule.html",
        {
            "nav": "inspection_plan",
            "declaration": declaration,
            "inspection": inspection,
            "tasks": tasks,
            "past": past,
            "findings": findings,
            "form": form
            if (inspection is not None or can_schedule) and declaration.is_under_review
            else None,
            "cancel_form": cancel_form if inspection is not None and declaration.is_under_review else None,
            "goods_location": _goods_location_text(declaration),
            "errors": errors,
        },
        status=status,
    )


# Inspections: the officers -----------------------------------------------------------------------


@login_required
@require_GET
def my_inspections(request: HttpRequest) -> HttpResponse:
    """An officer's inspections: today (and any still open from before), then upcoming."""
    user = _user(request)
    if user.role is not Role.OFFICER:
        raise Http404("Agency officers only.")
    days = selectors.inspections_by_day(selectors.inspections_for_officer(user)[:200])
    return render(
        request,
        "clearance/inspections/mine.html",
        {
            "nav": "inspections",
            "today": days.today,
            "upcoming": days.upcoming,
            "customs": selectors.is_customs_officer(user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def inspection_findings(request: HttpRequest, pk: int) -> HttpResponse:
    """The quay page (works on a phone): where and what, then the officer's agency's findings."""
    user = _user(request)
    inspection = selectors.access_inspection_for_officer(user, pk)
    agency = services.attending_agency(user, inspection)
    findings = selectors.findings_of(inspection)
    recorded = next((f for f in findings if agency is not None and f.agency_id == agency.pk), None)
    open_to_record = (
        agency is not None
        and recorded is None
        and inspection.status == InspectionStatus.SCHEDULED
        and inspection.declaration.is_under_review
    )
    posted = request.method == "POST"
    form = None
    if open_to_record:
        form = FindingForm(request.POST if posted else None, request.FILES if posted else None)
    status = 200
    if request.method == "POST":
        if form is None:
            messages.error(
                request, _("Your agency's findings are already recorded, or the inspection is closed.")
            )
            return redirect("clearance:inspection", pk=inspection.pk)
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                photos = photos_check(data["photos"])
                services.finding_record(
                    inspection_id=inspection.pk,
                    officer=user,
                    finding=services.Finding(
                        outcome=data["outcome"],
                        findings=data["findings"],
                        seizure=data["seizure"],
                        fine_amount=data["fine_amount"],
                        fine_currency=data["fine_currency"],
                    ),
                    photos=photos,
                )
            except DomainError as exc:
                add_service_errors(form, exc, default_field="outcome")
            else:
                messages.success(
                    request,
                    _("Findings recorded for %(agency)s.") % {"agency": agency.name if agency else ""},
                )
                return redirect("clearance:inspection", pk=inspection.pk)
    tasks = list(inspection.tasks.select_related("agency").order_by("agency__name"))
    items, header_documents = _goods_with_documents(inspection.declaration)
    return render(
        request,
        "clearance/inspections/findings.html",
        {
            "nav": "inspections",
            "inspection": inspection,
            "declaration": inspection.declaration,
            "agency": agency,
            "tasks": tasks,
            "findings": findings,
            "recorded": recorded,
            "items": items,
            "header_documents": header_documents,
            "form": form,
            "errors": error_summary(form) if form is not None and form.is_bound else [],
        },
        status=status,
    )


@login_required
@require_GET
def photo(request: HttpRequest, pk: int) -> FileResponse:
    """A finding's photo, for those who may see that inspection (anyone else: 404)."""
    found = selectors.access_photo(_user(request), pk)
    try:
        handle = found.image.open("rb")
    except FileNotFoundError:
        raise Http404("The photo is no longer stored.") from None
    response = FileResponse(handle, content_type=found.content_type)
    response["Content-Disposition"] = f'inline; filename="photo-{found.pk}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
