"""How a change announces itself to the audit trail.

The trail (tasks.models.audit.AuditEvent) lives in the tasks app, which depends on this one; a
change made here (a school added, an account reset) is announced through a signal that the
trail receives in the same transaction. Announcing with nobody listening is an error, so a
change can never go unrecorded.
"""

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.dispatch import Signal

from schools.choices import AuditAction

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
            found[label] = [_plain(old.get(name)), _plain(new)]
    return found


def _plain(value: Any) -> Any:
    """A value as JSON can keep it: dates and decimals as text, model instances by name."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    return str(value)
