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


# -- switching 省财政投入 off while a school saves an amount in it ---------------------------------


def _switch_off(round_):
    from tasks.models import Round

    Round.configure(
        round_.plan, round_.province, by=None, actor="test", uses_provincial_funds=False
    )


def _provincial_race(open_round, school_user, hold_first):
    """Race a school's save of a 省财政投入 amount against the province switching the column
    off; `hold_first` slows whichever starts first inside its transaction. Returns the results
    and what the database holds afterwards."""
    from tasks.models import Round

    Round.objects.filter(pk=open_round.pk).update(uses_provincial_funds=True)
    declaration = Declaration.for_school(school_user.school, open_round)
    declaration.save_draft(
        by=school_user, rows={item("1").pk: row(school_funds=1)}, contacts=None, version=0
    )
    mine = Declaration.objects.get(pk=declaration.pk)
    save = lambda: mine.save_draft(  # noqa: E731
        by=school_user,
        rows={item("1").pk: row(school_funds=1, provincial_funds=5)},
        contacts=None,
        version=1,
    )
    switch = lambda: _switch_off(open_round)  # noqa: E731
    results = race(*((save, switch) if hold_first == "save" else (switch, save)))
    stored = declaration.commitments.get().provincial_funds
    open_round.refresh_from_db()
    return results, open_round.uses_provincial_funds, stored


@pytest.mark.parametrize("hold_first", ["save", "switch"])
def test_provincial_funds_switch_racing_a_save(open_round, school_user, monkeypatch, hold_first):
    from tasks.models import Round

    if hold_first == "save":
        original_apply = Declaration._apply

        def slow_apply(self, rows, contacts):
            changes = original_apply(self, rows, contacts)
            time.sleep(0.3)
            return changes

        monkeypatch.setattr(Declaration, "_apply", slow_apply)
    else:
        original_check = Round._check_provincial_funds_unused

        def slow_check(self):
            original_check(self)
            time.sleep(0.3)  # checked, not yet committed: a save now must wait

        monkeypatch.setattr(Round, "_check_provincial_funds_unused", slow_check)
    results, column_on, stored = _provincial_race(open_round, school_user, hold_first)
    applied = [r for r in results if r is None]
    assert len(applied) == 1, results
    refused = next(r for r in results if r is not None)
    assert isinstance(refused, TransitionError), refused
    if hold_first == "save":
        # The save won: the amount is kept and the column stays, naming the school.
        assert (column_on, stored) == (True, 5)
        assert school_user.school.name in refused.message
    else:
        # The switch won: the amount was refused, nothing hidden is counted.
        assert (column_on, stored) == (False, None)
        assert "省财政投入" in refused.message


def test_provincial_funds_switch_never_hides_an_amount(open_round, school_user):
    """Unprovoked races, many times: whichever wins, never a hidden amount."""
    from tasks.models import Commitment

    for _trial in range(10):
        results, column_on, stored = _provincial_race(open_round, school_user, "save")
        assert [r is None for r in results].count(True) == 1, results
        assert column_on or stored is None
        Commitment.objects.all().delete()
        Declaration.objects.all().delete()
