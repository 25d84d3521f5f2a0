"""Every change made in the admin is audited, and administrators read the audit log here.

``AuditedAdminMixin`` is the base of every ModelAdmin of the project: a save writes
``<audit_name>.created|changed`` with the fields before and after (only those that changed), a
deletion ``<audit_name>.deleted`` with the fields as they were and what the deletion took with it,
inline rows their own events, and guardian's object-permission pages
``admin.object_permissions.changed``. Secrets (webhook secrets, password hashes, token keys) are
written as "changed", never in clear. Admins registered by other apps (groups, API tokens) are
wrapped with the mixin when the project starts (``audit_every_admin``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, models, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from .audit import (
    ACTION_LABELS,
    AuditEntry,
    action_label,
    audit_diff,
    audit_log,
    audit_log_many,
    audit_snapshot,
    audit_values,
)
from .models import AuditEvent

if TYPE_CHECKING:
    _AdminBase = admin.ModelAdmin
else:
    _AdminBase = object

_BEFORE = "_sw_audit_before"


def _audit_name_for(site: admin.AdminSite, model: type[models.Model]) -> str:
    registered = site._registry.get(model)
    return getattr(registered, "audit_name", "") if registered is not None else ""


def _action(name: str, kind: str, overrides: dict[str, str] | None = None) -> str:
    if overrides and kind in overrides:
        return overrides[kind]
    if name and f"{name}.{kind}" in ACTION_LABELS:
        return f"{name}.{kind}"
    return f"admin.object.{kind}"


class AuditedAdminMixin(_AdminBase):
    """Audit what an administrator changes; put it first in the bases of every ModelAdmin."""

    # Dotted name of the model in action codes ("agencies.agency"): its .created, .changed and
    # .deleted must be registered in ACTION_LABELS; otherwise admin.object.* is written.
    audit_name: str = ""
    # Action per kind, where a model keeps older codes ("deleted" → "….removed").
    audit_actions: dict[str, str] = {}  # noqa: RUF012 - read only

    def audit_action(self, kind: str) -> str:
        return _action(self.audit_name, kind, self.audit_actions)

    def audit_change_events(
        self, obj: models.Model, diff: dict[str, dict[str, Any]]
    ) -> list[tuple[str, dict[str, Any]]]:
        """The events of one change: (action, data); an admin may split a change in several."""
        return [(self.audit_action("changed"), diff)]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # Before the form's values reach the database: read the row as it is.
        before = None
        if change and obj.pk is not None:
            stored = type(obj)._default_manager.filter(pk=obj.pk).first()
            before = audit_snapshot(stored) if stored is not None else None
        obj.__dict__[_BEFORE] = before
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """After the many-to-many fields and inlines: one event with the whole change."""
        super().save_related(request, form, formsets, change)
        obj = form.instance
        before = obj.__dict__.pop(_BEFORE, None)
        after = audit_snapshot(obj)
        if before is None:
            audit_log(
                action=self.audit_action("created"),
                obj=obj,
                actor=request.user,
                data={"after": audit_values(after)},
            )
            return
        diff = audit_diff(before, after)
        if not diff["after"]:
            return  # saved without a change
        for action, data in self.audit_change_events(obj, diff):
            if data["after"]:
                audit_log(action=action, obj=obj, actor=request.user, data=data)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """Inline rows: created, changed (before and after) and deleted, each its own event."""
        model = formset.model
        pks = [f.instance.pk for f in formset.initial_forms if f.instance.pk is not None]
        originals = {o.pk: audit_snapshot(o) for o in model._default_manager.filter(pk__in=pks)}
        # Deleting clears an object's key: remember whose it was.
        doomed = {id(f.instance): f.instance.pk for f in formset.deleted_forms if f.instance.pk is not None}
        super().save_formset(request, form, formset, change)
        name = _audit_name_for(self.admin_site, model)
        entries = [
            AuditEntry(
                action=_action(name, "created"),
                obj=obj,
                actor=request.user,
                data={"after": audit_values(audit_snapshot(obj))},
            )
            for obj in formset.new_objects
        ]
        for obj, _fields in formset.changed_objects:
            diff = audit_diff(originals.get(obj.pk, {}), audit_snapshot(obj))
            if diff["after"]:
                entries.append(
                    AuditEntry(action=_action(name, "changed"), obj=obj, actor=request.user, data=diff)
                )
        for obj in formset.deleted_objects:
            pk = doomed.get(id(obj), obj.pk)
            entries.append(
                AuditEntry(
                    action=_action(name, "deleted"),
                    obj=_ref_of(obj, pk),
                    actor=request.user,
                    data={"before": audit_values(originals.get(pk) or {})},
                )
            )
        audit_log_many(entries)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic(using=self._db_for(obj)):
            before = audit_values(audit_snapshot(obj))
            ref = _ref_of(obj)
            _count, deleted = obj.delete()
            audit_log(
                action=self.audit_action("deleted"),
                obj=ref,
                actor=request.user,
                data={"before": before, "deleted": deleted},
            )

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        with transaction.atomic(using=queryset.db):
            doomed = [(_ref_of(obj), audit_values(audit_snapshot(obj))) for obj in queryset]
            _count, deleted = queryset.delete()
            audit_log_many(
                AuditEntry(
                    action=self.audit_action("deleted"),
                    obj=ref,
                    actor=request.user,
                    data={"before": before, "deleted": deleted},
                )
                for ref, before in doomed
            )

    # guardian's object-permission pages (GuardedModelAdmin): the form saves, the event follows.
    def get_obj_perms_manage_user_form(self, request: HttpRequest) -> type[forms.Form]:
        base = super().get_obj_perms_manage_user_form(request)  # type: ignore[misc]
        return _audited_permissions_form(base, request)

    def get_obj_perms_manage_group_form(self, request: HttpRequest) -> type[forms.Form]:
        base = super().get_obj_perms_manage_group_form(request)  # type: ignore[misc]
        return _audited_permissions_form(base, request)

    def _db_for(self, obj: models.Model) -> str:
        return obj._state.db or DEFAULT_DB_ALIAS


def _ref_of(obj: models.Model, pk: Any = None) -> models.Model:
    """A stand-in that keeps the model and key once ``delete()`` has cleared the object's key."""
    ref = type(obj)()
    ref.pk = obj.pk if pk is None else pk
    return ref


def _audited_permissions_form(base: Any, request: HttpRequest) -> Any:
    actor = request.user

    class AuditedPermissionsForm(base):
        def save_obj_perms(self) -> None:
            before = sorted(self.get_obj_perms_field_initial())
            after = sorted(self.cleaned_data[self.get_obj_perms_field_name()])
            holder = getattr(self, "user", None) or self.group
            who = (
                {"user": holder.pk, "username": holder.get_username()}
                if hasattr(holder, "get_username")
                else {"group": holder.pk, "name": holder.name}
            )
            with transaction.atomic():
                super().save_obj_perms()
                if before != after:
                    audit_log(
                        action="admin.object_permissions.changed",
                        obj=self.obj,
                        actor=actor,
                        data={**who, "before": before, "after": after},
                    )

    return AuditedPermissionsForm


def audit_every_admin(site: admin.AdminSite) -> None:
    """Give the mixin to admins registered without it (other apps': groups, API tokens)."""
    for model, model_admin in list(site._registry.items()):
        if isinstance(model_admin, AuditedAdminMixin):
            continue
        cls = type(model_admin)
        audited = type(f"Audited{cls.__name__}", (AuditedAdminMixin, cls), {"__module__": __name__})
        site._registry[model] = audited(model, site)


# The audit log, read-only -------------------------------------------------------------------------


class ActionFilter(admin.SimpleListFilter):
    title = _("action")
    parameter_name = "action"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(code, f"{code} — {label}") for code, label in sorted(ACTION_LABELS.items())]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(action=value) if value else queryset


class ObjectTypeFilter(admin.SimpleListFilter):
    """Model labels from the code, not a DISTINCT over the whole log."""

    title = _("object type")
    parameter_name = "object_type"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return sorted((m._meta.label_lower, m._meta.label_lower) for m in apps.get_models())

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(object_type=value) if value else queryset


class ActorFilter(admin.SimpleListFilter):
    """``?actor=<user id>`` (the actor column links there) or the system's own events."""

    title = _("actor")
    parameter_name = "actor"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        choices: list[tuple[str, Any]] = [("none", _("No one (the system)"))]
        value = self.value()
        if value and value.isdigit():
            actor = get_user_model()._default_manager.filter(pk=value).first()
            if actor is not None:
                choices.append((value, str(actor)))
        return choices

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value == "none":
            return queryset.filter(actor__isnull=True)
        if value and value.isdigit():
            return queryset.filter(actor_id=int(value))
        return queryset


@admin.register(AuditEvent)
class AuditEventAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """The audit log for administrators: filter by action, actor, object and date; nothing editable."""

    list_display = ("at", "action_code", "what", "actor_link", "object_link", "seq")
    list_filter = (ActionFilter, ObjectTypeFilter, ActorFilter)
    date_hierarchy = "at"
    search_fields = ("=object_id", "actor__username", "action")
    list_select_related = ("actor",)
    show_full_result_count = False  # one COUNT on a large log is enough
    ordering = ("-seq",)
    fields = (
        "seq",
        "at",
        "action",
        "what",
        "actor",
        "object_type",
        "object_id",
        "data",
        "prev_hash",
        "hash",
    )
    readonly_fields = fields

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        # "=object_id" with a word would be a 500 (not a number): search the other fields only.
        if search_term and not search_term.strip().isdigit():
            return queryset.filter(
                models.Q(actor__username__icontains=search_term.strip())
                | models.Q(action__icontains=search_term.strip())
            ), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description=_("action"), ordering="action")
    def action_code(self, event: AuditEvent) -> str:
        return event.action

    @admin.display(description=_("what happened"))
    def what(self, event: AuditEvent) -> str:
        return action_label(event.action)

    @admin.display(description=_("actor"), ordering="actor__username")
    def actor_link(self, event: AuditEvent) -> str:
        if event.actor is None:
            return "—"
        url = (
            reverse("admin:singlewindow_auditevent_changelist")
            + "?"
            + urlencode({"actor": str(event.actor_id)})
        )
        return format_html('<a href="{}">{}</a>', url, event.actor.get_username())

    @admin.display(description=_("object"))
    def object_link(self, event: AuditEvent) -> str:
        if event.object_id is None:
            return event.object_type or "—"
        query = urlencode({"object_type": event.object_type, "object_id": str(event.object_id)})
        url = reverse("admin:singlewindow_auditevent_changelist") + "?" + query
        return format_html('<a href="{}">{} #{}</a>', url, event.object_type, event.object_id)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
