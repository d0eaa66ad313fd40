"""Schools in each state, built through the model methods as users would."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from schools.choices import SchoolKind
from schools.models import Province, School
from tasks.choices import DeclarationStatus, ReviewStatus, SchoolStatus
from tasks.models import Commitment, Declaration, Item, Round
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


def build_submitted(schools: int, items_each: int = 20, prefix: str = "41") -> None:
    """`schools` submitted declarations of `items_each` rows, inserted in bulk, their codes
    starting with `prefix` (another than the factories' when a test makes schools of both)."""
    province = Province.objects.get(code="14")
    round_ = Round.objects.get_or_create(
        plan_id=1,
        province=province,
        defaults={"start_date": beijing_today(), "end_date": beijing_today()},
    )[0]
    start = School.objects.count()
    School.objects.bulk_create(
        School(
            code=f"{prefix}{start + n:0{10 - len(prefix)}d}",
            name=f"内存测试学校{start + n}",
            kind=SchoolKind.SECONDARY,
            province=province,
        )
        for n in range(schools)
    )
    codes = [f"{prefix}{start + n:0{10 - len(prefix)}d}" for n in range(schools)]
    Declaration.objects.bulk_create(
        Declaration(
            round=round_,
            school_id=code,
            status=DeclarationStatus.SUBMITTED,
            school_status=SchoolStatus.SUBMITTED,
        )
        for code in codes
    )
    items = list(Item.objects.filter(task__on_platform=True)[:items_each])
    declarations = Declaration.objects.filter(school_id__in=codes)
    now = timezone.now()
    Commitment.objects.bulk_create(
        (
            Commitment(
                declaration=d,
                item=i,
                undertaken=True,
                quantity=1,
                school_funds=Decimal("1.5"),
                industry_funds=2,
                sponsor_funds=3,
                local_funds=4,
                review_status=ReviewStatus.PENDING,
                waiting_since=now,
                comment=f"意见{d.pk}-{i.pk}",
            )
            for d in declarations
            for i in items
        ),
        batch_size=2000,
    )
