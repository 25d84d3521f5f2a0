"""Customs supervisors' risk pages: the rules with their hit rates, a rule's form with its audit
trail, deactivation, the thresholds and random share, and the dry run.

Supervisors and administrators only: rules are confidential, so anyone else (traders, brokers,
officers of any agency, cashiers) gets 404, the same answer as for a rule that does not exist.
Every change is audited (``clearance.risk.rule_*``, ``clearance.risk.settings_changed``) with who
changed what. The dry run writes nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Role, User
from agencies.forms import error_summary
from singlewindow.audit import action_label, audit_diff, audit_log, audit_snapshot, audit_values, events_for

from ..models import RiskRule
from .cache import risk_cache_reset, risk_settings
from .dryrun import DEFAULT_CAP, DEFAULT_DAYS, dry_run
from .forms import DryRunPeriodForm, RiskRuleForm, RiskSettingsForm

RULES_PAGE_SIZE = 50
DRY_RUN_PAGE_SIZE = 25
MAX_QUERY_LENGTH = 4000  # a dry run's query string: the form's fields, never more


def _errors(form: Any) -> list[dict[str, str]]:
    return error_summary(form)


def _supervisor(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if user.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise Http404("Customs supervisors only.")
    return user


def rules_with_hits() -> QuerySet[RiskRule]:
    """Every rule with its hit counts (one query): hits, hits whose control ended, non-compliant."""
    return RiskRule.objects.annotate(
        hit_count=Count("hits"),
        controlled=Count("hits", filter=~Q(hits__outcome="")),
        non_compliant=Count("hits", filter=Q(hits__outcome="non_compliant")),
    ).order_by("-is_active", "name", "pk")


def _rule(pk: int) -> RiskRule:
    rule = rules_with_hits().filter(pk=pk).first()
    if rule is None:
        raise Http404("No such rule.")
    return rule


@login_required
@require_GET
def rule_list(request: HttpRequest) -> HttpResponse:
    _supervisor(request)
    page = Paginator(rules_with_hits(), RULES_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "clearance/risk/rules.html", {"nav": "risk", "page": page})


def _audited_save(form: RiskRuleForm, user: User, before: dict[str, Any] | None) -> RiskRule:
    with transaction.atomic():
        rule = form.save(commit=False)
        if rule.pk is None:
            rule.created_by = user
        rule.save()
        after = audit_snapshot(rule)
        if before is None:
            audit_log(action="clearance.risk.rule_created", obj=rule, actor=user, data=audit_values(after))
        else:
            diff = audit_diff(before, after)
            diff["before"].pop("updated_at", None)
            diff["after"].pop("updated_at", None)
            if diff["after"]:
                audit_log(action="clearance.risk.rule_changed", obj=rule, actor=user, data=diff)
    risk_cache_reset()
    return rule


@login_required
@require_http_methods(["GET", "POST"])
def rule_new(request: HttpRequest) -> HttpResponse:
    user = _supervisor(request)
    form = RiskRuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        rule = _audited_save(form, user, None)
        messages.success(request, _("Rule “%(name)s” created.") % {"name": rule.name})
        return redirect("clearance:risk_rule", pk=rule.pk)
    return _render_rule(request, form, None, status=400 if form.is_bound else 200)


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _supervisor(request)
    rule = _rule(pk)
    before = audit_snapshot(rule)
    form = RiskRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        _audited_save(form, user, before)
        messages.success(request, _("Rule “%(name)s” saved.") % {"name": rule.name})
        return redirect("clearance:risk_rule", pk=rule.pk)
    return _render_rule(request, form, _rule(pk), status=400 if form.is_bound else 200)


def _render_rule(
    request: HttpRequest, form: RiskRuleForm, rule: RiskRule | None, *, status: int
) -> HttpResponse:
    trail = []
    if rule is not None:
        trail = [
            {"event": e, "label": action_label(e.action), "actor": e.actor.get_username() if e.actor else ""}
            for e in events_for(rule).order_by("-at", "-pk")[:50]
        ]
    return render(
        request,
        "clearance/risk/rule_form.html",
        {
            "nav": "risk",
            "form": form,
            "rule": rule,
            "errors": _errors(form) if form.is_bound else [],
            "trail": trail,
            "period": DryRunPeriodForm(),
        },
        status=status,
    )


@login_required
@require_POST
def rule_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    user = _supervisor(request)
    with transaction.atomic():
        rule = RiskRule.objects.select_for_update().filter(pk=pk).first()
        if rule is None:
            raise Http404("No such rule.")
        if rule.is_active:
            rule.is_active = False
            rule.save(update_fields=["is_active", "updated_at"])
            audit_log(
                action="clearance.risk.rule_deactivated", obj=rule, actor=user, data={"name": rule.name}
            )
    risk_cache_reset()
    messages.success(
        request, _("Rule “%(name)s” deactivated: it no longer scores declarations.") % {"name": rule.name}
    )
    return redirect("clearance:risk_rules")


@login_required
@require_http_methods(["GET", "POST"])
def settings_edit(request: HttpRequest) -> HttpResponse:
    user = _supervisor(request)
    row = risk_settings()
    before = audit_snapshot(row)
    form = RiskSettingsForm(request.POST or None, instance=row)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save(commit=False)
            saved.updated_by = user
            saved.save()
            diff = audit_diff(before, audit_snapshot(saved))
            for side in ("before", "after"):
                diff[side].pop("updated_at", None)
                diff[side].pop("updated_by", None)
            if diff["after"]:
                audit_log(action="clearance.risk.settings_changed", obj=saved, actor=user, data=diff)
        risk_cache_reset()
        messages.success(request, _("Thresholds saved: they apply to the next declaration routed."))
        return redirect("clearance:risk_settings")
    trail = [
        {"event": e, "label": action_label(e.action), "actor": e.actor.get_username() if e.actor else ""}
        for e in events_for(row).order_by("-at", "-pk")[:20]
    ]
    return render(
        request,
        "clearance/risk/settings.html",
        {"nav": "risk", "form": form, "errors": _errors(form) if form.is_bound else [], "trail": trail},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def rule_dry_run(request: HttpRequest) -> HttpResponse:
    """The dry run of a saved rule (GET ``?rule=<id>``, linkable and paged) or of a rule's form values
    (POST from the rule's form: a rule being written, paged by posting again). Saves nothing and
    writes nothing.
    """
    _supervisor(request)
    data = request.POST if request.method == "POST" else request.GET
    if len(request.META.get("QUERY_STRING", "")) > MAX_QUERY_LENGTH:
        raise Http404("Too long.")
    period = DryRunPeriodForm(data or None)
    days = DEFAULT_DAYS
    if period.is_bound and period.is_valid() and period.cleaned_data.get("days"):
        days = int(period.cleaned_data["days"])
    saved: RiskRule | None = None
    form: RiskRuleForm | None = None
    rule: RiskRule | None = None
    raw_id = str(data.get("rule", "") or request.GET.get("rule", ""))
    if raw_id:
        if not raw_id.isdigit() or len(raw_id) > 12:
            raise Http404("No such rule.")
        saved = _rule(int(raw_id))
    if request.method == "POST":
        form = RiskRuleForm(request.POST, instance=saved)
        if form.is_valid():
            rule = form.rule()
    else:
        rule = saved
    if rule is None and form is None:
        raise Http404("Nothing to dry-run.")
    result = dry_run(rule, days=days) if rule is not None else None
    page = Paginator(result.hits, DRY_RUN_PAGE_SIZE).get_page(data.get("page")) if result else None
    invalid = form is not None and not form.is_valid()
    return render(
        request,
        "clearance/risk/dry_run.html",
        {
            "nav": "risk",
            "form": form,
            "errors": _errors(form) if invalid and form is not None else [],
            "rule": rule,
            "saved": saved,
            "result": result,
            "page": page,
            "days": days,
            "cap": DEFAULT_CAP,
            "query": f"rule={saved.pk}&days={days}" if saved is not None else "",
        },
        status=400 if invalid else 200,
    )
