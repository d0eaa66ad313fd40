"""Issue 13's loop between a school and its province, in a real browser, with and without
JavaScript: a school past its end date asks for time; the province grants two days; the school
edits and submits; the province reviews 7.1 across its schools and returns two rows with one
comment; the school sees the comparison, fixes and resubmits; the province approves; the school
proposes a change to the approved item, and 已通过 keeps the old baseline until the province
approves the change."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from schools.models import Province
from tasks.choices import ChangeStatus, ReviewStatus
from tasks.models import ChangeRequest, Commitment, Declaration, Round
from tasks.transitions import beijing_today
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, ProvinceAdminFactory, SchoolUserFactory
from tests.tasks.conftest import item
from tests.tasks.helpers import full_row

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def setup(reference_data):
    """山西's round ended yesterday. 甲 saved a draft with 7.1 but never submitted; 乙 and 丙
    submitted 7.1 (quantity 2) in time."""
    shanxi = Province.objects.get(code="14")
    today = beijing_today()
    round_ = Round.objects.create(
        plan_id=1, province=shanxi, start_date=today - timedelta(days=10), end_date=today
    )
    round_.items.set(round_.default_items())
    late = SchoolUserFactory(school__province=shanxi, school__name="甲职业技术学院")
    Declaration.for_school(late.school, round_).save_draft(
        by=late, rows={item("7.1").pk: full_row(item("7.1"))}, contacts=None, version=0
    )
    for name in ("乙职业学院", "丙职业学院"):
        other = SchoolUserFactory(school__province=shanxi, school__name=name)
        Declaration.for_school(other.school, round_).submit(
            by=other, rows={item("7.1").pk: full_row(item("7.1"))}, contacts=None, version=0
        )
    Round.objects.filter(pk=round_.pk).update(end_date=today - timedelta(days=1))
    admin = ProvinceAdminFactory(province=shanxi, username="sx_reviewer")
    return late, admin


def approved_line(tab) -> list[str]:
    """按任务审核's 已通过 line for 7.1: schools, quantity, 汇总, …"""
    return tab.get_by_role("row", name=re.compile("^已通过")).inner_text().split()[1:]


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_extension_review_by_item_comparison_and_change(live_server, browser, setup, js):
    late, admin = setup
    school_tab = browser.new_context(java_script_enabled=js, locale="zh-CN").new_page()
    province_tab = browser.new_context(java_script_enabled=js, locale="zh-CN").new_page()
    for tab in (school_tab, province_tab):
        tab.set_default_timeout(10_000)
        tab.on("dialog", lambda dialog: dialog.accept())
    today = beijing_today()
    two_days = f"{today + timedelta(days=1):%Y-%m-%d}"  # today and tomorrow

    # The school is past its end date: it can only look, and asks for time.
    sign_in(school_tab, live_server, late.username, PASSWORD)
    expect(school_tab.get_by_text(re.compile("已于.*24:00截止"))).to_be_visible()
    school_tab.get_by_role("link", name="申请延期").first.click()
    school_tab.get_by_label("申请延期至").fill(two_days)
    school_tab.get_by_label("延期原因").fill("学校负责人出差，材料未能按时审定")
    school_tab.get_by_role("button", name="提交延期申请").click()
    expect(school_tab.get_by_text(f"本校已申请延期至{two_days}，待省厅处理").first).to_be_visible()

    # The province grants it from its 延期申请 list.
    sign_in(province_tab, live_server, admin.username, PASSWORD, entry="省级管理员")
    province_tab.get_by_role("link", name=re.compile("^延期申请")).click()
    province_tab.get_by_role("link", name=re.compile("甲职业技术学院")).first.click()
    expect(province_tab.get_by_text("延期原因：学校负责人出差，材料未能按时审定")).to_be_visible()
    province_tab.get_by_label("延期至").fill(two_days)
    province_tab.get_by_role("button", name="批准延期").click()
    expect(province_tab.get_by_text(f"已批准甲职业技术学院延期至{two_days}。")).to_be_visible()

    # The school's form is open again until its own date: it edits 7.1 and submits.
    school_tab.get_by_role("link", name="承接任务", exact=True).click()
    expect(school_tab.get_by_text(f"{two_days} 24:00").first).to_be_visible()
    school_tab.get_by_label("7.1 承接数量", exact=True).fill("3")
    school_tab.get_by_role("button", name="提交").first.click()
    expect(school_tab.get_by_text("已提交，等待省厅审核。")).to_be_visible()

    # The province reviews 7.1 across its schools and returns two rows with one comment.
    province_tab.get_by_role("link", name="按任务审核").click()
    province_tab.get_by_label("任务（项目）").select_option("7.1")
    province_tab.get_by_role("button", name="查看").click()
    expect(province_tab.get_by_label("选择 甲职业技术学院")).to_be_visible()
    assert approved_line(province_tab)[:2] == ["0", "0"]
    province_tab.get_by_label("选择 甲职业技术学院").check()
    province_tab.get_by_label("选择 乙职业学院").check()
    province_tab.get_by_label(re.compile("^修改意见")).fill("遴选数量请与学校发展规划一致")
    province_tab.get_by_role("button", name="批量退回修改").click()
    if not js:
        expect(province_tab.get_by_role("heading", name="请确认：批量退回修改")).to_be_visible()
        province_tab.get_by_role("button", name="确认批量退回修改").click()
    expect(province_tab.get_by_text(re.compile("已退回修改"))).to_be_visible()
    returned = Commitment.objects.filter(item__code="7.1", review_status=ReviewStatus.RETURNED)
    assert returned.count() == 2

    # The school sees the comment and the comparison, fixes and resubmits.
    school_tab.get_by_role("link", name=re.compile("^需修改的任务")).first.click()
    expect(school_tab.get_by_text("修改意见：遴选数量请与学校发展规划一致").first).to_be_visible()
    expect(school_tab.get_by_text("修改对比（退回时与已保存的内容）：未作修改")).to_be_visible()
    school_tab.get_by_label("7.1 承接数量", exact=True).fill("1")
    school_tab.get_by_role("button", name="保存").click()
    expect(
        school_tab.get_by_text("修改对比（退回时与已保存的内容）：修改了承接数量")
    ).to_be_visible()
    school_tab.get_by_label("7.1 选择提交").check()
    school_tab.get_by_role("button", name="提交").first.click()
    expect(school_tab.get_by_text("已重新提交，等待省厅审核。")).to_be_visible()

    # The province sees what changed since the return, and approves.
    province_tab.goto(f"{live_server.url}/province/schools/{late.school.code}/")
    expect(
        province_tab.get_by_text("修改对比（退回时与重新提交后）：修改了承接数量")
    ).to_be_visible()
    expect(
        province_tab.get_by_text("所答复的修改意见：遴选数量请与学校发展规划一致")
    ).to_be_visible()
    province_tab.get_by_role("button", name="7.1 通过").click()
    expect(province_tab.get_by_text("任务（项目）7.1 已通过。")).to_be_visible()

    # The school proposes a change to the approved item.
    school_tab.get_by_role("link", name="变更申请").first.click()
    school_tab.get_by_label("7.1 承接数量", exact=True).fill("4")
    school_tab.get_by_label(re.compile("^变更原因")).fill("新增一个校区，遴选数量调整")
    school_tab.get_by_role("button", name="提交变更申请").click()
    expect(school_tab.get_by_text("待省厅审核的变更申请")).to_be_visible()
    expect(school_tab.get_by_text("7.1：修改了承接数量")).to_be_visible()

    # Until the province agrees, 已通过 keeps the baseline: 甲 with 1.
    province_tab.get_by_role("link", name="按任务审核").click()
    province_tab.get_by_label("任务（项目）").select_option("7.1")
    province_tab.get_by_role("button", name="查看").click()
    assert approved_line(province_tab)[:2] == ["1", "1"]
    # The province approves the change from its 变更申请 list.
    province_tab.get_by_role("link", name="变更申请", exact=True).click()
    province_tab.get_by_role("link", name="审核 甲职业技术学院 的变更申请").click()
    expect(province_tab.get_by_text("变更原因：新增一个校区，遴选数量调整")).to_be_visible()
    province_tab.get_by_role("button", name="同意变更").click()
    expect(province_tab.get_by_text("已同意变更：7.1。")).to_be_visible()
    province_tab.get_by_role("link", name="按任务审核").click()
    province_tab.get_by_label("任务（项目）").select_option("7.1")
    province_tab.get_by_role("button", name="查看").click()
    assert approved_line(province_tab)[:2] == ["1", "4"]
    assert ChangeRequest.objects.get().status == ChangeStatus.APPROVED
    # The school hears of it.
    school_tab.reload()
    expect(school_tab.get_by_text("已同意").first).to_be_visible()
