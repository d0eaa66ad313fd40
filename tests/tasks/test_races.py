"""Concurrent transitions on one declaration: exactly one applies, the other is refused.

The transitions lock the declaration row (select_for_update on PostgreSQL; on SQLite the
IMMEDIATE transaction takes the write lock at BEGIN). Each test holds the first transition
inside its transaction for a moment, so without the lock both would read the same state
and both would be applied.
"""

import threading
import time

import pytest
from django.db import connections

from tasks.models import Declaration
from tasks.transitions import TransitionError
from tests.tasks.conftest import item
from tests.tasks.helpers import full_row, row

pytestmark = pytest.mark.django_db(transaction=True)


def race(*actions):
    """Run the actions in threads started together; return what each raised (or None)."""
    barrier = threading.Barrier(len(actions))
    results: list[object] = [None] * len(actions)

    def run(index, action):
        try:
            barrier.wait()
            if index:
                time.sleep(0.05)  # let the first one take the lock first
            action()
        except Exception as exc:
            results[index] = exc  # the assertions report what was raised
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.fixture
def slow_apply(monkeypatch):
    """Hold the first transition inside its transaction for a moment."""
    original = Declaration._apply

    def slow(self, rows, contacts):
        changes = original(self, rows, contacts)
        time.sleep(0.3)
        return changes

    monkeypatch.setattr(Declaration, "_apply", slow)


def test_two_tabs_saving_the_same_version(open_round, school_user, slow_apply):
    declaration = Declaration.for_school(school_user.school, open_round)
    declaration.save_draft(
        by=school_user, rows={item("1").pk: row(school_funds=1)}, contacts=None, version=0
    )
    first = Declaration.objects.get(pk=declaration.pk)
    second = Declaration.objects.get(pk=declaration.pk)
    results = race(
        lambda: first.save_draft(
            by=school_user, rows={item("1").pk: row(school_funds=2)}, contacts=None, version=1
        ),
        lambda: second.save_draft(
            by=school_user, rows={item("1").pk: row(school_funds=3)}, contacts=None, version=1
        ),
    )
    assert results[0] is None
    assert type(results[1]).__name__ == "StaleVersion", results
    declaration.refresh_from_db()
    assert declaration.version == 2
    assert declaration.commitments.get().school_funds == 2


def test_withdraw_racing_the_first_approval(open_round, school_user, province_admin, monkeypatch):
    declaration = Declaration.for_school(school_user.school, open_round)
    declaration.submit(
        by=school_user, rows={item("1").pk: full_row(item("1"))}, contacts=None, version=0
    )
    commitment = declaration.commitments.get()
    original = Declaration._bump

    def slow_bump(self):
        original(self)
        time.sleep(0.3)

    monkeypatch.setattr(Declaration, "_bump", slow_bump)
    mine = Declaration.objects.get(pk=declaration.pk)
    results = race(
        lambda: commitment.approve(by=province_admin),
        lambda: mine.withdraw(by=school_user),
    )
    applied = [r for r in results if r is None]
    assert len(applied) == 1, results
    refused = next(r for r in results if r is not None)
    assert isinstance(refused, TransitionError), refused
    assert "已开始审核" in refused.message
    declaration.refresh_from_db()
    assert declaration.status == "submitted"
    assert declaration.commitments.get().review_status == "approved"


def test_two_admins_returning_and_approving_the_same_item(
    open_round, school_user, province_admin, monkeypatch
):
    from tests.factories import ProvinceAdminFactory

    colleague = ProvinceAdminFactory(province=province_admin.province)
    declaration = Declaration.for_school(school_user.school, open_round)
    declaration.submit(
        by=school_user, rows={item("1").pk: full_row(item("1"))}, contacts=None, version=0
    )
    original = Declaration._bump

    def slow_bump(self):
        original(self)
        time.sleep(0.3)

    monkeypatch.setattr(Declaration, "_bump", slow_bump)
    first = declaration.commitments.get()
    second = declaration.commitments.get()
    results = race(
        lambda: first.return_for_changes(by=province_admin, comment="请核实"),
        lambda: second.approve(by=colleague),
    )
    assert results[0] is None
    refused = results[1]
    assert isinstance(refused, TransitionError), results
    assert "可能已由他人处理" in refused.message
    c = declaration.commitments.get()
    assert (c.review_status, c.comment, c.reviewed_by) == ("returned", "请核实", province_admin)
