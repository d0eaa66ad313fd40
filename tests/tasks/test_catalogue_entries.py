"""目录维护's rules: every catalogue change goes through `save_entry` or `remove`, which check
the rules, refuse in Chinese, and put the change on record."""

import pytest

from schools.choices import AuditAction, SchoolKind
from tasks.choices import ItemScope
from tasks.models import (
    AuditEvent,
    Category,
    Item,
    Plan,
    ProvinceSummaryReport,
    ReportingYear,
    RequiredItem,
    Task,
)
from tasks.transitions import InvalidInput, InvalidState, NotAllowed
from tests.factories import MinistryUserFactory, ProvinceAdminFactory, SchoolUserFactory
from tests.review.helpers import open_round_for, school_in_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def ministry(reference_data):
    return MinistryUserFactory()


def events(subject, action):
    return list(AuditEvent.objects.for_subject(subject).filter(action=action))


def new_plan(**fields):
    values = {
        "code": "reform-2023",
        "name": "职业教育改革重点任务（2023年）",
        "start_year": 2023,
        "end_year": 2025,
        "report_deadline_month": 12,
        "report_deadline_day": 15,
        **fields,
    }
    return Plan(**values)


# -- adding and changing --------------------------------------------------------------------


def test_adding_a_plan_is_recorded_with_every_field(ministry):
    plan = new_plan()
    plan.save_entry(by=ministry, ip="10.0.0.1")
    (event,) = events(plan, AuditAction.ENTRY_ADD)
    assert event.user == ministry and event.ip == "10.0.0.1"
    assert event.changes["fields"]["名称"] == [None, "职业教育改革重点任务（2023年）"]
    assert event.changes["fields"]["年度绩效填报截止日"] == [None, 15]


def test_making_a_plan_current_retires_the_old_one_on_record(ministry):
    plan = new_plan(is_current=True)
    plan.save_entry(by=ministry)
    old = Plan.objects.get(code="tzpy-2020")
    assert plan.is_current and not old.is_current
    (retired,) = events(old, AuditAction.ENTRY_CHANGE)
    assert retired.changes["fields"]["当前计划"] == [True, False]


def test_the_current_plan_cannot_be_unticked(ministry):
    plan = Plan.objects.get(code="tzpy-2020")
    plan.is_current = False
    with pytest.raises(InvalidInput) as refused:
        plan.save_entry(by=ministry)
    assert refused.value.field == "is_current"
    assert "须有一个当前计划" in refused.value.message
    assert Plan.objects.get(pk=plan.pk).is_current


def test_changing_an_item_records_old_and_new_with_choice_labels(ministry):
    item = Item.objects.get(task__plan_id=1, code="3.2")
    old_text = item.text
    item.text = old_text + "（修订）"
    item.scope = ItemScope.PROVINCE
    item.save_entry(by=ministry)
    (event,) = events(item, AuditAction.ENTRY_CHANGE)
    assert event.changes["fields"] == {
        "工作任务": [old_text, old_text + "（修订）"],
        "默认承接主体": ["学校承接", "省级承接"],
    }


def test_saving_without_a_change_writes_no_record(ministry):
    task = Task.objects.get(plan_id=1, number=10)
    task.save_entry(by=ministry)
    assert not events(task, AuditAction.ENTRY_CHANGE)


@pytest.mark.parametrize(
    ("build", "field", "message"),
    [
        (lambda: new_plan(code="tzpy-2020"), "code", "代码“tzpy-2020”已被其他行动计划使用。"),
        (
            lambda: new_plan(name="职业教育提质培优行动计划（2020—2023年）"),
            "name",
            "已被其他行动计划使用",
        ),
        (lambda: new_plan(end_year=2022), "end_year", "结束年份不能早于起始年份。"),
        (lambda: new_plan(start_year=1999), "start_year", "起始年份应在2000至2100之间。"),
        (lambda: new_plan(report_deadline_month=13), "report_deadline_month", "应为1至12"),
        (lambda: new_plan(report_deadline_month=2, report_deadline_day=29), "report_deadline_day",
         "2月的截止日应为1至28。"),
        (lambda: Category(plan_id=1, number=1, name="重复"), "number", "本计划已有序号为1的类别"),
        (
            lambda: Task(
                plan_id=1,
                category=Category.objects.get(plan_id=1, number=1),
                number=3,
                text="重复",
                departments="教育部",
            ),
            "number",
            "本计划已有序号为3的重点任务。",
        ),
        (
            lambda: Item(task=Task.objects.get(plan_id=1, number=3), code="3.1", sub_number=9,
                         text="重复"),
            "code",
            "本计划已有序号为3.1的子项。",
        ),
        (
            lambda: Item(task=Task.objects.get(plan_id=1, number=4), code="3.1", sub_number=9,
                         text="另一个任务下的同一序号"),
            "code",
            "本计划已有序号为3.1的子项。",
        ),
        (
            lambda: Item(task=Task.objects.get(plan_id=1, number=3), code="3.9", sub_number=1,
                         text="重复"),
            "sub_number",
            "重点任务3已有子项序号为1的子项。",
        ),
        (
            lambda: Item(task=Task.objects.get(plan_id=1, number=3), code="三", sub_number=9,
                         text="x"),
            "code",
            "序号应为数字",
        ),
    ],
)  # fmt: skip
def test_entries_breaking_a_rule_are_refused_in_chinese(ministry, build, field, message):
    entry = build()
    before = AuditEvent.objects.count()
    with pytest.raises(InvalidInput) as refused:
        entry.save_entry(by=ministry)
    assert refused.value.field == field and message in refused.value.message
    assert refused.value.status == 400
    assert entry.pk is None
    assert AuditEvent.objects.count() == before


def test_a_task_takes_a_category_of_its_own_plan(ministry):
    other = new_plan()
    other.save_entry(by=ministry)
    foreign = Category(plan=other, number=1, name="建设市域产教联合体")
    foreign.save_entry(by=ministry)
    task = Task.objects.get(plan_id=1, number=10)
    task.category = foreign
    with pytest.raises(InvalidInput) as refused:
        task.save_entry(by=ministry)
    assert (refused.value.field, refused.value.message) == ("category", "请选择本计划的类别。")


@pytest.mark.parametrize("role", ["school", "province"])
def test_only_the_ministry_maintains_the_catalogue(reference_data, role):
    user = SchoolUserFactory() if role == "school" else ProvinceAdminFactory()
    item = Item.objects.get(task__plan_id=1, code="3.2")
    item.text = "改"
    with pytest.raises(NotAllowed) as refused:
        item.save_entry(by=user)
    assert refused.value.message == "只有教育部可以维护任务目录。"
    with pytest.raises(NotAllowed):
        Category.objects.get(plan_id=1, number=1).remove(by=user)
    assert Item.objects.get(pk=item.pk).text != "改"


# -- removing -------------------------------------------------------------------------------


def test_an_unused_item_is_removed_on_record(ministry):
    item = Item.objects.get(task__plan_id=1, code="3.2")
    pk, name = item.pk, str(item)
    item.remove(by=ministry, ip="10.0.0.2")
    assert not Item.objects.filter(pk=pk).exists()
    event = AuditEvent.objects.get(action=AuditAction.ENTRY_DELETE)
    assert event.changes["note"] == name and event.user == ministry


def test_an_item_with_commitments_cannot_be_removed(ministry):
    round_ = open_round_for("14")
    admin = ProvinceAdminFactory(province=round_.province)
    school_in_state(round_.province, round_, "submitted", admin)
    item = Item.objects.get(task__plan_id=1, code="3.2")
    assert item.removal_refusal() == "子项3.2已有1条承接填报记录，不能删除。"
    with pytest.raises(InvalidState) as refused:
        item.remove(by=ministry)
    assert refused.value.message == "子项3.2已有1条承接填报记录，不能删除。"
    assert refused.value.status == 409
    assert Item.objects.filter(pk=item.pk).exists()
    assert not AuditEvent.objects.filter(action=AuditAction.ENTRY_DELETE).exists()
    # Nor the task that holds it.
    with pytest.raises(InvalidState) as refused:
        item.task.remove(by=ministry)
    assert refused.value.message == "重点任务3的子项3.2已有单位承接填报，不能删除该任务。"


def test_a_required_item_cannot_be_removed(ministry):
    round_ = open_round_for("14")
    item = Item.objects.get(task__plan_id=1, code="3.3")
    RequiredItem.objects.create(round=round_, item=item, kind=SchoolKind.SECONDARY)
    with pytest.raises(InvalidState) as refused:
        item.remove(by=ministry)
    assert refused.value.message == "子项3.3已被省级单位设为必选任务，不能删除。"


def test_an_offered_item_without_commitments_is_removed_from_the_offer(ministry):
    round_ = open_round_for("14")
    item = Item.objects.get(task__plan_id=1, code="3.3")
    assert round_.items.filter(pk=item.pk).exists()
    item.remove(by=ministry)
    assert not round_.items.filter(code="3.3").exists()


def test_a_task_with_a_summary_report_cannot_be_removed(ministry, reference_data):
    year = ReportingYear.objects.create(plan_id=1, year=2021, deadline="2021-12-31")
    task = Task.objects.get(plan_id=1, number=7)
    ProvinceSummaryReport.objects.create(
        reporting_year=year,
        province_id="14",
        task=task,
        stored_name="x",
        original_name="x.pdf",
        size=1,
        kind="pdf",
        uploaded_by=ministry,
    )
    assert "省级总结报告" in task.removal_refusal()


def test_a_task_is_removed_with_its_items(ministry):
    task = Task.objects.get(plan_id=1, number=49)
    codes = set(task.items.values_list("code", flat=True))
    task.remove(by=ministry)
    assert codes == {"49.1", "49.2"}
    assert not Item.objects.filter(task__plan_id=1, code__in=codes).exists()
    assert AuditEvent.objects.get(action=AuditAction.ENTRY_DELETE).changes["note"].startswith("49.")


def test_a_category_with_tasks_cannot_be_removed(ministry):
    category = Category.objects.get(plan_id=1, number=1)
    with pytest.raises(InvalidState) as refused:
        category.remove(by=ministry)
    assert "下还有" in refused.value.message and "不能删除" in refused.value.message


def test_plan_removal_rules(ministry):
    current = Plan.objects.get(code="tzpy-2020")
    with pytest.raises(InvalidState) as refused:
        current.remove(by=ministry)
    assert refused.value.message == "当前计划不能删除：请先将另一个计划设为当前计划。"
    other = new_plan(is_current=True)
    other.save_entry(by=ministry)
    open_round_for("14")
    with pytest.raises(InvalidState) as refused:
        Plan.objects.get(pk=current.pk).remove(by=ministry)
    assert refused.value.message == "已有1个省级单位开放了该计划的申报，不能删除。"


def test_an_empty_plan_is_removed(ministry):
    plan = new_plan()
    plan.save_entry(by=ministry)
    category = Category(plan=plan, number=1, name="类别")
    category.save_entry(by=ministry)
    plan.remove(by=ministry)
    assert not Plan.objects.filter(code="reform-2023").exists()
    assert not Category.objects.filter(pk=category.pk).exists()


def test_removing_twice_is_refused(ministry):
    item = Item.objects.get(task__plan_id=1, code="3.3")
    stale = Item.objects.get(pk=item.pk)
    item.remove(by=ministry)
    with pytest.raises(InvalidState) as refused:
        stale.remove(by=ministry)
    assert refused.value.message == "该子项已被删除。"
