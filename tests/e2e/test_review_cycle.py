"""Issue 4's cycle in a real browser: the province returns one item and approves the rest; the
school fixes it in 需修改的任务 and resubmits; the province approves it; the school's preview
shows 已通过 equal to 意向承接."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from schools.models import Province
from tasks.choices import ReviewStatus, SchoolStatus
from tasks.models import Declaration, Round
from tasks.transitions import beijing_today
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, ProvinceAdminFactory, SchoolUserFactory
from tests.tasks.conftest import item
from tests.tasks.helpers import full_row

pytestmark = pytest.mark.django_db(transaction=True)


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
    school = SchoolUserFactory(school__province=shanxi, school__name="山西测试职业技术学院")
    admin = ProvinceAdminFactory(province=shanxi, username="sx_reviewer")
    declaration = Declaration.for_school(school.school, round_)
    declaration.submit(
        by=school,
        rows={item(c).pk: full_row(item(c)) for c in ("1", "2", "3.1", "3.2")},
        contacts=None,
        version=0,
    )
    return school, admin


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
def test_return_fix_resubmit_approve(live_server, browser, setup, js):
    school, admin = setup
    province_tab = browser.new_context(java_script_enabled=js, locale="zh-CN").new_page()
    school_tab = browser.new_context(java_script_enabled=js, locale="zh-CN").new_page()

    # The province finds the school in its list and reviews it.
    sign_in(province_tab, live_server, admin.username, PASSWORD, entry="省级管理员")
    expect(province_tab.get_by_role("heading", name=re.compile("本省进度"))).to_be_visible()
    province_tab.get_by_role("link", name="查看和审核 山西测试职业技术学院").click()
    province_tab.get_by_label("3.2 修改意见").fill("名班主任工作室数量请按实际填写")
    province_tab.get_by_role("button", name="3.2 退回修改").click()
    expect(province_tab.get_by_text("已将任务（项目）3.2退回修改")).to_be_visible()
    # 全部通过 asks first: a dialog with JavaScript, a page of its own without. Both name the
    # school and the count; declining the dialog sends nothing.
    dialogs: list[str] = []

    def answer(dialog):
        dialogs.append(dialog.message)
        (dialog.accept if len(dialogs) > 1 else dialog.dismiss)()

    province_tab.on("dialog", answer)
    province_tab.get_by_role("button", name="全部通过").click()
    if js:
        expect(province_tab.get_by_role("button", name="全部通过")).to_be_visible()
        expect(province_tab.get_by_text("已通过全部")).to_have_count(0)
        province_tab.get_by_role("button", name="全部通过").click()
        assert (
            dialogs == ["确定通过山西测试职业技术学院的全部3项待审核任务吗？学校将收到通知。"] * 2
        )
    else:
        expect(province_tab.get_by_role("heading", name="请确认：全部通过")).to_be_visible()
        expect(province_tab.get_by_role("alert")).to_contain_text(
            "将通过山西测试职业技术学院的全部3项待审核任务"
        )
        province_tab.get_by_role("button", name="确认全部通过").click()
        assert dialogs == []
    expect(province_tab.get_by_text("已通过全部 3 项待审核任务。")).to_be_visible()

    # The school sees the comment and fixes the item.
    sign_in(school_tab, live_server, school.username, PASSWORD)
    expect(school_tab.get_by_text("修改意见：名班主任工作室数量请按实际填写")).to_be_visible()
    expect(school_tab.get_by_text("有1项任务被退回修改。")).to_be_visible()
    # The banner's link, beside the menu's (需修改的任务 with its count).
    school_tab.get_by_role("main").get_by_role("link", name="需修改的任务").click()
    expect(school_tab.get_by_text("名班主任工作室数量请按实际填写")).to_be_visible()
    school_tab.get_by_label("3.2 承接数量", exact=True).fill("1")
    school_tab.get_by_label("3.2 学校自筹", exact=True).fill("5")
    school_tab.get_by_label("3.2 选择提交").check()
    school_tab.get_by_role("button", name="提交").first.click()
    expect(school_tab.get_by_text("已重新提交，等待省厅审核。")).to_be_visible()
    expect(school_tab.get_by_text("没有需修改的任务。")).to_be_visible()

    # The province approves the fixed item.
    province_tab.reload()
    expect(province_tab.get_by_role("row", name=re.compile(r"^3\.2 "))).to_contain_text("待审核")
    province_tab.get_by_role("button", name="3.2 通过").click()
    expect(province_tab.get_by_text("任务（项目）3.2 已通过。")).to_be_visible()
    expect(province_tab.get_by_text("重新提交需修改的任务").first).to_be_visible()

    # The school's preview: 已通过 equals 意向承接.
    school_tab.get_by_role("link", name="承接任务", exact=True).click()
    intended = school_tab.get_by_role("row", name=re.compile("^意向承接")).inner_text()
    approved = school_tab.get_by_role("row", name=re.compile("^已通过")).inner_text()
    assert intended.split()[1:] == approved.split()[1:]
    assert intended.split()[1:3] == ["4", "44"]  # 10 + 10 + 10 + (5+2+3+4)

    declaration = Declaration.objects.get(school=school.school)
    assert declaration.school_status == SchoolStatus.APPROVED
    assert set(declaration.commitments.values_list("review_status", flat=True)) == {
        ReviewStatus.APPROVED
    }
