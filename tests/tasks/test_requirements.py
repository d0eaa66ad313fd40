"""必选任务: a province requires items of school kinds or named schools; 提交 and resubmission
refuse a declaration without them."""

import pytest

from schools.choices import AuditAction, SchoolKind
from schools.models import Province, User
from tasks.choices import DeclarationStatus, ReviewStatus
from tasks.models import AuditEvent, Contacts, Declaration, RequiredItem, Round
from tasks.transitions import InvalidInput, InvalidState, NotAllowed
from tests.factories import MinistryUserFactory, SchoolFactory, SchoolUserFactory
from tests.review.helpers import school_in_state
from tests.tasks.conftest import item
from tests.tasks.helpers import GOOD_CONTACTS, full_row, row

pytestmark = pytest.mark.django_db


def contacts():
    return Contacts(**GOOD_CONTACTS)


def submit(declaration, user, codes):
    declaration.submit(
        by=user,
        rows={item(c).pk: full_row(item(c)) for c in codes},
        contacts=contacts(),
        version=declaration.version,
    )


def targets(round_):
    return sorted(
        (t.item.code, t.kind, t.school_id or "")
        for t in RequiredItem.objects.filter(round=round_).select_related("item")
    )


# -- setting and removing rules -----------------------------------------------------------------


@pytest.fixture
def actors(open_round, school_user, province_admin, other_province_admin):
    return {
        "school": school_user,
        "own province": province_admin,
        "other province": other_province_admin,
        "ministry": MinistryUserFactory(),
    }


@pytest.mark.parametrize(
    ("role", "allowed"),
    [("school", False), ("own province", True), ("other province", False), ("ministry", False)],
)
def test_only_the_own_province_sets_a_requirement(actors, open_round, role, allowed):
    by = actors[role]
    if not allowed:
        with pytest.raises(NotAllowed):
            open_round.set_requirement(
                item("7.1"), kinds=[SchoolKind.SECONDARY], school_codes=[], by=by
            )
        assert targets(open_round) == []
        assert not AuditEvent.objects.filter(action=AuditAction.REQUIREMENT_SET).exists()
        return
    open_round.set_requirement(
        item("7.1"), kinds=[SchoolKind.SECONDARY], school_codes=[], by=by, ip="10.0.0.1"
    )
    assert targets(open_round) == [("7.1", SchoolKind.SECONDARY, "")]
    event = AuditEvent.objects.get(action=AuditAction.REQUIREMENT_SET)
    assert (event.user, event.ip, event.province_id) == (by, "10.0.0.1", "14")
    assert event.changes == {"items": ["7.1"], "fields": {"kinds": [[], ["中职学校"]]}}
    assert "必选学校类型 空→中职学校" in event.describe()


@pytest.mark.parametrize(
    ("role", "allowed"),
    [("school", False), ("own province", True), ("other province", False), ("ministry", False)],
)
def test_only_the_own_province_removes_a_requirement(
    actors, open_round, province_admin, role, allowed
):
    open_round.set_requirement(
        item("7.1"), kinds=[SchoolKind.SECONDARY], school_codes=[], by=province_admin
    )
    if not allowed:
        with pytest.raises(NotAllowed):
            open_round.remove_requirement(item("7.1"), by=actors[role])
        assert targets(open_round) == [("7.1", SchoolKind.SECONDARY, "")]
        return
    open_round.remove_requirement(item("7.1"), by=actors[role])
    assert targets(open_round) == []
    event = AuditEvent.objects.get(action=AuditAction.REQUIREMENT_REMOVE)
    assert event.changes == {"items": ["7.1"], "fields": {"kinds": [["中职学校"], []]}}


def test_setting_again_replaces_the_items_targets(open_round, province_admin, shanxi):
    a, b = SchoolFactory(province=shanxi), SchoolFactory(province=shanxi)
    open_round.set_requirement(
        item("7.1"),
        kinds=[SchoolKind.SECONDARY, SchoolKind.OTHER],
        school_codes=[a.code],
        by=province_admin,
    )
    open_round.set_requirement(
        item("7.1"), kinds=[SchoolKind.OTHER], school_codes=[b.code, b.code], by=province_admin
    )
    assert targets(open_round) == [("7.1", "", b.code), ("7.1", SchoolKind.OTHER, "")]
    last = AuditEvent.objects.filter(action=AuditAction.REQUIREMENT_SET).last()
    assert last.changes["fields"] == {
        "kinds": [["中职学校", "其他主体"], ["其他主体"]],
        "schools": [[a.code], [b.code]],
    }


def test_setting_the_same_again_records_nothing(open_round, province_admin):
    for _ in range(2):
        open_round.set_requirement(
            item("7.1"), kinds=[SchoolKind.SECONDARY], school_codes=[], by=province_admin
        )
    assert AuditEvent.objects.filter(action=AuditAction.REQUIREMENT_SET).count() == 1


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("nothing chosen", "请至少选择一种学校类型，或填写至少一所学校的学校标识码。"),
        ("item not offered", "5不是本省开放承接的任务（项目），不能设为必选。"),
        ("unknown code", "以下学校标识码不存在：1499999999、abc。请核对后重新填写。"),
        ("other province", "以下学校不属于本省，不能设为必选：{foreign}。"),
        ("bad kind", "学校类型有误，请重新选择。"),
    ],
)
def test_bad_requirements_are_refused(open_round, province_admin, shanxi, case, message):
    own = SchoolFactory(province=shanxi)
    foreign = SchoolFactory(province=Province.objects.get(code="41"))
    kwargs = {
        "nothing chosen": {"kinds": [], "school_codes": []},
        "item not offered": {"kinds": [SchoolKind.SECONDARY], "school_codes": []},
        "unknown code": {"kinds": [], "school_codes": [own.code, "1499999999", "abc"]},
        "other province": {"kinds": [], "school_codes": [own.code, foreign.code]},
        "bad kind": {"kinds": ["university"], "school_codes": []},
    }[case]
    target = item("5") if case == "item not offered" else item("7.1")
    with pytest.raises(InvalidInput) as refused:
        open_round.set_requirement(target, by=province_admin, **kwargs)
    assert refused.value.message == message.format(foreign=foreign.code)
    assert targets(open_round) == []
    assert not AuditEvent.objects.filter(action=AuditAction.REQUIREMENT_SET).exists()


def test_removing_a_rule_that_is_gone_is_refused(open_round, province_admin):
    with pytest.raises(InvalidState, match="没有必选要求"):
        open_round.remove_requirement(item("7.1"), by=province_admin)
    assert not AuditEvent.objects.filter(action=AuditAction.REQUIREMENT_REMOVE).exists()


def test_an_item_a_rule_names_cannot_leave_the_offer(open_round, province_admin):
    open_round.set_requirement(
        item("7.1"), kinds=[SchoolKind.SECONDARY], school_codes=[], by=province_admin
    )
    kept = list(open_round.items.exclude(pk__in=[item("7.1").pk, item("3.2").pk]))
    with pytest.raises(InvalidState) as refused:
        Round.configure(open_round.plan, open_round.province, by=province_admin, items=kept)
    assert "以下任务（项目）已设为必选，不能取消开放：7.1。" in refused.value.message
    assert open_round.items.filter(pk=item("7.1").pk).exists()
    assert open_round.items.filter(pk=item("3.2").pk).exists()
    open_round.remove_requirement(item("7.1"), by=province_admin)
    Round.configure(open_round.plan, open_round.province, by=province_admin, items=kept)
    assert not open_round.items.filter(pk=item("7.1").pk).exists()


# -- what a rule asks of schools ------------------------------------------------------------------


@pytest.fixture
def rules(open_round, province_admin, shanxi):
    """7.1 and 3.2 for 专科高职院校 (the factory's kind); 11.1 for one named 中职学校."""
    named = SchoolUserFactory(school__province=shanxi, school__kind=SchoolKind.SECONDARY)
    open_round.set_requirement(
        item("7.1"), kinds=[SchoolKind.JUNIOR_COLLEGE], school_codes=[], by=province_admin
    )
    open_round.set_requirement(
        item("3.2"), kinds=[SchoolKind.JUNIOR_COLLEGE], school_codes=[], by=province_admin
    )
    open_round.set_requirement(
        item("11.1"), kinds=[], school_codes=[named.school.code], by=province_admin
    )
    return {"named": named}


def test_required_items_for_a_school_in_one_query(
    open_round, rules, school_user, django_assert_num_queries
):
    with django_assert_num_queries(1):
        codes = [i.code for i in open_round.required_items_for(school_user.school)]
    assert codes == ["3.2", "7.1"]
    assert [i.code for i in open_round.required_items_for(rules["named"].school)] == ["11.1"]


def test_submit_refused_naming_the_missing_kind_items(open_round, rules, school_user):
    declaration = Declaration.for_school(school_user.school, open_round)
    with pytest.raises(InvalidInput) as refused:
        submit(declaration, school_user, ["1"])
    assert refused.value.message == (
        "本省要求本校承接以下任务（项目）：3.2、7.1，请勾选并填写后再提交。"
    )
    assert not Declaration.objects.filter(school=school_user.school).exists()
    declaration = Declaration.for_school(school_user.school, open_round)
    with pytest.raises(InvalidInput, match=r"：7\.1，"):
        submit(declaration, school_user, ["1", "3.2"])
    submit(declaration, school_user, ["1", "3.2", "7.1"])
    assert declaration.status == DeclarationStatus.SUBMITTED


def test_an_unticked_required_row_counts_as_missing(open_round, rules, school_user):
    declaration = Declaration.for_school(school_user.school, open_round)
    rows = {item(c).pk: full_row(item(c)) for c in ("3.2", "7.1")}
    rows[item("7.1").pk] = row(undertaken=False, school_funds=1)
    with pytest.raises(InvalidInput, match=r"：7\.1，"):
        declaration.submit(by=school_user, rows=rows, contacts=contacts(), version=0)


def test_submit_refused_naming_the_missing_named_school_item(open_round, rules):
    named = rules["named"]
    declaration = Declaration.for_school(named.school, open_round)
    with pytest.raises(InvalidInput) as refused:
        submit(declaration, named, ["1"])
    assert "：11.1，" in refused.value.message
    submit(declaration, named, ["1", "11.1"])
    assert declaration.status == DeclarationStatus.SUBMITTED


def test_a_school_of_another_kind_not_named_is_unaffected(open_round, rules, shanxi):
    other = SchoolUserFactory(school__province=shanxi, school__kind=SchoolKind.SECONDARY)
    declaration = Declaration.for_school(other.school, open_round)
    submit(declaration, other, ["1"])
    assert declaration.status == DeclarationStatus.SUBMITTED


def test_a_draft_without_required_items_is_saved(open_round, rules, school_user):
    declaration = Declaration.for_school(school_user.school, open_round)
    declaration.save_draft(
        by=school_user, rows={item("1").pk: full_row(item("1"))}, contacts=None, version=0
    )
    assert declaration.commitments.count() == 1


def test_the_provinces_own_items_are_unaffected(open_round, rules, province_admin):
    own = Declaration.for_province(open_round)
    own.submit(
        by=province_admin,
        rows={item("5").pk: full_row(item("5"), provincial_funds=5)},
        contacts=None,
        version=0,
    )
    assert own.status == DeclarationStatus.SUBMITTED


@pytest.mark.parametrize("state", ["not_started", "filling", "submitted", "returned", "approved"])
def test_a_new_rule_leaves_declarations_as_they_are(open_round, province_admin, shanxi, state):
    school = school_in_state(shanxi, open_round, state, province_admin)
    before = list(
        Declaration.objects.filter(school=school).values_list("status", "school_status", "version")
    )
    open_round.set_requirement(
        item("7.1"), kinds=[school.kind], school_codes=[school.code], by=province_admin
    )
    after = list(
        Declaration.objects.filter(school=school).values_list("status", "school_status", "version")
    )
    assert after == before


# -- resubmitting returned items ------------------------------------------------------------------


@pytest.fixture
def returned(open_round, province_admin, shanxi):
    """A school with 1 approved and 3.2 returned."""
    school = school_in_state(shanxi, open_round, "returned", province_admin)
    return Declaration.objects.get(school=school), User.objects.get(school=school)


def test_a_returned_required_item_cannot_be_dropped(returned, open_round, province_admin):
    declaration, user = returned
    open_round.set_requirement(
        item("3.2"), kinds=[declaration.school.kind], school_codes=[], by=province_admin
    )
    with pytest.raises(InvalidInput) as refused:
        declaration.resubmit(
            by=user,
            rows={item("3.2").pk: row(undertaken=False)},
            selected=[item("3.2").pk],
            version=declaration.version,
        )
    assert refused.value.message == (
        "本省要求本校承接以下任务（项目）：3.2，不能改为不承接。请勾选“是否承接”并填写后再提交。"
    )
    c = declaration.commitments.get(item__code="3.2")
    assert (c.undertaken, c.review_status) == (True, ReviewStatus.RETURNED)


def test_a_returned_required_item_can_be_fixed(returned, open_round, province_admin):
    declaration, user = returned
    open_round.set_requirement(
        item("3.2"), kinds=[declaration.school.kind], school_codes=[], by=province_admin
    )
    declaration.resubmit(
        by=user,
        rows={item("3.2").pk: full_row(item("3.2"), quantity=1)},
        selected=[item("3.2").pk],
        version=declaration.version,
    )
    assert declaration.commitments.get(item__code="3.2").review_status == ReviewStatus.PENDING


def test_a_later_rule_for_an_item_never_taken_does_not_block_resubmission(
    returned, open_round, province_admin
):
    declaration, user = returned
    open_round.set_requirement(
        item("7.1"), kinds=[declaration.school.kind], school_codes=[], by=province_admin
    )
    declaration.resubmit(
        by=user,
        rows={item("3.2").pk: row(undertaken=False)},
        selected=[item("3.2").pk],
        version=declaration.version,
    )
    assert not declaration.commitments.filter(item__code="3.2").exists()
