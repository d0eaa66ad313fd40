"""Reviewing a school: each item's controls, 全部通过, 退回学校重新填报, the timeline."""

import re

import pytest
from django.test import Client

from tasks.choices import AuditAction, DeclarationStatus, ReviewStatus, SchoolStatus
from tasks.models import AuditEvent, Commitment, Declaration
from tests.html_checks import check_page
from tests.review.helpers import school_in_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client, province_admin):
    client.force_login(province_admin)
    return client


@pytest.fixture
def school(shanxi, open_round, province_admin):
    return school_in_state(shanxi, open_round, "submitted", province_admin, name="审核测试学院")


def url(school, action=""):
    return f"/province/schools/{school.code}/{action}"


def press(client, school, action, **typed):
    """Press a button of the review page's one form, posting what is typed on the page:
    `typed` maps "comment-<id>" or "reason" to text. Decisions that ask first (全部通过,
    退回学校重新填报) are confirmed, as the user does in the dialog or on the page."""
    return client.post(url(school, "review/"), {"action": action, "confirmed": "1", **typed})


def commitment(school, code):
    return Commitment.objects.get(declaration__school=school, item__code=code)


def test_page_shows_each_item_with_its_controls(client, school, province_admin):
    response = client.get(url(school))
    assert response.status_code == 200
    html = response.content.decode()
    for label in ["1 通过", "1 退回修改", "1 修改意见", "3.2 通过", "3.2 退回修改", "3.2 修改意见"]:
        assert f'aria-label="{label}"' in html or f">{label}</label>" in html, label
    assert "全部通过" in html and "退回学校重新填报" in html
    assert "意向承接" in html and "已通过" in html
    assert "操作记录" in html and "提交" in html
    check_page(html, names=(province_admin.username,))


def test_approve_return_undo(client, school, province_admin):
    c1, c2 = commitment(school, "1"), commitment(school, "3.2")
    response = press(client, school, f"approve:{c1.pk}")
    assert response.status_code == 302
    assert commitment(school, "1").review_status == ReviewStatus.APPROVED
    response = press(client, school, f"return:{c2.pk}", **{f"comment-{c2.pk}": "数量偏多，请核实"})
    assert response.status_code == 302
    c2 = commitment(school, "3.2")
    assert (c2.review_status, c2.comment) == (ReviewStatus.RETURNED, "数量偏多，请核实")
    html = client.get(url(school)).content.decode()
    assert 'aria-label="3.2 撤销审核"' in html and 'aria-label="1 撤销审核"' in html
    assert "修改意见：数量偏多，请核实" in html
    press(client, school, f"undo:{c1.pk}")
    assert commitment(school, "1").review_status == ReviewStatus.PENDING
    event = AuditEvent.objects.filter(action=AuditAction.RETURN).get()
    assert (event.user, event.ip) == (province_admin, "127.0.0.1")


def test_return_without_a_comment_keeps_the_state(client, school):
    c = commitment(school, "1")
    response = press(client, school, f"return:{c.pk}", **{f"comment-{c.pk}": "  "})
    assert response.status_code == 400
    assert "退回修改须填写修改意见" in response.content.decode()
    assert commitment(school, "1").review_status == ReviewStatus.PENDING


def test_refused_action_keeps_the_typed_comment(client, school, province_admin):
    c = commitment(school, "1")
    c.approve(by=province_admin)
    other = commitment(school, "3.2")
    response = press(
        client,
        school,
        f"return:{c.pk}",
        **{f"comment-{c.pk}": "我写的意见", f"comment-{other.pk}": "另一行的意见"},
        reason="学校来电申请",
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "可能已由他人处理" in html
    # 1 has no comment box any more: its comment is listed; the others stay in their boxes.
    assert "1：我写的意见" in html
    assert ">另一行的意见</textarea>" in html and ">学校来电申请</textarea>" in html
    assert "data-unsaved" in html


@pytest.mark.parametrize(
    "action", ["x:{pk}", "approve", "approve:", "approve:abc", "approve:²", "approve:٣", "reopen:1"]
)
def test_unknown_action_and_missing_commitment(client, school, action):
    c = commitment(school, "1")
    typed = {f"comment-{c.pk}": "保留的意见"}
    response = press(client, school, action.format(pk=c.pk), **typed)
    assert response.status_code == 400
    assert ">保留的意见</textarea>" in response.content.decode()
    assert commitment(school, "1").review_status == ReviewStatus.PENDING
    assert not AuditEvent.objects.filter(action=AuditAction.APPROVE).exists()


def test_commitment_of_another_school_through_this_schools_url(
    client, school, shanxi, open_round, province_admin
):
    other = school_in_state(shanxi, open_round, "submitted", province_admin)
    c = commitment(other, "1")
    response = press(client, school, f"approve:{c.pk}")
    assert response.status_code == 404
    assert commitment(other, "1").review_status == ReviewStatus.PENDING


def test_approve_all(client, school):
    response = press(client, school, "approve_all")
    assert response.status_code == 302
    declaration = Declaration.objects.get(school=school)
    assert declaration.school_status == SchoolStatus.APPROVED
    html = client.get(url(school)).content.decode()
    assert "已通过全部 2 项待审核任务" in html and ">全部通过</button>" not in html
    assert press(client, school, "approve_all").status_code == 409


def test_reopen_with_a_reason(client, school):
    response = press(client, school, "reopen", reason="学校申请调整承接数量")
    assert response.status_code == 302
    declaration = Declaration.objects.get(school=school)
    assert declaration.status == DeclarationStatus.DRAFT
    html = client.get(url(school)).content.decode()
    assert "原因：学校申请调整承接数量" in html
    assert "提交后才能审核" in html


def test_reopen_needs_a_reason(client, school):
    c = commitment(school, "1")
    response = press(client, school, "reopen", reason="", **{f"comment-{c.pk}": "先写的意见"})
    assert response.status_code == 400
    assert ">先写的意见</textarea>" in response.content.decode()
    assert Declaration.objects.get(school=school).status == DeclarationStatus.SUBMITTED


def test_draft_is_shown_but_not_reviewable(client, shanxi, open_round, province_admin):
    school = school_in_state(shanxi, open_round, "filling", province_admin)
    html = client.get(url(school)).content.decode()
    assert "该学校尚未提交" in html and "审核</th>" not in html
    response = press(client, school, "approve_all")
    assert response.status_code == 409


def test_school_that_has_not_started(client, shanxi, open_round, province_admin):
    school = school_in_state(shanxi, open_round, "not_started", province_admin)
    assert "该学校尚未填报" in client.get(url(school)).content.decode()
    assert press(client, school, "approve_all").status_code == 409
    assert press(client, school, "reopen", reason="x").status_code == 409


def test_school_sees_the_result_at_once(client, school, province_admin):
    commitment(school, "1").approve(by=province_admin)
    c = commitment(school, "3.2")
    press(client, school, f"return:{c.pk}", **{f"comment-{c.pk}": "请补充经费来源"})
    school_client = Client()
    school_client.force_login(school.account)
    preview = school_client.get("/school/commitments/").content.decode()
    assert "已通过" in preview and "修改意见：请补充经费来源" in preview
    assert "请补充经费来源" in school_client.get("/school/returned/").content.decode()


# -- nothing typed is lost: every button posts the whole page -------------------------------


@pytest.mark.parametrize(
    "action", ["approve:{one}", "return:{one}", "approve_all", "undo:{approved}"]
)
def test_comments_typed_in_other_rows_survive_a_button(
    client, shanxi, open_round, province_admin, action
):
    school = school_in_state(shanxi, open_round, "submitted", province_admin)
    one, other = commitment(school, "1"), commitment(school, "3.2")
    if action == "undo:{approved}":
        one.approve(by=province_admin)
    typed = {f"comment-{other.pk}": "3.2请核实数量", "reason": "学校来电申请调整"}
    if action == "return:{one}":
        typed[f"comment-{one.pk}"] = "1请补充经费"
    if action == "approve_all":
        typed.pop(f"comment-{other.pk}")  # 全部通过 refuses while a comment waits (below)
    response = press(client, school, action.format(one=one.pk, approved=one.pk), **typed)
    assert response.status_code == 302
    html = client.get(url(school)).content.decode()
    if action != "approve_all":
        assert ">3.2请核实数量</textarea>" in html
    assert ">学校来电申请调整</textarea>" in html
    assert 'id="review-form" data-unsaved' in html
    # Kept once: the page after that starts empty.
    again = client.get(url(school)).content.decode()
    assert "3.2请核实数量" not in again and "学校来电申请调整" not in again


def test_kept_comments_belong_to_their_school(client, shanxi, open_round, province_admin):
    school = school_in_state(shanxi, open_round, "submitted", province_admin)
    other_school = school_in_state(shanxi, open_round, "submitted", province_admin)
    c, waiting = commitment(school, "1"), commitment(school, "3.2")
    press(client, school, f"approve:{c.pk}", **{f"comment-{waiting.pk}": "只属于这所学校"})
    assert "只属于这所学校" not in client.get(url(other_school)).content.decode()
    assert "只属于这所学校" in client.get(url(school)).content.decode()


def test_approve_all_refused_while_a_comment_waits(client, school):
    c = commitment(school, "3.2")
    response = press(client, school, "approve_all", **{f"comment-{c.pk}": "请核实"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "3.2 填写了修改意见但尚未退回" in html and ">请核实</textarea>" in html
    assert commitment(school, "1").review_status == ReviewStatus.PENDING


def test_approve_refused_with_a_comment_for_the_same_row(client, school):
    c = commitment(school, "1")
    response = press(client, school, f"approve:{c.pk}", **{f"comment-{c.pk}": "要退回的"})
    assert response.status_code == 400
    assert ">要退回的</textarea>" in response.content.decode()
    assert commitment(school, "1").review_status == ReviewStatus.PENDING


def test_reopen_says_the_row_comments_were_not_sent(client, school):
    c = commitment(school, "1")
    press(client, school, "reopen", reason="学校申请", **{f"comment-{c.pk}": "未发送"})
    html = client.get(url(school)).content.decode()
    assert "各任务填写的修改意见没有发送" in html


def test_one_form_on_the_review_page(client, school):
    html = client.get(url(school)).content.decode()
    assert html.count('action="/province/schools/') == 1
    assert 'name="action" value="approve_all"' in html and 'name="action" value="reopen"' in html
    assert "data-unsaved" not in html


@pytest.mark.parametrize("count", [2, 40])
def test_review_page_query_count_is_fixed(
    client, shanxi, open_round, province_admin, django_assert_max_num_queries, count
):
    from tasks.models import Item
    from tests.factories import SchoolUserFactory
    from tests.tasks.helpers import full_row

    user = SchoolUserFactory(school__province=shanxi)
    declaration = Declaration.for_school(user.school, open_round)
    items = list(open_round.items.all()[:count])
    declaration.submit(by=user, rows={i.pk: full_row(i) for i in items}, contacts=None, version=0)
    for c in declaration.commitments.all()[: count // 2]:
        c.approve(by=province_admin)
    assert Item.objects.count()
    # +1: the school's latest extension (延期) beside its end date; +1 its 变更申请.
    with django_assert_max_num_queries(16):
        response = client.get(url(user.school))
    assert response.status_code == 200


def test_missing_return_comment_is_shown_at_the_row_and_at_the_top(client, school):
    c32, c1 = commitment(school, "3.2"), commitment(school, "1")
    response = press(client, school, f"return:{c32.pk}", **{f"comment-{c1.pk}": "另一行的意见"})
    assert response.status_code == 400
    html = response.content.decode()
    box = re.search(rf'<textarea[^>]*id="comment-{c32.pk}"[^>]*>', html).group(0)
    assert "is-invalid" in box and f'aria-describedby="comment-{c32.pk}-error"' in box
    assert re.search(rf'id="comment-{c32.pk}-error">退回修改须填写修改意见（3.2）。<', html)
    top = re.search(r'id="error-summary">(.*?)</div>', html).group(1)
    assert f'<a href="#comment-{c32.pk}">3.2 修改意见：退回修改须填写修改意见（3.2）。</a>' in top
    # Only that row is marked; the other row keeps its typed comment.
    other = re.search(rf'<textarea[^>]*id="comment-{c1.pk}"[^>]*>([^<]*)<', html)
    assert "is-invalid" not in other.group(0) and other.group(1) == "另一行的意见"
    assert commitment(school, "3.2").review_status == ReviewStatus.PENDING


def test_approving_a_row_with_a_comment_marks_that_row(client, school):
    c1 = commitment(school, "1")
    html = press(client, school, f"approve:{c1.pk}", **{f"comment-{c1.pk}": "x"}).content.decode()
    assert f'id="comment-{c1.pk}-error"' in html


@pytest.mark.parametrize(
    ("verb", "typed", "message"),
    [
        ("approve", {}, "任务（项目）3.2 已通过。"),
        ("return", {"comment": "请核实"}, "已将任务（项目）3.2退回修改，学校会收到修改意见。"),
    ],
)
def test_success_messages_say_what_happened_in_words(client, school, verb, typed, message):
    c32 = commitment(school, "3.2")
    data = {f"comment-{c32.pk}": text for text in typed.values()}
    response = press(client, school, f"{verb}:{c32.pk}", **data)
    assert response.status_code == 302
    assert message in client.get(url(school)).content.decode()


def test_approve_all_refused_for_commented_rows_marks_each(client, school):
    c1, c32 = commitment(school, "1"), commitment(school, "3.2")
    typed = {f"comment-{c1.pk}": "意见一", f"comment-{c32.pk}": "意见二"}
    response = press(client, school, "approve_all", **typed)
    assert response.status_code == 400
    html = response.content.decode()
    for c in (c1, c32):
        assert f'id="comment-{c.pk}-error"' in html
        assert f'<a href="#comment-{c.pk}">{c.item.code} 修改意见：' in html
    assert commitment(school, "1").review_status == ReviewStatus.PENDING
