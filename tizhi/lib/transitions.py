"""The frame of every state change, in every app: the errors a refusal raises, the row lock and
the transaction, and the clock the deadlines are read on (Beijing time)."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

# Rounds close at 24:00 Beijing time on their end date, wherever the server runs.
BEIJING = ZoneInfo("Asia/Shanghai")


def beijing_today(at: datetime | None = None) -> date:
    return timezone.localtime(at or timezone.now(), BEIJING).date()


def beijing_time(at: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored moment as people read it, on pages and in files alike: Beijing time
    (the database keeps UTC); blank for None."""
    return timezone.localtime(at, BEIJING).strftime(fmt) if at else ""


class TransitionError(Exception):
    """A state change refused; `message` is shown to the user, `status` is the HTTP status,
    and `field` names the form field the message belongs to, where there is one."""

    status = 409

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(TransitionError, PermissionDenied):
    """Not this user's to do. Also a PermissionDenied, so one that no view catches is still
    answered with the 403 page."""

    status = 403


class WindowClosed(TransitionError):
    status = 403


class StaleVersion(TransitionError):
    status = 409


class InvalidState(TransitionError):
    status = 409


class InvalidInput(TransitionError):
    status = 400


class LockedTransitions:
    """The frame of every transition: one transaction that first locks this row.

    On PostgreSQL the lock is select_for_update on this row only; SQLite's IMMEDIATE
    transactions serialise writers. A model using it names the fields that identify its row
    (`unique_key`, for a concurrent first save) and what to load with the lock.
    """

    unique_key: tuple[str, ...] = ()
    lock_related: tuple[str, ...] = ()
    pk: Any
    _state: Any

    def _ensure_saved(self) -> None:
        """Create the row on first save; a concurrent first save finds the other's row."""
        if self.pk is not None:
            return
        try:
            with transaction.atomic():
                self.save(force_insert=True)  # type: ignore[attr-defined]
        except IntegrityError:
            self.pk = (
                type(self)
                ._default_manager.filter(  # type: ignore[attr-defined]
                    **{name: getattr(self, name) for name in self.unique_key}
                )
                .values_list("pk", flat=True)
                .get()
            )

    @contextmanager
    def _atomic(self) -> Iterator[None]:
        """A transition's transaction. If it fails, a row it created is rolled back with it,
        so this instance must forget its primary key too."""
        new = self.pk is None
        try:
            with transaction.atomic():
                yield
        except BaseException:
            if new:
                self.pk = None
                self._state.adding = True
            raise

    def _locked(self) -> Any:
        self._ensure_saved()
        return (
            type(self)
            ._default_manager.select_for_update(of=("self",))  # type: ignore[attr-defined]
            .select_related(*self.lock_related)
            .get(pk=self.pk)
        )
