"""Schools in each state, built through the model methods as users would."""

from datetime import timedelta

from schools.models import Province
from tasks.models import Declaration, Round
from tasks.transitions import beijing_today
from tests.factories import SchoolUserFactory
from tests.tasks.conftest import item
from tests.tasks.helpers import full_row, row


def school_in_state(province, round_, state, admin, **school):
    """A school whose declaration is in `state` (a SchoolStatus value), items 1 and 3.2."""
    user = SchoolUserFactory(
        school__province=province, **{f"school__{k}": v for k, v in school.items()}
    )
    if state == "not_started":
        return user.school
    declaration = Declaration.for_school(user.school, round_)
    rows = {item("1").pk: full_row(item("1")), item("3.2").pk: full_row(item("3.2"))}
    if state == "filling":
        declaration.save_draft(
            by=user, rows={item("1").pk: row(school_funds=1)}, contacts=None, version=0
        )
        return user.school
    declaration.submit(by=user, rows=rows, contacts=None, version=0)
    first, second = declaration.commitments.order_by("item__task__number", "item__sub_number")
    if state == "reviewing":
        first.approve(by=admin)
    elif state == "returned":
        first.approve(by=admin)
        second.return_for_changes(by=admin, comment="请核实")
    elif state == "approved":
        declaration.approve_all(by=admin)
    return user.school


def open_round_for(code):
    province = Province.objects.get(code=code)
    round_ = Round.objects.create(
        plan_id=1,
        province=province,
        start_date=beijing_today() - timedelta(days=1),
        end_date=beijing_today() + timedelta(days=9),
    )
    round_.items.set(round_.default_items())
    return round_
