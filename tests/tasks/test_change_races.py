"""A 变更申请's approval racing the school's second proposal: the declaration's lock puts one
after the other, so the approval applies exactly the proposal it was shown, and a proposal made
against the old baseline is refused, never counted on top of the new one."""

import time

import pytest
from django.db import transaction

from tasks.choices import ChangeStatus
from tasks.models import ChangeRequest, Commitment, Declaration
from tasks.transitions import InvalidState, StaleVersion
from tests.review.helpers import school_in_state
from tests.tasks.conftest import item
from tests.tasks.helpers import full_row
from tests.tasks.test_races import race

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def first(shanxi, open_round, province_admin):
    """An approved school with a pending proposal: 3.2's quantity 2 → 5."""
    school = school_in_state(shanxi, open_round, "approved", province_admin, name="甲学院")
    declaration = Declaration.objects.get(school=school)
    return ChangeRequest.propose(
        declaration,
        by=school.account,
        rows={item("3.2").pk: full_row(item("3.2"), quantity=5)},
        reason="招生计划调整",
        version=declaration.version,
    )


def second_proposal(school, version):
    declaration = Declaration.objects.get(school=school)
    return lambda: ChangeRequest.propose(
        declaration,
        by=school.account,
        rows={item("1").pk: full_row(item("1"), school_funds=9)},
        reason="经费调整",
        version=version,
    )


def approved_quantity(school):
    return Commitment.objects.approved().get(declaration__school=school, item__code="3.2").quantity


def test_approval_first_then_a_proposal_on_the_old_baseline_is_refused(
    first, province_admin, monkeypatch
):
    school = first.declaration.school
    seen = Declaration.objects.get(school=school).version  # the school's page, before approval
    original = ChangeRequest._apply

    def slow(self, *args, **kwargs):
        original(self, *args, **kwargs)
        time.sleep(0.3)  # still inside the approval's transaction

    monkeypatch.setattr(ChangeRequest, "_apply", slow)
    results = race(lambda: first.approve(by=province_admin), second_proposal(school, seen))
    assert results[0] is None
    assert isinstance(results[1], StaleVersion), results
    assert approved_quantity(school) == 5
    assert list(ChangeRequest.objects.values_list("status", flat=True)) == [ChangeStatus.APPROVED]


def test_a_replaced_proposal_first_then_the_approval_of_the_old_one_is_refused(
    first, province_admin
):
    school = first.declaration.school
    version = Declaration.objects.get(school=school).version

    def replace():
        # The school withdraws its proposal and makes another, in one transaction that holds
        # the declaration's lock for a moment.
        with transaction.atomic():
            ChangeRequest.objects.get(pk=first.pk).withdraw(by=school.account)
            second_proposal(school, version)()
            time.sleep(0.3)

    results = race(replace, lambda: first.approve(by=province_admin))
    assert results[0] is None
    assert isinstance(results[1], InvalidState), results
    assert approved_quantity(school) == 2  # the baseline: nothing was approved
    statuses = dict(ChangeRequest.objects.values_list("reason", "status"))
    assert statuses == {"招生计划调整": ChangeStatus.WITHDRAWN, "经费调整": ChangeStatus.PENDING}


def test_two_proposals_at_once_leave_one_pending(first, province_admin):
    school = first.declaration.school
    first.withdraw(by=school.account)
    version = Declaration.objects.get(school=school).version
    results = race(second_proposal(school, version), second_proposal(school, version))
    assert sum(r is None for r in results) == 1
    assert ChangeRequest.objects.filter(status=ChangeStatus.PENDING).count() == 1
