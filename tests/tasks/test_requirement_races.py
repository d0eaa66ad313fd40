"""A 必选 rule set while a school submits: the submission either sees the rule (and is refused)
or commits before the rule is set, never half of each. Round.set_requirement locks the round
row; every declaration transition holds a share lock on it (Declaration._locked)."""

import time

import pytest

from schools.choices import SchoolKind
from tasks.choices import DeclarationStatus
from tasks.models import Contacts, Declaration, RequiredItem, Round
from tasks.transitions import InvalidInput
from tests.tasks.conftest import item
from tests.tasks.helpers import GOOD_CONTACTS, full_row
from tests.tasks.test_races import race

pytestmark = pytest.mark.django_db(transaction=True)


def submit_without_7_1(declaration, user):
    declaration.submit(
        by=user,
        rows={item("1").pk: full_row(item("1"))},
        contacts=Contacts(**GOOD_CONTACTS),
        version=0,
    )


def set_7_1(round_, admin, school):
    round_.set_requirement(
        item("7.1"), kinds=[SchoolKind.OTHER], school_codes=[school.code], by=admin
    )


def test_a_rule_set_first_refuses_the_submission_waiting_behind_it(
    open_round, school_user, province_admin, monkeypatch
):
    original = Round._named_schools

    def slow(self, codes):
        found = original(self, codes)
        time.sleep(0.3)  # the round row is locked by now
        return found

    monkeypatch.setattr(Round, "_named_schools", slow)
    school = school_user.school
    declaration = Declaration.for_school(school, open_round)
    results = race(
        lambda: set_7_1(Round.objects.get(pk=open_round.pk), province_admin, school),
        lambda: submit_without_7_1(declaration, school_user),
    )
    assert results[0] is None, results
    assert isinstance(results[1], InvalidInput), results
    assert "7.1" in results[1].message
    assert not Declaration.objects.filter(
        school=school, status=DeclarationStatus.SUBMITTED
    ).exists()


def test_a_submission_first_commits_before_the_rule(
    open_round, school_user, province_admin, monkeypatch
):
    original = Declaration._apply

    def slow(self, rows, contacts):
        changes = original(self, rows, contacts)
        time.sleep(0.3)  # the declaration and the round's share lock are held by now
        return changes

    monkeypatch.setattr(Declaration, "_apply", slow)
    school = school_user.school
    declaration = Declaration.for_school(school, open_round)
    results = race(
        lambda: submit_without_7_1(declaration, school_user),
        lambda: set_7_1(Round.objects.get(pk=open_round.pk), province_admin, school),
    )
    assert results == [None, None]
    assert Declaration.objects.get(school=school).status == DeclarationStatus.SUBMITTED
    assert RequiredItem.objects.filter(round=open_round, school=school).exists()
