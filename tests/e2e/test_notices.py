"""Issue 12's done-when in a real browser: the province returns an item; the school sees the
banner, the unread count and the notice, follows it to 需修改的任务, resubmits; the province sees
the resubmission notice and follows it to the school's review page."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from schools.models import Province
from tasks.choices import NoticeKind, ReviewStatus
from tasks.models import Declaration, Mail, Notice, Round
from tasks.transitions import beijing_today
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, ProvinceAdminFactory, SchoolUserFactory
from tests.tasks.conftest import item
from tests.tasks.helpers import full_row

pytestmark = pytest.mark.django_db(transaction=True)

SCHOOL = "山西通知测试职业技术学院"
COMMENT = "名班主任工作室数量请按实际填写"


@pytest.fixture
def setup(reference_data):
    shanxi = Province.objects.get(code="14")
    round_ = Round.objects.create(
        plan_id=1,
        province=shanxi,
        start_date=beijing_today() - timedelta(days=1),
        end_date=beijing_today() + timedelta(days=9),
    )
    round_.items.set(round_.default_items())
    school = SchoolUserFactory(
        school__province=shanxi, school__name=SCHOOL, school__email="contact@school.example.cn"
    )
    admin = ProvinceAdminFactory(province=shanxi, username="sx_notices")
    declaration = Declaration.for_school(school.school, round_)
    # The submission already tells the province admin: one unread notice before the test.
    declaration.submit(
        by=school,
        rows={item(c).pk: full_row(item(c)) for c in ("1", "2", "3.1", "3.2")},
        contacts=None,
        version=0,
    )
    return school, admin


def header_messages(tab: Page, unread: int | None):
    """The header's 消息 link: with "N条未读" when there are unread notices, bare otherwise."""
    name = re.compile(rf"^消息\s*{unread}\s*条未读$") if unread else re.compile(r"^消息$")
    return tab.get_by_role("banner").get_by_role("link", name=name)


def test_return_noticed_followed_fixed_and_resubmission_noticed(live_server, page, request, setup):
    school, admin = setup
    js = request.node.callspec.params["page"]
    province_tab = page
    context = page.context.browser.new_context(java_script_enabled=js, locale="zh-CN")
    request.addfinalizer(context.close)
    context.set_default_timeout(10_000)
    school_tab = context.new_page()
    for tab in (province_tab, school_tab):
        # Accept any confirm() the pages ask (Playwright would dismiss it and stop the action).
        tab.on("dialog", lambda dialog: dialog.accept())

    # The province admin returns 3.2 with a comment on the school's review page.
    sign_in(province_tab, live_server, admin.username, PASSWORD, entry="省级管理员")
    expect(header_messages(province_tab, 1)).to_be_visible()  # the school's submission
    province_tab.get_by_role("link", name=f"查看和审核 {SCHOOL}").click()
    province_tab.get_by_label("3.2 修改意见").fill(COMMENT)
    province_tab.get_by_role("button", name="3.2 退回修改").click()
    expect(province_tab.get_by_text("已将任务（项目）3.2退回修改")).to_be_visible()

    # The school: the banner on 承接任务 with the count and the link, the unread count.
    sign_in(school_tab, live_server, school.username, PASSWORD)
    expect(school_tab).to_have_url(re.compile(r"/school/commitments/$"))
    banner = school_tab.get_by_role("status").filter(has_text="被退回修改")
    expect(banner).to_contain_text("有1项任务被退回修改。")
    expect(banner.get_by_role("link", name="需修改的任务")).to_have_attribute(
        "href", "/school/returned/"
    )
    expect(header_messages(school_tab, 1)).to_be_visible()

    # 消息 lists the notice with the comment; following it lands on 需修改的任务, now read.
    header_messages(school_tab, 1).click()
    expect(school_tab.get_by_role("heading", name="消息")).to_be_visible()
    notice = school_tab.get_by_role("listitem").filter(has_text="3.2被省厅退回修改")
    expect(notice).to_contain_text("未读")
    expect(notice).to_contain_text(f"修改意见：{COMMENT}")
    notice.get_by_role("link", name=re.compile("3.2被省厅退回修改")).click()
    expect(school_tab).to_have_url(re.compile(r"/school/returned/$"))
    expect(school_tab.get_by_role("heading", name="需修改的任务")).to_be_visible()
    expect(school_tab.get_by_text(COMMENT)).to_be_visible()
    expect(header_messages(school_tab, None)).to_be_visible()

    # The school fixes 3.2 and resubmits it.
    school_tab.get_by_label("3.2 承接数量", exact=True).fill("1")
    school_tab.get_by_label("3.2 学校自筹", exact=True).fill("5")
    school_tab.get_by_label("3.2 选择提交").check()
    school_tab.get_by_role("button", name="提交").first.click()
    expect(school_tab.get_by_text("已重新提交，等待省厅审核。")).to_be_visible()
    school_tab.get_by_role("link", name="承接任务", exact=True).click()
    expect(school_tab.get_by_text("被退回修改")).to_have_count(0)

    # The province admin: one more unread notice, the resubmission, which leads to the review
    # page with 3.2 待审核 again.
    province_tab.get_by_role("navigation", name="主导航").get_by_role(
        "link", name="本省进度"
    ).click()
    expect(header_messages(province_tab, 2)).to_be_visible()
    header_messages(province_tab, 2).click()
    resubmitted = province_tab.get_by_role("listitem").filter(has_text="重新提交")
    expect(resubmitted).to_contain_text(f"{SCHOOL}重新提交了1项需修改的任务，待审核")
    expect(resubmitted).to_contain_text("任务（项目）：3.2")
    resubmitted.get_by_role("link", name=re.compile("重新提交了1项")).click()
    expect(province_tab).to_have_url(re.compile(rf"/province/schools/{school.username}/$"))
    expect(province_tab.get_by_role("row", name=re.compile(r"^3\.2 "))).to_contain_text("待审核")
    expect(header_messages(province_tab, 1)).to_be_visible()  # the submission, still unread

    # What the pages showed is what is stored: each notice read once followed, the school's
    # mail queued for its contact address.
    returned = Notice.objects.get(user=school, kind=NoticeKind.ITEM_RETURNED)
    assert returned.read_at is not None
    assert Notice.objects.get(user=admin, kind=NoticeKind.RESUBMITTED).read_at is not None
    assert Mail.objects.get(user=school, key=f"{school.pk}:{returned.key}").to == (
        "contact@school.example.cn"
    )
    declaration = Declaration.objects.get(school=school.school)
    assert declaration.commitments.get(item=item("3.2")).review_status == ReviewStatus.PENDING
