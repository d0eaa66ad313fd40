"""A bulk decision (按任务审核) racing a school's resubmission on the same declaration: they are
serialised by the declaration's lock, and the loser is refused, never half applied."""

import time

import pytest

from tasks.choices import ReviewStatus
from tasks.models import Commitment, Declaration
from tasks.transitions import StaleVersion
from tests.review.helpers import school_in_state
from tests.tasks.conftest import item
from tests.tasks.helpers import full_row
from tests.tasks.test_races import race

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def two(shanxi, open_round, province_admin):
    """甲 waits on 1 and 3.2; 乙 waits on 1 and has 3.2 returned, which it will resubmit.
    乙's declaration is the older, so a batch locks it first (batches lock in declaration
    order) and holds that lock to its end."""
    b = school_in_state(shanxi, open_round, "submitted", province_admin, name="乙学院")
    a = school_in_state(shanxi, open_round, "submitted", province_admin, name="甲学院")
    Commitment.objects.get(declaration__school=b, item__code="3.2").return_for_changes(
        by=province_admin, comment="请核实"
    )
    return a, b


def rows_of(a, b):
    return [
        Commitment.objects.get(declaration__school=a, item__code="1").pk,
        Commitment.objects.get(declaration__school=b, item__code="1").pk,
    ]


def resubmit(b):
    declaration = Declaration.objects.get(school=b)
    version = declaration.version
    returned = declaration.commitments.get(item__code="3.2")

    def run():
        declaration.resubmit(
            by=b.account,
            rows={returned.item_id: full_row(item("3.2"))},
            selected=[returned.item_id],
            version=version,
        )

    return run


def test_bulk_return_first_then_the_stale_resubmission_is_refused(two, province_admin, monkeypatch):
    a, b = two
    original = Commitment._review

    def slow(self, *args, **kwargs):
        original(self, *args, **kwargs)
        time.sleep(0.3)  # still inside the batch's transaction

    monkeypatch.setattr(Commitment, "_review", slow)
    bulk = rows_of(a, b)
    results = race(
        lambda: Commitment.review_many(bulk, by=province_admin, approve=False, comment="偏高"),
        resubmit(b),
    )
    assert results[0] is None
    assert isinstance(results[1], StaleVersion), results
    statuses = dict(
        Commitment.objects.filter(declaration__school=b).values_list("item__code", "review_status")
    )
    assert statuses == {"1": ReviewStatus.RETURNED, "3.2": ReviewStatus.RETURNED}


def test_resubmission_first_then_the_bulk_return_applies_to_what_it_chose(
    two, province_admin, monkeypatch
):
    a, b = two
    original = Declaration._apply

    def slow(self, rows, contacts):
        changes = original(self, rows, contacts)
        time.sleep(0.3)  # still inside the resubmission's transaction
        return changes

    monkeypatch.setattr(Declaration, "_apply", slow)
    bulk = rows_of(a, b)
    results = race(
        resubmit(b),
        lambda: Commitment.review_many(bulk, by=province_admin, approve=False, comment="偏高"),
    )
    assert results == [None, None]
    statuses = dict(
        Commitment.objects.filter(declaration__school=b).values_list("item__code", "review_status")
    )
    assert statuses == {"1": ReviewStatus.RETURNED, "3.2": ReviewStatus.PENDING}
    assert Commitment.objects.get(declaration__school=a, item__code="1").comment == "偏高"
