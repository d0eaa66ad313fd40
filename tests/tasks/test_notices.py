"""Notices (消息) a school receives, and the pages every role reads them on: who is told what
when items are returned or approved, the declaration reopened, the yearly report returned or
evaluated; the header's unread count, 消息, opening, 全部标为已读, 消息设置; the banners and
the menu count on the school's pages."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from schools.choices import AuditAction, MailMode
from schools.models import School, User
from tasks.choices import Grade, NoticeKind, ReportProgress
from tasks.models import AuditEvent, Notice, ReportingYear, UnitReport
from tasks.models.reporting import RowFigures
from tasks.transitions import beijing_today
from tests.conftest import client_for
from tests.factories import MinistryUserFactory, ProvinceAdminFactory
from tests.html_checks import check_page
from tests.review.helpers import school_in_state
from tests.samples import PDF
from tests.tasks.conftest import item
from tests.tasks.helpers import commitment, full_row, told, written_by

pytestmark = pytest.mark.django_db

RETURNED_BANNER = "有1项任务被退回修改。"
REOPEN_BANNER = "省厅已将本校承接任务退回重新填报。"


@pytest.fixture
def school(shanxi, open_round, province_admin):
    """A 山西 school that submitted items 1 and 3.2."""
    return school_in_state(shanxi, open_round, "submitted", province_admin, name="通知测试学院")


@pytest.fixture
def bystanders(shanxi, open_round, province_admin, other_school_user, other_province_admin):
    """Accounts that must hear nothing of `school`: a school of the same province with a
    submission of its own, another province's admin, the ministry."""
    neighbour = school_in_state(shanxi, open_round, "submitted", province_admin)
    return [neighbour.account, other_school_user, other_province_admin, MinistryUserFactory()]


# -- what the school is told ----------------------------------------------------------------


def test_returned_item_tells_the_school_with_the_comment(school, province_admin, bystanders):
    target = commitment(school, "3.2")
    notices = written_by(
        lambda: target.return_for_changes(by=province_admin, comment="数量偏多，请核实")
    )
    assert told(notices) == {(school.account.username, NoticeKind.ITEM_RETURNED)}
    notice = notices[0]
    assert notice.title == "任务（项目）3.2被省厅退回修改"
    assert notice.body == "修改意见：数量偏多，请核实"
    assert notice.url == "/school/returned/"
    assert notice.is_unread


def test_some_items_approved_names_them(school, province_admin, bystanders):
    notices = written_by(lambda: commitment(school, "1").approve(by=province_admin))
    assert told(notices) == {(school.account.username, NoticeKind.ITEMS_APPROVED)}
    assert (notices[0].title, notices[0].body, notices[0].url) == (
        "1项任务（项目）审核通过",
        "任务（项目）：1",
        "/school/commitments/",
    )


def test_last_approval_tells_the_school_everything_passed(school, province_admin, bystanders):
    commitment(school, "1").approve(by=province_admin)
    notices = written_by(lambda: commitment(school, "3.2").approve(by=province_admin))
    mine = [n for n in notices if n.user == school.account]
    assert [(n.kind, n.title, n.body, n.url) for n in mine] == [
        (
            NoticeKind.ALL_APPROVED,
            "本校承接任务已全部审核通过",
            "本次通过的任务（项目）：3.2",
            "/school/commitments/",
        )
    ]
    # The neighbour still waits for review, so the ministry is not told either.
    assert told(notices) == {(school.account.username, NoticeKind.ALL_APPROVED)}


def test_approve_all_in_one_step_is_one_all_approved_notice(school, province_admin, bystanders):
    notices = written_by(lambda: school.declarations.get().approve_all(by=province_admin))
    assert told(notices) == {(school.account.username, NoticeKind.ALL_APPROVED)}
    assert len(notices) == 1
    assert notices[0].title == "本校承接任务已全部审核通过"
    assert notices[0].body == "本次通过的任务（项目）：1、3.2"


def test_approve_all_beside_a_returned_item_is_not_everything_passed(
    shanxi, open_round, province_admin
):
    school = school_in_state(shanxi, open_round, "submitted", province_admin)
    commitment(school, "3.2").return_for_changes(by=province_admin, comment="请核实")
    notices = written_by(lambda: school.declarations.get().approve_all(by=province_admin))
    mine = [n for n in notices if n.user == school.account]
    assert [(n.kind, n.title) for n in mine] == [
        (NoticeKind.ITEMS_APPROVED, "1项任务（项目）审核通过")
    ]


def test_an_undone_review_tells_the_school_the_item_waits_again(school, province_admin, bystanders):
    school.declarations.get().approve_all(by=province_admin)
    notices = written_by(lambda: commitment(school, "3.2").undo_review(by=province_admin))
    assert told(notices) == {(school.account.username, NoticeKind.REVIEW_UNDONE)}
    assert (notices[0].title, notices[0].url) == (
        "任务（项目）3.2的审核结果已被省厅撤销，重新待审核",
        "/school/commitments/",
    )


def test_reopen_tells_the_school_the_reason(school, province_admin, bystanders):
    declaration = school.declarations.get()
    notices = written_by(
        lambda: declaration.reopen(by=province_admin, reason="学校申请调整承接数量")
    )
    assert told(notices) == {(school.account.username, NoticeKind.REOPENED)}
    assert (notices[0].title, notices[0].body, notices[0].url) == (
        "省厅已将本校承接任务退回重新填报",
        "退回原因：学校申请调整承接数量",
        "/school/commitments/",
    )


def test_deactivated_school_account_is_not_told(school, province_admin):
    User.objects.filter(pk=school.account.pk).update(is_active=False)
    notices = written_by(lambda: school.declarations.get().approve_all(by=province_admin))
    assert not [n for n in notices if n.user_id == school.account.pk]


def test_a_school_saving_or_withdrawing_tells_nobody(shanxi, open_round, province_admin):
    school = school_in_state(shanxi, open_round, "filling", province_admin)
    account = school.account
    declaration = school.declarations.get()
    rows = {item("1").pk: full_row(item("1"))}
    assert not written_by(
        lambda: declaration.save_draft(
            by=account, rows=rows, contacts=None, version=declaration.version
        )
    )
    declaration.submit(by=account, rows=rows, contacts=None, version=declaration.version)
    assert not written_by(lambda: declaration.withdraw(by=account))


def submitted_report(school: School) -> UnitReport:
    year = ReportingYear.objects.create(
        plan_id=1, year=2021, deadline=beijing_today() + timedelta(days=10)
    )
    report = UnitReport.for_school(school, year)
    report.attach_annual_report(
        by=school.account, upload=SimpleUploadedFile("年度工作报告.pdf", PDF)
    )
    rows = {
        c.pk: RowFigures(
            progress=ReportProgress.IN_PROGRESS,
            quantity=1 if c.item.has_quantity else None,
            narrative="按计划推进",
            spent_school_funds=Decimal(1),
            spent_industry_funds=Decimal(0),
            spent_sponsor_funds=Decimal(0),
            spent_local_funds=Decimal(0),
        )
        for c in report.approved_commitments()
    }
    report.submit(by=school.account, rows=rows, version=report.version)
    return report


@pytest.mark.parametrize(
    ("decide", "kind", "title", "body"),
    [
        (
            lambda r, admin: r.return_for_changes(by=admin, comment="佐证材料不全"),
            NoticeKind.REPORT_RETURNED,
            "2021年度绩效被省厅退回修改",
            "退回意见：佐证材料不全",
        ),
        (
            lambda r, admin: r.evaluate(by=admin, grade=Grade.GOOD, comment="完成较好"),
            NoticeKind.REPORT_EVALUATED,
            "2021年度绩效已评价：良好",
            "评价意见：完成较好",
        ),
    ],
    ids=["returned", "evaluated"],
)
def test_yearly_report_decision_tells_the_school(
    shanxi, open_round, province_admin, bystanders, decide, kind, title, body
):
    school = school_in_state(shanxi, open_round, "approved", province_admin)
    report = submitted_report(school)
    notices = written_by(lambda: decide(report, province_admin))
    assert told(notices) == {(school.account.username, kind)}
    assert (notices[0].title, notices[0].body) == (title, body)
    assert notices[0].url == f"/school/reporting/{report.reporting_year_id}/"


# -- privacy: nothing a recipient cannot see on their own pages ------------------------------


def test_every_notice_of_a_whole_cycle_links_to_a_page_its_reader_may_open(
    shanxi, open_round, province_admin, bystanders
):
    """Submit, return, approve, resubmit, approve the rest, report; a neighbour reopened:
    each notice opens for its reader, and no school notice names the reviewer's account,
    which no school page shows (the school sees 省厅, never the admin's user name)."""
    ministry = bystanders[-1]
    school = school_in_state(shanxi, open_round, "submitted", province_admin, name="循环测试学院")
    declaration = school.declarations.get()
    neighbour = bystanders[0].school
    neighbour.declarations.get().reopen(by=province_admin, reason="学校申请调整")
    commitment(school, "3.2").return_for_changes(by=province_admin, comment="请核实数量")
    commitment(school, "1").approve(by=province_admin)
    declaration.refresh_from_db()
    declaration.resubmit(
        by=school.account, rows={}, selected=[item("3.2").pk], version=declaration.version
    )
    commitment(school, "3.2").approve(by=province_admin)
    report = submitted_report(school)
    report.return_for_changes(by=province_admin, comment="佐证材料不全")

    kinds = set(Notice.objects.filter(user=school.account).values_list("kind", flat=True))
    assert kinds == {
        NoticeKind.ITEM_RETURNED,
        NoticeKind.ITEMS_APPROVED,
        NoticeKind.ALL_APPROVED,
        NoticeKind.REPORT_RETURNED,
    }
    assert Notice.objects.get(user=neighbour.account).kind == NoticeKind.REOPENED
    assert set(Notice.objects.filter(user=province_admin).values_list("kind", flat=True)) == {
        NoticeKind.SUBMITTED,
        NoticeKind.RESUBMITTED,
    }
    assert Notice.objects.filter(user=ministry, kind=NoticeKind.PROVINCE_REVIEWED).exists()

    for notice in Notice.objects.select_related("user"):
        response = client_for(notice.user).get(notice.url)
        assert response.status_code == 200, (notice.user.username, notice.url)
    school_text = " ".join(
        f"{n.title} {n.body} {n.url}" for n in Notice.objects.filter(user__school__province=shanxi)
    )
    assert province_admin.username not in school_text
    assert neighbour.name not in " ".join(
        Notice.objects.filter(user=school.account).values_list("title", flat=True)
    )
    for path in ["/school/commitments/", "/school/returned/", "/notices/"]:
        assert province_admin.username not in client_for(school.account).get(path).content.decode()


# -- the header's unread count ---------------------------------------------------------------


def add_notices(user: User, unread: int, read: int = 0) -> None:
    now = timezone.now()
    Notice.objects.bulk_create(
        Notice(
            user=user,
            kind=NoticeKind.DEADLINE,
            title=f"消息{n}",
            url="/",
            key=f"test:{n}",
            created_at=now - timedelta(minutes=n),
            read_at=now if n >= unread else None,
        )
        for n in range(unread + read)
    )


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("school", "/school/commitments/"),
        ("school", "/school/profile/"),
        ("province", "/province/"),
        ("province", "/notices/"),
        ("ministry", "/ministry/"),
        ("ministry", "/catalogue/"),
    ],
)
def test_header_shows_the_unread_count_for_every_role(
    open_round, school_user, province_admin, role, path
):
    user = {"school": school_user, "province": province_admin}.get(role) or MinistryUserFactory()
    add_notices(user, unread=2, read=3)
    add_notices(MinistryUserFactory(), unread=7)  # someone else's
    response = client_for(user).get(path)
    assert response.status_code == 200
    assert response.context["unread_notices"] == 2
    assert '2<span class="visually-hidden">条未读</span>' in response.content.decode()


def test_no_badge_without_unread_notices(school_user):
    add_notices(school_user, unread=0, read=2)
    html = client_for(school_user).get("/school/profile/").content.decode()
    assert "条未读" not in html


def test_no_unread_count_on_the_forced_password_change_page(school_user):
    add_notices(school_user, unread=2)
    User.objects.filter(pk=school_user.pk).update(must_change_password=True)
    client = client_for(school_user)
    assert client.get("/notices/").url == "/account/password/"
    response = client.get("/account/password/")
    assert response.status_code == 200
    assert "unread_notices" not in response.context
    html = response.content.decode()
    assert "条未读" not in html and "/notices/" not in html


# -- 消息: the list, opening, 全部标为已读 ----------------------------------------------------


def test_list_is_newest_first_and_paginated(school_user):
    add_notices(school_user, unread=35)  # 消息0 is the newest
    client = client_for(school_user)
    first = client.get("/notices/")
    assert [n.title for n in first.context["page"]] == [f"消息{n}" for n in range(30)]
    html = first.content.decode()
    assert html.index("消息0</a>") < html.index("消息1</a>") < html.index("消息29</a>")
    assert "消息30</a>" not in html
    second = client.get("/notices/?page=2")
    assert [n.title for n in second.context["page"]] == [f"消息{n}" for n in range(30, 35)]
    assert client.get("/notices/?page=abc").status_code == 200
    check_page(html, names=(school_user.username,))


def test_list_shows_only_unread_on_request(school_user):
    add_notices(school_user, unread=2, read=3)
    add_notices(MinistryUserFactory(), unread=4)
    client = client_for(school_user)
    everything = client.get("/notices/").context["page"]
    assert len(everything) == 5
    unread = client.get("/notices/?show=unread")
    assert [n.title for n in unread.context["page"]] == ["消息0", "消息1"]
    assert "显示全部消息" in unread.content.decode()


def test_opening_a_notice_marks_it_read_and_goes_to_its_page(school_user):
    notice = Notice.objects.create(
        user=school_user,
        kind=NoticeKind.ITEM_RETURNED,
        title="退回",
        url="/school/returned/",
        key="k",
    )
    client = client_for(school_user)
    response = client.get(f"/notices/{notice.pk}/")
    assert (response.status_code, response.url) == (302, "/school/returned/")
    notice.refresh_from_db()
    first_read = notice.read_at
    assert first_read is not None
    client.get(f"/notices/{notice.pk}/")  # a second opening keeps the first reading's time
    notice.refresh_from_db()
    assert notice.read_at == first_read
    assert client.get("/school/returned/").context["unread_notices"] == 0


def test_another_accounts_notice_is_not_found_and_stays_unread(school_user, other_school_user):
    notice = Notice.objects.create(
        user=other_school_user, kind=NoticeKind.DEADLINE, title="别人的", url="/", key="k"
    )
    response = client_for(school_user).get(f"/notices/{notice.pk}/")
    assert response.status_code == 404
    notice.refresh_from_db()
    assert notice.is_unread


def test_a_notice_never_sends_its_reader_off_the_site(school_user):
    notice = Notice.objects.create(
        user=school_user, kind=NoticeKind.DEADLINE, title="外链", url="//evil.example/", key="k"
    )
    response = client_for(school_user).get(f"/notices/{notice.pk}/")
    assert response.url == "/notices/"


def test_read_all_is_post_only_and_marks_only_ones_own(school_user, other_school_user):
    add_notices(school_user, unread=2, read=1)
    add_notices(other_school_user, unread=3)
    client = client_for(school_user)
    assert client.get("/notices/read-all/").status_code == 405
    assert Notice.objects.filter(user=school_user).unread().count() == 2
    response = client.post("/notices/read-all/", follow=True)
    assert "已将2条消息标为已读。" in response.content.decode()
    assert Notice.objects.filter(user=school_user).unread().count() == 0
    assert Notice.objects.filter(user=other_school_user).unread().count() == 3
    response = client.post("/notices/read-all/", follow=True)
    assert "没有未读消息。" in response.content.decode()


def test_notice_pages_need_sign_in(school_user):
    notice = Notice.objects.create(user=school_user, kind=NoticeKind.DEADLINE, url="/", key="k")
    for path in ["/notices/", f"/notices/{notice.pk}/", "/notices/settings/"]:
        response = Client().get(path)
        assert (response.status_code, response.url) == (302, f"/?next={path}")
    assert Client().post("/notices/read-all/").status_code == 302
    notice.refresh_from_db()
    assert notice.is_unread


# -- 消息设置 --------------------------------------------------------------------------------


def test_school_mail_settings_land_in_the_school_record(school_user):
    client = client_for(school_user)
    response = client.post(
        "/notices/settings/", {"email": "office@school.example.cn", "mail_mode": MailMode.DAILY}
    )
    assert (response.status_code, response.url) == (302, "/notices/settings/")
    school_user.refresh_from_db()
    school_user.school.refresh_from_db()
    assert school_user.school.email == "office@school.example.cn"
    assert school_user.mail_mode == MailMode.DAILY
    assert school_user.email == ""  # a school's address is the school's, not the account's
    event = AuditEvent.objects.get(action=AuditAction.MAIL_SETTINGS)
    assert event.user == school_user
    assert event.changes["fields"]["电子邮箱"] == ["", "office@school.example.cn"]
    assert event.changes["fields"]["邮件提醒"] == ["每条通知", "每日汇总"]
    assert "消息设置已保存。" in client.get("/notices/settings/").content.decode()
    assert "电子邮箱：office@school.example.cn" in client.get("/school/profile/").content.decode()


def test_province_admin_mail_settings_are_the_accounts_own(province_admin):
    response = client_for(province_admin).post(
        "/notices/settings/", {"email": "sxjyt@example.cn", "mail_mode": MailMode.NONE}
    )
    assert response.status_code == 302
    province_admin.refresh_from_db()
    assert (province_admin.email, province_admin.mail_mode) == ("sxjyt@example.cn", MailMode.NONE)


def test_saving_the_same_settings_again_records_nothing(school_user):
    client = client_for(school_user)
    data = {"email": "a@example.cn", "mail_mode": MailMode.EACH}
    client.post("/notices/settings/", data)
    client.post("/notices/settings/", data)
    assert AuditEvent.objects.filter(action=AuditAction.MAIL_SETTINGS).count() == 1


def test_bad_address_is_refused_in_chinese_and_kept_on_screen(school_user):
    School.objects.filter(pk=school_user.school_id).update(email="old@example.cn")
    response = client_for(school_user).post(
        "/notices/settings/", {"email": "not-an-address", "mail_mode": MailMode.EACH}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "电子邮箱格式不正确" in html
    assert 'value="not-an-address"' in html
    check_page(html, names=(school_user.username, "not-an-address", "name@example.com"))
    assert School.objects.get(pk=school_user.school_id).email == "old@example.cn"
    assert not AuditEvent.objects.filter(action=AuditAction.MAIL_SETTINGS).exists()


@pytest.mark.parametrize("mode", ["weekly", "", "每条通知"])
def test_bad_mail_mode_is_a_4xx(school_user, mode):
    response = client_for(school_user).post(
        "/notices/settings/", {"email": "a@example.cn", "mail_mode": mode}
    )
    assert response.status_code == 400
    assert "请选择邮件提醒方式。" in response.content.decode()
    school_user.refresh_from_db()
    assert school_user.mail_mode == MailMode.EACH
    assert School.objects.get(pk=school_user.school_id).email == ""


# -- banners and the menu count on the school's pages ----------------------------------------


def returned_school(shanxi, open_round, province_admin) -> School:
    return school_in_state(shanxi, open_round, "returned", province_admin)


def test_returned_banner_and_menu_count_while_items_are_returned(
    shanxi, open_round, province_admin
):
    school = returned_school(shanxi, open_round, province_admin)
    client = client_for(school.account)
    html = client.get("/school/commitments/").content.decode()
    assert RETURNED_BANNER in html
    assert '<a href="/school/returned/">需修改的任务</a>查看修改意见' in html
    menu = '需修改的任务 <span class="badge rounded-pill text-bg-danger">1<span'
    assert menu in html
    assert menu in client.get("/school/profile/").content.decode()

    declaration = school.declarations.get()
    declaration.resubmit(
        by=school.account, rows={}, selected=[item("3.2").pk], version=declaration.version
    )
    html = client.get("/school/commitments/").content.decode()
    assert "项任务被退回修改" not in html
    assert "text-bg-danger" not in html


def test_returned_count_counts_every_returned_item(shanxi, open_round, province_admin):
    school = school_in_state(shanxi, open_round, "submitted", province_admin)
    for code in ("1", "3.2"):
        commitment(school, code).return_for_changes(by=province_admin, comment="请核实")
    html = client_for(school.account).get("/school/commitments/").content.decode()
    assert "有2项任务被退回修改。" in html
    assert 'text-bg-danger">2<span' in html


def test_no_banner_without_returned_items(shanxi, open_round, province_admin):
    school = school_in_state(shanxi, open_round, "reviewing", province_admin)
    response = client_for(school.account).get("/school/commitments/")
    html = response.content.decode()
    assert response.context["returned_items"] == 0
    assert "项任务被退回修改" not in html and REOPEN_BANNER not in html


def test_another_schools_returned_items_are_not_counted(shanxi, open_round, province_admin):
    returned_school(shanxi, open_round, province_admin)
    school = school_in_state(shanxi, open_round, "submitted", province_admin)
    response = client_for(school.account).get("/school/commitments/")
    assert response.context["returned_items"] == 0


def test_reopen_banner_with_the_reason_until_the_school_submits(school, province_admin):
    declaration = school.declarations.get()
    declaration.reopen(by=province_admin, reason="学校申请调整承接数量")
    client = client_for(school.account)
    html = client.get("/school/commitments/").content.decode()
    assert REOPEN_BANNER in html
    assert "退回原因：学校申请调整承接数量。" in html

    rows = {item("1").pk: full_row(item("1"))}
    declaration.save_draft(by=school.account, rows=rows, contacts=None, version=declaration.version)
    assert REOPEN_BANNER in client.get("/school/commitments/").content.decode()

    declaration.submit(by=school.account, rows={}, contacts=None, version=declaration.version)
    html = client.get("/school/commitments/").content.decode()
    assert REOPEN_BANNER not in html and "退回原因" not in html


def test_no_reopen_banner_after_the_school_withdraws_itself(shanxi, open_round, province_admin):
    school = school_in_state(shanxi, open_round, "submitted", province_admin)
    school.declarations.get().withdraw(by=school.account)
    html = client_for(school.account).get("/school/commitments/").content.decode()
    assert REOPEN_BANNER not in html


def test_province_menu_has_no_returned_count(province_admin):
    add_notices(province_admin, unread=1)
    response = client_for(province_admin).get("/province/")
    assert "returned_items" not in response.context
    assert "需修改的任务" not in response.content.decode()


def test_each_admin_of_a_province_has_a_count_of_their_own(province_admin, shanxi):
    """Two admins of one province each have their own notices and their own count."""
    colleague = ProvinceAdminFactory(province=shanxi)
    add_notices(province_admin, unread=1)
    add_notices(colleague, unread=4)
    assert client_for(colleague).get("/province/").context["unread_notices"] == 4
