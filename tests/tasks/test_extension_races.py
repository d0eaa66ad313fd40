"""A grant (延期) racing the school's save after the old end date, both orders, on SQLite and
PostgreSQL (whichever DATABASE_URL names): the grant takes the school's declaration lock, which
the save takes before reading its window, so the save sees the round as it stands when it
commits. Save first: it is refused on the old date and nothing typed is stored; grant first:
the save waits for it and goes through.

Without the grant's lock, the grant-first race fails on PostgreSQL: the save does not wait, reads
no grant (not yet committed) and is refused."""

import time
from datetime import timedelta

import pytest

from tasks.models import Declaration, Extension
from tasks.transitions import WindowClosed, beijing_today
from tests.tasks.conftest import item
from tests.tasks.helpers import row
from tests.tasks.test_races import race

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def saved_then_ended(open_round, school_user):
    """The school saved 学校自筹 1 before the end date; the round ended yesterday."""
    declaration = Declaration.for_school(school_user.school, open_round)
    declaration.save_draft(
        by=school_user, rows={item("1").pk: row(school_funds=1)}, contacts=None, version=0
    )
    today = beijing_today()
    open_round.start_date = today - timedelta(days=20)
    open_round.end_date = today - timedelta(days=1)
    open_round.save()
    return Declaration.objects.get(pk=declaration.pk)


def _save(declaration, user):
    return lambda: Declaration.objects.get(pk=declaration.pk).save_draft(
        by=user, rows={item("1").pk: row(school_funds=7)}, contacts=None, version=1
    )


def _grant(round_, school, admin):
    until = beijing_today() + timedelta(days=3)
    return lambda: Extension.grant_unasked(round_, school, by=admin, until=until)


def test_save_first_is_refused_and_stores_nothing(
    saved_then_ended, open_round, school_user, province_admin, monkeypatch
):
    original = Declaration._edit_refusal

    def slow(self, user):
        found = original(self, user)
        time.sleep(0.3)  # window read, lock held: the grant must wait
        return found

    monkeypatch.setattr(Declaration, "_edit_refusal", slow)
    results = race(
        _save(saved_then_ended, school_user),
        _grant(open_round, school_user.school, province_admin),
    )
    assert isinstance(results[0], WindowClosed), results
    assert "本省申报已于" in results[0].message
    assert results[1] is None
    declaration = Declaration.objects.get(pk=saved_then_ended.pk)
    assert declaration.version == 1
    assert declaration.commitments.get().school_funds == 1
    assert declaration.is_open()  # the grant applied after the refused save


def test_grant_first_lets_the_save_through(
    saved_then_ended, open_round, school_user, province_admin, monkeypatch
):
    original = Extension._grant_locked

    def slow(self, *args, **kwargs):
        original(self, *args, **kwargs)
        time.sleep(0.3)  # written, not committed: a save now must wait for it

    monkeypatch.setattr(Extension, "_grant_locked", slow)
    results = race(
        _grant(open_round, school_user.school, province_admin),
        _save(saved_then_ended, school_user),
    )
    assert results == [None, None]
    declaration = Declaration.objects.get(pk=saved_then_ended.pk)
    assert declaration.version == 2
    assert declaration.commitments.get().school_funds == 7
