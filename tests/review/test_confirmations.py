"""Decisions that touch more than one item ask first (issue 13 §3): without JavaScript a page
names what will change and posts the same fields again; the buttons carry the same question
for the dialog. Nothing changes until the user confirms."""

import re

import pytest

from schools.models import User
from tasks.choices import ReviewStatus
from tasks.models import AuditEvent, Commitment, Declaration
from tests.conftest import client_for
from tests.factories import ProvinceAdminFactory
from tests.html_checks import check_page
from tests.review.helpers import school_in_state

pytestmark = pytest.mark.django_db


def state():
    return (
        sorted(Commitment.objects.values_list("pk", "review_status", "comment")),
        sorted(Declaration.objects.values_list("pk", "status", "version")),
        sorted(User.objects.values_list("pk", "password", "is_active")),
        AuditEvent.objects.count(),
    )


def reposted(html: str) -> dict[str, list[str]]:
    """The hidden fields the confirmation page's form posts."""
    found: dict[str, list[str]] = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html):
        found.setdefault(name, []).append(value)
    return found


@pytest.fixture
def reviewing(shanxi, open_round, province_admin):
    """A 山西 school whose 1 is approved and 3.2 waits."""
    return school_in_state(shanxi, open_round, "reviewing", province_admin, name="确认测试学院")


def test_approve_all_asks_naming_the_school_and_items_then_acts_on_confirm(
    reviewing, province_admin
):
    client = client_for(province_admin)
    url = f"/province/schools/{reviewing.code}/review/"
    before = state()
    page = client.post(url, {"action": "approve_all"})
    html = page.content.decode()
    assert page.status_code == 200 and "请确认：全部通过" in html
    assert "将通过确认测试学院的全部1项待审核任务，并通知学校。" in html
    assert "任务（项目）：3.2" in html
    assert f'href="/province/schools/{reviewing.code}/">取消，返回</a>' in html
    check_page(html, names=(province_admin.username,))
    assert state() == before
    fields = reposted(html)
    assert fields["action"] == ["approve_all"] and fields["confirmed"] == ["1"]
    done = client.post(url, {k: v[0] for k, v in fields.items()})
    assert done.status_code == 302
    assert not Commitment.objects.filter(review_status=ReviewStatus.PENDING).exists()


def test_reopen_asks_with_the_reason_and_what_is_lost_and_keeps_typed_comments(
    reviewing, province_admin
):
    client = client_for(province_admin)
    waiting = Commitment.objects.get(declaration__school=reviewing, item__code="3.2")
    url = f"/province/schools/{reviewing.code}/review/"
    before = state()
    page = client.post(
        url, {"action": "reopen", "reason": "学校申请调整", f"comment-{waiting.pk}": "未发送的意见"}
    )
    html = page.content.decode()
    assert "请确认：退回学校重新填报" in html
    assert "退回原因：学校申请调整" in html
    assert "已作出的审核结果将被清除：已通过1项、退回修改0项。" in html
    assert state() == before
    fields = reposted(html)
    assert fields[f"comment-{waiting.pk}"] == ["未发送的意见"]
    assert fields["reason"] == ["学校申请调整"]
    client.post(url, {k: v[0] for k, v in fields.items()})
    assert Declaration.objects.get(school=reviewing).status == "draft"


def test_reopen_without_a_reason_is_refused_before_asking(reviewing, province_admin):
    response = client_for(province_admin).post(
        f"/province/schools/{reviewing.code}/review/", {"action": "reopen", "reason": ""}
    )
    assert response.status_code == 400
    assert "请填写退回原因" in response.content.decode()
    assert "请确认" not in response.content.decode()


def test_approve_all_with_a_typed_comment_is_refused_before_asking(reviewing, province_admin):
    waiting = Commitment.objects.get(declaration__school=reviewing, item__code="3.2")
    response = client_for(province_admin).post(
        f"/province/schools/{reviewing.code}/review/",
        {"action": "approve_all", f"comment-{waiting.pk}": "请核实"},
    )
    assert response.status_code == 400 and "请确认" not in response.content.decode()


@pytest.mark.parametrize(
    ("path", "data", "title", "says"),
    [
        ("reset-password/", {}, "重置密码", "临时密码只显示这一次"),
        ("active/", {"active": "0"}, "停用账号", "停用后立即退出登录且不能再登录"),
    ],
)
def test_province_account_decisions_ask_first(school_user, province_admin, path, data, title, says):
    client = client_for(province_admin)
    url = f"/province/accounts/{school_user.school.code}/{path}"
    before = state()
    html = client.post(url, {**data, "next": "/province/accounts/?page=2"}).content.decode()
    assert f"请确认：{title}" in html and says in html and school_user.school.name in html
    assert 'href="/province/accounts/?page=2">取消，返回</a>' in html
    assert state() == before
    assert client.post(url, {**data, "confirmed": "1"}).status_code == 302
    assert state() != before


def test_reactivating_an_account_does_not_ask(school_user, province_admin):
    User.objects.filter(pk=school_user.pk).update(is_active=False)
    response = client_for(province_admin).post(
        f"/province/accounts/{school_user.school.code}/active/", {"active": "1"}
    )
    assert response.status_code == 302
    assert User.objects.get(pk=school_user.pk).is_active


@pytest.mark.parametrize(
    ("path", "data", "title"),
    [("reset/", {}, "重置密码"), ("active/", {"active": "0"}, "停用账号")],
)
def test_ministry_account_decisions_ask_first(ministry_user, reference_data, path, data, title):
    admin = ProvinceAdminFactory(username="hn_admin")
    before = state()
    html = (
        client_for(ministry_user).post(f"/ministry/admins/{admin.pk}/{path}", data).content.decode()
    )
    assert f"请确认：{title}" in html and "hn_admin" in html
    assert state() == before


def test_the_buttons_carry_the_question_for_the_dialog(reviewing, province_admin, school_user):
    client = client_for(province_admin)
    review = client.get(f"/province/schools/{reviewing.code}/").content.decode()
    assert 'data-confirm="确定通过确认测试学院的全部1项待审核任务吗？学校将收到通知。"' in review
    assert 'data-confirm="确定将确认测试学院已提交的承接任务整体退回学校重新填报吗？' in review
    accounts = client.get("/province/accounts/").content.decode()
    assert accounts.count("data-confirm=") >= 2
    assert "/static/js/confirm.js" in accounts
