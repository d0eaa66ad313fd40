"""How a change announces itself to the audit trail.

The trail (tasks.models.audit.AuditEvent) lives in the tasks app, which depends on this one; a
change made here (a school added, an account reset) is announced through a signal that the
trail receives in the same transaction. Announcing with nobody listening is an error, so a
change can never go unrecorded.
"""

from dataclasses import dataclass, field
from typing import Any

from django.contrib import admin
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.dispatch import Signal
from django.http import HttpRequest

from schools.choices import AuditAction
from tizhi.lib.http import client_ip

# Never copied into the trail, only noted as changed.
SECRET_FIELDS = {"password"}
# Sent with `entries`, a list of Entry; the receiver stores them.
recorded = Signal()


@dataclass
class Entry:
    """One record of the trail: what changed (`subject`), how, by whom, from where."""

    subject: models.Model
    action: AuditAction
    by: Any = None  # the signed-in User, or None for a management command
    ip: str | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    actor: str = ""  # who, when there is no user: "命令行 import_schools"
    version: int | None = None
    province_id: str | None = None  # overrides the subject's own scope (audit_scope)
    school_id: str | None = None


def announce(*entries: Entry) -> None:
    """Record these entries in the trail, inside the caller's transaction."""
    if not entries:
        return
    if not recorded.send(sender=Entry, entries=list(entries)):
        raise ImproperlyConfigured("No audit trail is listening: the tasks app is not installed.")


def field_changes(
    instance: models.Model, old: dict[str, Any], names: list[str] | None = None
) -> dict[str, list[Any]]:
    """{verbose name: [old, new]} for each field of `instance` that differs from `old`."""
    found = {}
    for name in names or list(old):
        new = getattr(instance, name)
        if old.get(name) != new:
            label = str(getattr(instance._meta.get_field(name), "verbose_name", name))
            if name in SECRET_FIELDS:
                found[label] = ["（不记录）", "（已修改）"]
            else:
                found[label] = [_plain(old.get(name)), _plain(new)]
    return found


def _plain(value: Any) -> Any:
    """A value as JSON can keep it: dates and decimals as text, model instances by name."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    return str(value)


def snapshot(instance: models.Model) -> dict[str, Any]:
    """The stored values of an object's own fields (not its many-to-many ones)."""
    stored = type(instance)._default_manager.filter(pk=instance.pk).first()
    if stored is None:
        return {}
    return {f.name: getattr(stored, f.name) for f in stored._meta.concrete_fields}


class AuditedAdmin(admin.ModelAdmin):
    """Django admin (operators only) records every addition, change and deletion in the audit
    trail with old → new values, through the hooks Django's admin
    calls for each of them (log_addition, log_change, log_deletions) and for inline rows
    (save_formset)."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            request._audit_before = snapshot(obj)  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        _announce_entry(request, obj, AuditAction.ENTRY_ADD, _all_fields(obj))
        return super().log_addition(request, obj, message)

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        before = getattr(request, "_audit_before", None)
        if before is not None:
            changes = field_changes(obj, before)
            if changes:
                _announce_entry(request, obj, AuditAction.ENTRY_CHANGE, changes)
        elif message:
            # A change made outside save_model (the password form, list editing).
            _announce_entry(request, obj, AuditAction.ENTRY_CHANGE, {}, _message_text(message))
        return super().log_change(request, obj, message)

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        for obj in queryset:
            _announce_entry(request, obj, AuditAction.ENTRY_DELETE, {}, str(obj))
        return super().log_deletions(request, queryset)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        before = {
            f.instance.pk: snapshot(f.instance)
            for f in formset.forms
            if f.instance.pk and f.has_changed()
        }
        # Recorded before they go, while they still have their keys.
        for deleted in formset.deleted_forms:
            if deleted.instance.pk:
                obj = deleted.instance
                _announce_entry(request, obj, AuditAction.ENTRY_DELETE, {}, str(obj))
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            _announce_entry(request, obj, AuditAction.ENTRY_ADD, _all_fields(obj))
        for obj, _fields in formset.changed_objects:
            changes = field_changes(obj, before.get(obj.pk, {}))
            if changes:
                _announce_entry(request, obj, AuditAction.ENTRY_CHANGE, changes)


def _all_fields(obj: models.Model) -> dict[str, list[Any]]:
    names = [f.name for f in obj._meta.concrete_fields if not f.primary_key or f.name != "id"]
    return field_changes(obj, dict.fromkeys(names))


def _message_text(message: Any) -> str:
    if isinstance(message, list):
        parts = []
        for part in message:
            for verb, detail in part.items():
                fields = "、".join(detail.get("fields", [])) if isinstance(detail, dict) else ""
                parts.append(f"{verb} {fields}".strip())
        return "；".join(parts)
    return str(message)


def _announce_entry(
    request: HttpRequest,
    obj: models.Model,
    action: AuditAction,
    changes: dict[str, Any],
    note: str = "",
) -> None:
    payload: dict[str, Any] = {"fields": changes} if changes else {}
    if note:
        payload["note"] = note
    announce(Entry(obj, action, request.user, client_ip(request), payload))
