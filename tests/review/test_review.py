"""Reviewing a school: each item's controls, 全部通过, 退回学校重新填报, the timeline."""

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
    response = client.post(url(school, "review/"), {"commitment": c1.pk, "action": "approve"})
    assert response.status_code == 302
    assert commitment(school, "1").review_status == ReviewStatus.APPROVED
    response = client.post(
        url(school, "review/"),
        {"commitment": c2.pk, "action": "return", "comment": "数量偏多，请核实"},
    )
    assert response.status_code == 302
    c2 = commitment(school, "3.2")
    assert (c2.review_status, c2.comment) == (ReviewStatus.RETURNED, "数量偏多，请核实")
    html = client.get(url(school)).content.decode()
    assert 'aria-label="3.2 撤销审核"' in html and 'aria-label="1 撤销审核"' in html
    assert "修改意见：数量偏多，请核实" in html
    client.post(url(school, "review/"), {"commitment": c1.pk, "action": "undo"})
    assert commitment(school, "1").review_status == ReviewStatus.PENDING
    event = AuditEvent.objects.filter(action=AuditAction.RETURN).get()
    assert (event.user, event.ip) == (province_admin, "127.0.0.1")


def test_return_without_a_comment_keeps_the_state(client, school):
    c = commitment(school, "1")
    response = client.post(
        url(school, "review/"), {"commitment": c.pk, "action": "return", "comment": "  "}
    )
    assert response.status_code == 400
    assert "退回修改须填写修改意见" in response.content.decode()
    assert commitment(school, "1").review_status == ReviewStatus.PENDING


def test_refused_action_keeps_the_typed_comment(client, school, province_admin):
    c = commitment(school, "1")
    c.approve(by=province_admin)
    response = client.post(
        url(school, "review/"), {"commitment": c.pk, "action": "return", "comment": "我写的意见"}
    )
    assert response.status_code == 409
    assert "可能已由他人处理" in response.content.decode()


def test_unknown_action_and_missing_commitment(client, school):
    c = commitment(school, "1")
    assert (
        client.post(url(school, "review/"), {"commitment": c.pk, "action": "x"}).status_code == 400
    )
    assert client.post(url(school, "review/"), {"action": "approve"}).status_code == 400
    assert (
        client.post(url(school, "review/"), {"commitment": "abc", "action": "approve"}).status_code
        == 400
    )
    assert commitment(school, "1").review_status == ReviewStatus.PENDING


def test_commitment_of_another_school_through_this_schools_url(
    client, school, shanxi, open_round, province_admin
):
    other = school_in_state(shanxi, open_round, "submitted", province_admin)
    c = commitment(other, "1")
    response = client.post(url(school, "review/"), {"commitment": c.pk, "action": "approve"})
    assert response.status_code == 404
    assert commitment(other, "1").review_status == ReviewStatus.PENDING


def test_approve_all(client, school):
    response = client.post(url(school, "approve-all/"))
    assert response.status_code == 302
    declaration = Declaration.objects.get(school=school)
    assert declaration.school_status == SchoolStatus.APPROVED
    html = client.get(url(school)).content.decode()
    assert "已通过全部 2 项待审核任务" in html and ">全部通过</button>" not in html
    assert client.post(url(school, "approve-all/")).status_code == 409


def test_reopen_with_a_reason(client, school):
    response = client.post(url(school, "reopen/"), {"reason": "学校申请调整承接数量"})
    assert response.status_code == 302
    declaration = Declaration.objects.get(school=school)
    assert declaration.status == DeclarationStatus.DRAFT
    html = client.get(url(school)).content.decode()
    assert "原因：学校申请调整承接数量" in html
    assert "提交后才能审核" in html


def test_reopen_needs_a_reason(client, school):
    response = client.post(url(school, "reopen/"), {"reason": ""})
    assert response.status_code == 400
    assert Declaration.objects.get(school=school).status == DeclarationStatus.SUBMITTED


def test_draft_is_shown_but_not_reviewable(client, shanxi, open_round, province_admin):
    school = school_in_state(shanxi, open_round, "filling", province_admin)
    html = client.get(url(school)).content.decode()
    assert "该学校尚未提交" in html and "审核</th>" not in html
    response = client.post(url(school, "approve-all/"))
    assert response.status_code == 409


def test_school_that_has_not_started(client, shanxi, open_round, province_admin):
    school = school_in_state(shanxi, open_round, "not_started", province_admin)
    assert "该学校尚未填报" in client.get(url(school)).content.decode()
    assert client.post(url(school, "approve-all/")).status_code == 409
    assert client.post(url(school, "reopen/"), {"reason": "x"}).status_code == 409


def test_school_sees_the_result_at_once(client, school, province_admin):
    commitment(school, "1").approve(by=province_admin)
    client.post(
        url(school, "review/"),
        {
            "commitment": commitment(school, "3.2").pk,
            "action": "return",
            "comment": "请补充经费来源",
        },
    )
    school_client = Client()
    school_client.force_login(school.account)
    preview = school_client.get("/school/commitments/").content.decode()
    assert "已通过" in preview and "修改意见：请补充经费来源" in preview
    assert "请补充经费来源" in school_client.get("/school/returned/").content.decode()


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
    with django_assert_max_num_queries(14):
        response = client.get(url(user.school))
    assert response.status_code == 200
