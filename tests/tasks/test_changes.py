"""变更申请: a school proposes changes to approved items; the approved baseline stays what every
figure counts as 已通过 until the province approves; the province approves or refuses with a
comment. Every transition locked, audited, and refused for the wrong role or state."""

from decimal import Decimal

import pytest

from schools.choices import AuditAction
from tasks.choices import ChangeStatus, NoticeKind, ReviewStatus
from tasks.models import AuditEvent, ChangeRequest, Commitment, Declaration, Notice, RowValues
from tasks.transitions import InvalidInput, InvalidState, NotAllowed, StaleVersion
from tests.conftest import client_for
from tests.factories import MinistryUserFactory, SchoolUserFactory
from tests.html_checks import check_page
from tests.review.helpers import school_in_state
from tests.tasks.conftest import item
from tests.tasks.helpers import full_row, row

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(shanxi, open_round, province_admin):
    """A school with 1 and 3.2 approved (3.2: quantity 2, funds 1/2/3/4)."""
    return school_in_state(shanxi, open_round, "approved", province_admin, name="甲职业学院")


def declaration_of(school) -> Declaration:
    return Declaration.objects.select_related("round__plan", "school").get(school=school)


def commitment(school, code) -> Commitment:
    return Commitment.objects.get(declaration__school=school, item__code=code)


def propose(school, rows=None, reason="招生计划调整", by=None, version=None):
    declaration = declaration_of(school)
    rows = rows if rows is not None else {item("3.2").pk: full_row(item("3.2"), quantity=5)}
    return ChangeRequest.propose(
        declaration,
        by=by or school.account,
        rows=rows,
        reason=reason,
        version=declaration.version if version is None else version,
    )


def approved_quantity(school) -> int:
    """已通过 3.2 quantity as the figures count it."""
    found = Commitment.objects.approved().filter(declaration__school=school, item__code="3.2")
    return sum(c.quantity or 0 for c in found)


# -- proposing ------------------------------------------------------------------------------


def test_a_proposal_keeps_the_baseline_counted_until_approved(approved, province_admin):
    before = declaration_of(approved).summary(approved=True)
    request = propose(approved)
    assert request.status == ChangeStatus.PENDING
    assert list(request.baseline) == [str(item("3.2").pk)]
    assert RowValues.from_json(request.baseline[str(item("3.2").pk)]) == full_row(item("3.2"))
    assert approved_quantity(approved) == 2
    assert declaration_of(approved).summary(approved=True) == before
    event = AuditEvent.objects.filter(action=AuditAction.CHANGE_PROPOSE).get()
    assert event.changes["items"] == {"3.2": {"quantity": [2, 5]}}
    assert event.changes["reason"] == "招生计划调整"
    notice = Notice.objects.get(kind=NoticeKind.CHANGE_PROPOSED)
    assert notice.user == province_admin and "甲职业学院提交了变更申请（1项）" in notice.title


def test_drop_and_add_are_proposals_too(approved):
    request = propose(
        approved,
        rows={item("1").pk: row(undertaken=False), item("7.1").pk: full_row(item("7.1"))},
    )
    shown = {c.code: c for c in request.comparisons()}
    assert shown["1"].note == "不再承接" and shown["7.1"].note == "新增承接"
    assert shown["7.1"].cells[0].before == "否" and shown["7.1"].cells[0].after == "是"


@pytest.mark.parametrize("who", ["other_school", "province", "ministry"])
def test_only_the_school_itself_proposes(approved, province_admin, shanxi, who):
    by = {
        "other_school": lambda: SchoolUserFactory(school__province=shanxi),
        "province": lambda: province_admin,
        "ministry": MinistryUserFactory,
    }[who]()
    with pytest.raises(NotAllowed):
        propose(approved, by=by)
    assert not ChangeRequest.objects.exists()


@pytest.mark.parametrize("state", ["filling", "submitted", "returned"])
def test_no_proposal_without_approved_items_or_before_submission(
    shanxi, open_round, province_admin, state
):
    school = school_in_state(shanxi, open_round, state, province_admin)
    if state == "returned":  # item 1 approved, 3.2 returned: 3.2 cannot go through a change
        with pytest.raises(InvalidInput, match=r"3\.2不是已通过的任务"):
            propose(school)
        return
    with pytest.raises(InvalidState):
        propose(school)


def test_one_pending_proposal_at_a_time(approved):
    propose(approved)
    with pytest.raises(InvalidState, match="已有一份变更申请"):
        propose(approved, rows={item("1").pk: full_row(item("1"), school_funds=9)})


@pytest.mark.parametrize(
    ("rows", "reason", "error", "message"),
    [
        ("none", "原因", InvalidInput, "没有修改任何已通过的任务"),
        ("same", "原因", InvalidInput, "没有修改任何已通过的任务"),
        ("change", "  ", InvalidInput, "请填写变更原因"),
        ("change", "长" * 501, InvalidInput, "不能超过500个字"),
        ("incomplete_add", "原因", InvalidInput, "7.1填写不完整"),
    ],
)
def test_bad_proposals_are_refused_with_a_reason(approved, rows, reason, error, message):
    chosen = {
        "none": {},
        "same": {item("3.2").pk: full_row(item("3.2"))},
        "change": {item("3.2").pk: full_row(item("3.2"), quantity=5)},
        "incomplete_add": {item("7.1").pk: row(school_funds=1)},
    }[rows]
    with pytest.raises(error, match=message):
        propose(approved, rows=chosen, reason=reason)
    assert not ChangeRequest.objects.exists()


def test_a_stale_page_cannot_propose(approved):
    with pytest.raises(StaleVersion):
        propose(approved, version=0)


# -- deciding -------------------------------------------------------------------------------


def test_approval_writes_the_proposal_and_the_figures_follow(approved, province_admin):
    request = propose(
        approved,
        rows={
            item("3.2").pk: full_row(item("3.2"), quantity=5),
            item("1").pk: row(undertaken=False),
            item("7.1").pk: full_row(item("7.1")),
        },
    )
    request.approve(by=province_admin, comment="同意")
    assert request.status == ChangeStatus.APPROVED and request.answer == "同意"
    assert approved_quantity(approved) == 5
    codes = set(
        Commitment.objects.approved()
        .filter(declaration__school=approved)
        .values_list("item__code", flat=True)
    )
    assert codes == {"3.2", "7.1"}
    declaration = declaration_of(approved)
    assert declaration.item_count == 2
    assert declaration.school_status == "approved"
    event = AuditEvent.objects.filter(action=AuditAction.CHANGE_APPROVE).get()
    assert set(event.changes["items"]) == {"1", "3.2", "7.1"}
    notice = Notice.objects.get(kind=NoticeKind.CHANGE_DECIDED)
    assert notice.user == approved.account and notice.title == "省厅已同意本校的变更申请"


def test_refusal_keeps_the_baseline_and_tells_the_school_why(approved, province_admin):
    request = propose(approved)
    with pytest.raises(InvalidInput, match="请填写不同意的原因"):
        request.refuse(by=province_admin, comment=" ")
    request.refuse(by=province_admin, comment="数量无依据")
    assert request.status == ChangeStatus.REFUSED
    assert approved_quantity(approved) == 2
    notice = Notice.objects.get(kind=NoticeKind.CHANGE_DECIDED)
    assert notice.title == "省厅未同意本校的变更申请" and "数量无依据" in notice.body


@pytest.mark.parametrize("who", ["school", "other_province", "ministry"])
@pytest.mark.parametrize("verb", ["approve", "refuse"])
def test_only_the_schools_province_decides(approved, other_province_admin, who, verb):
    request = propose(approved)
    by = {
        "school": lambda: approved.account,
        "other_province": lambda: other_province_admin,
        "ministry": MinistryUserFactory,
    }[who]()
    with pytest.raises(NotAllowed):
        getattr(request, verb)(by=by, comment="意见")
    request.refresh_from_db()
    assert request.is_pending


@pytest.mark.parametrize("closed", ["approved", "refused", "withdrawn"])
@pytest.mark.parametrize("verb", ["approve", "refuse", "withdraw"])
def test_a_decided_request_cannot_be_decided_again(approved, province_admin, closed, verb):
    request = propose(approved)
    if closed == "withdrawn":
        request.withdraw(by=approved.account)
    elif closed == "approved":
        request.approve(by=province_admin)
    else:
        request.refuse(by=province_admin, comment="意见")
    by = approved.account if verb == "withdraw" else province_admin
    kwargs = {} if verb == "withdraw" else {"comment": "再次"}
    with pytest.raises(InvalidState):
        getattr(request, verb)(by=by, **kwargs)


def test_a_changed_baseline_refuses_the_approval(approved, province_admin):
    request = propose(approved)
    commitment(approved, "3.2").undo_review(by=province_admin)
    with pytest.raises(InvalidState, match=r"3\.2的审核结果或填报内容已变化"):
        request.approve(by=province_admin)
    assert commitment(approved, "3.2").quantity == 2


def test_withdrawal_is_the_schools_and_allows_a_new_proposal(approved, province_admin):
    request = propose(approved)
    with pytest.raises(NotAllowed):
        request.withdraw(by=province_admin)
    request.withdraw(by=approved.account)
    assert request.status == ChangeStatus.WITHDRAWN
    assert propose(approved, rows={item("1").pk: full_row(item("1"), school_funds=9)}).is_pending


def test_reopening_the_declaration_voids_a_pending_request(approved, province_admin):
    request = propose(approved)
    declaration_of(approved).reopen(by=province_admin, reason="学校申请整体调整")
    request.refresh_from_db()
    assert request.status == ChangeStatus.CANCELLED and "作废" in request.answer


# -- pages ----------------------------------------------------------------------------------


def form_post(declaration, rows, reason="招生计划调整", action="propose"):
    from tests.tasks.helpers import post_data

    data = post_data(declaration, rows, action=action)
    data["reason"] = reason
    return data


def test_the_school_proposes_on_its_page_and_sees_the_comparison(approved):
    client = client_for(approved.account)
    html = client.get("/school/changes/").content.decode()
    assert "提交变更申请" in html and "未承接（可新增）" in html
    check_page(html, names=(approved.account.username,))
    declaration = declaration_of(approved)
    rows = {
        "3.2": {
            "undertaken": True,
            "quantity": "6",
            "school_funds": "1",
            "industry_funds": "2",
            "sponsor_funds": "3",
            "local_funds": "4",
        }
    }
    response = client.post("/school/changes/", form_post(declaration, rows))
    assert response.status_code == 302
    html = client.get("/school/changes/").content.decode()
    assert "待省厅审核的变更申请" in html
    assert "3.2：修改了承接数量" in html
    assert '<td class="num changed">6<span class="visually-hidden">（已修改）</span></td>' in html
    check_page(html, names=(approved.account.username,))


def test_a_refused_proposal_keeps_what_was_typed(approved):
    client = client_for(approved.account)
    declaration = declaration_of(approved)
    rows = {
        "3.2": {
            "undertaken": True,
            "quantity": "7",
            "school_funds": "1",
            "industry_funds": "2",
            "sponsor_funds": "3",
            "local_funds": "4",
        }
    }
    response = client.post("/school/changes/", form_post(declaration, rows, reason=""))
    assert response.status_code == 400
    html = response.content.decode()
    assert "请填写变更原因。" in html
    assert f'name="i{item("3.2").pk}-quantity"' in html and 'value="7"' in html
    assert not ChangeRequest.objects.exists()


def test_the_province_decides_on_the_review_page(approved, province_admin):
    propose(approved)
    client = client_for(province_admin)
    url = f"/province/schools/{approved.code}/"
    html = client.get(url).content.decode()
    assert "变更申请" in html and "3.2：修改了承接数量" in html and "同意变更" in html
    check_page(html, names=(province_admin.username,))
    request = ChangeRequest.objects.get()
    decide = f"/province/schools/{approved.code}/changes/{request.pk}/"
    response = client.post(decide, {"action": "refuse", "change_comment": ""})
    assert response.status_code == 400 and "请填写不同意的原因" in response.content.decode()
    response = client.post(decide, {"action": "approve", "change_comment": "同意"})
    assert response.status_code == 302
    assert approved_quantity(approved) == 5


def test_approving_several_items_asks_first(approved, province_admin):
    propose(
        approved,
        rows={
            item("3.2").pk: full_row(item("3.2"), quantity=5),
            item("1").pk: full_row(item("1"), school_funds=9),
        },
    )
    request = ChangeRequest.objects.get()
    client = client_for(province_admin)
    decide = f"/province/schools/{approved.code}/changes/{request.pk}/"
    html = client.post(decide, {"action": "approve"}).content.decode()
    assert "将按甲职业学院的变更申请修改2项已通过的任务" in html
    request.refresh_from_db()
    assert request.is_pending
    client.post(decide, {"action": "approve", "confirmed": "1"})
    request.refresh_from_db()
    assert request.status == ChangeStatus.APPROVED


def test_other_provinces_cannot_reach_the_decision(approved, other_province_admin):
    request = propose(approved)
    response = client_for(other_province_admin).post(
        f"/province/schools/{approved.code}/changes/{request.pk}/", {"action": "approve"}
    )
    assert response.status_code == 404


def test_the_province_list_costs_the_same_for_one_or_many(
    shanxi, open_round, province_admin, django_assert_max_num_queries
):
    client = client_for(province_admin)
    counts = []
    for size in (1, 12):
        while ChangeRequest.objects.count() < size:
            school = school_in_state(shanxi, open_round, "approved", province_admin)
            propose(school)
        client.get("/province/changes/")
        with django_assert_max_num_queries(12) as counted:
            html = client.get("/province/changes/").content.decode()
        assert f"共 <strong>{size}</strong> 份变更申请待审核" in html
        counts.append(len(counted.captured_queries))
    assert counts[0] == counts[1]
    check_page(html, names=(province_admin.username,))


def test_the_schools_page_costs_the_same_with_more_history(
    approved, province_admin, django_assert_max_num_queries
):
    client = client_for(approved.account)
    counts = []
    for size in (1, 6):
        while ChangeRequest.objects.count() < size:
            n = ChangeRequest.objects.count()
            propose(
                approved, rows={item("1").pk: full_row(item("1"), school_funds=Decimal(20 + n))}
            ).refuse(by=province_admin, comment="不同意")
        client.get("/school/changes/")
        with django_assert_max_num_queries(20) as counted:
            html = client.get("/school/changes/").content.decode()
        assert html.count("省厅意见：不同意") == size
        counts.append(len(counted.captured_queries))
    assert counts[0] == counts[1]


def test_reviewed_status_is_kept_on_a_changed_item(approved, province_admin):
    propose(approved).approve(by=province_admin)
    changed = commitment(approved, "3.2")
    assert changed.review_status == ReviewStatus.APPROVED and changed.reviewed_by == province_admin


def test_the_schools_page_is_only_for_schools(approved, province_admin):
    for user in (province_admin, MinistryUserFactory()):
        assert client_for(user).get("/school/changes/").status_code == 403
        assert client_for(user).post("/school/changes/", {"action": "propose"}).status_code == 403
    assert not ChangeRequest.objects.exists()


def test_a_school_cannot_withdraw_another_schools_request(
    approved, shanxi, open_round, province_admin
):
    request = propose(approved)
    other = school_in_state(shanxi, open_round, "approved", province_admin)
    response = client_for(other.account).post(
        "/school/changes/", {"action": "withdraw", "request": str(request.pk)}
    )
    assert response.status_code == 404
    request.refresh_from_db()
    assert request.is_pending


def test_a_required_item_cannot_be_dropped_by_a_change(approved, open_round, province_admin):
    open_round.set_requirement(
        item("3.2"), kinds=[approved.kind], school_codes=[], by=province_admin
    )
    with pytest.raises(InvalidInput, match=r"本省要求本校承接以下任务（项目）：3\.2"):
        propose(approved, rows={item("3.2").pk: row(undertaken=False)})
    assert propose(approved).is_pending  # changing its values is still allowed


def test_a_proposal_shows_format_and_completeness_errors_in_one_pass(approved):
    client = client_for(approved.account)
    declaration = declaration_of(approved)
    rows = {
        "3.2": {
            "undertaken": True,
            "quantity": "7",
            "school_funds": "abc",
            "industry_funds": "2",
            "sponsor_funds": "3",
            "local_funds": "4",
        },
        "3.1": {"undertaken": True},  # added, nothing filled
    }
    response = client.post("/school/changes/", form_post(declaration, rows))
    assert response.status_code == 400
    html = response.content.decode()
    assert "请填写数字（单位：万元），无投入请填0。" in html  # 3.2's malformed amount
    assert f'href="#id_i{item("3.1").pk}-school_funds"' in html  # 3.1's missing amount
    assert not ChangeRequest.objects.exists()
