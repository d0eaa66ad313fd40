"""The manual, section 3: a school fills 承接任务, saves, submits, sees the preview, withdraws."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from schools.models import Province
from tasks.choices import DeclarationStatus, ReviewStatus
from tasks.models import Declaration, Round
from tasks.transitions import beijing_today
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, SchoolUserFactory

pytestmark = pytest.mark.django_db(transaction=True)

# The manual's screenshot: 1, 2, 3.1, 3.2, 3.3 ticked with these amounts.
ROWS = [
    ("1", None, ["1", "2", "3", "4"]),
    ("2", None, ["5", "6", "1", "2"]),
    ("3.1", "1", ["6", "5", "4", "1"]),
    ("3.2", "2", ["2", "1", "2", "6"]),
    ("3.3", "2", ["3", "1", "1", "1"]),
]
SOURCES = ["学校自筹", "行业企业投入", "举办方投入", "地市县投入"]


@pytest.fixture
def school(reference_data):
    shanxi = Province.objects.get(code="14")
    round_ = Round.objects.create(
        plan_id=1,
        province=shanxi,
        start_date=beijing_today() - timedelta(days=1),
        end_date=beijing_today() + timedelta(days=9),
        instructions="2.勾选任务并填写有关信息",
        contact1_name="张少龙",
        contact1_phone="0351-3046505",
    )
    round_.items.set(round_.default_items())
    return SchoolUserFactory(
        school__province=shanxi,
        school__contact_name="本校联系人1",
        school__office_phone="0310-8888888",
        school__mobile="13000000001",
    )


def cell(page, code, column):
    return page.get_by_label(f"{code} {column}", exact=True)


def test_fill_save_submit_preview_withdraw(live_server, page, school):
    sign_in(page, live_server, school.username, PASSWORD)
    expect(page).to_have_url(re.compile(r"/school/commitments/$"))
    expect(page.get_by_role("heading", name="承接任务")).to_be_visible()
    expect(page.get_by_text("2.勾选任务并填写有关信息")).to_be_visible()

    # Half the form, then 保存: it keeps an incomplete form.
    cell(page, "1", "是否承接").check()
    cell(page, "1", "学校自筹").fill("1")
    page.get_by_role("button", name="保存").first.click()
    expect(page.get_by_text("承接任务已保存，尚未提交。")).to_be_visible()
    expect(cell(page, "1", "是否承接")).to_be_checked()
    expect(cell(page, "1", "学校自筹")).to_have_value("1")

    # 提交 with a row left incomplete: the field is marked, the draft kept.
    for code, quantity, amounts in ROWS:
        cell(page, code, "是否承接").check()
        if quantity:
            cell(page, code, "承接数量").fill(quantity)
        for source, amount in zip(SOURCES, amounts, strict=True):
            cell(page, code, source).fill(amount)
    cell(page, "3.3", "地市县投入").fill("")
    page.get_by_role("button", name="提交").first.click()
    expect(page.get_by_text("提交未成功")).to_be_visible()
    expect(cell(page, "3.3", "地市县投入")).to_have_attribute("aria-invalid", "true")
    expect(cell(page, "3.2", "学校自筹")).to_have_value("2")

    cell(page, "3.3", "地市县投入").fill("1")
    page.get_by_role("button", name="提交").first.click()

    expect(page.get_by_role("heading", name="本校任务情况预览")).to_be_visible()
    expect(page.get_by_text("状态：已提交")).to_be_visible()
    intended = page.get_by_role("row", name=re.compile("^意向承接"))
    expect(intended).to_contain_text("5")
    expect(intended).to_contain_text("57")
    expect(page.get_by_role("row", name=re.compile("^已通过"))).to_contain_text("0")
    expect(page.get_by_role("row", name=re.compile(r"^3\.1 "))).to_contain_text("待审核")

    declaration = Declaration.objects.get(school=school.school)
    assert declaration.status == DeclarationStatus.SUBMITTED
    assert set(declaration.commitments.values_list("review_status", flat=True)) == {
        ReviewStatus.PENDING
    }
    assert declaration.summary()["total"] == 57

    page.get_by_role("button", name="继续修改").click()
    expect(page.get_by_text("已撤回提交")).to_be_visible()
    expect(cell(page, "3.1", "承接数量")).to_have_value("1")
    declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.DRAFT


def test_totals_update_while_typing(live_server, browser, school):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    sign_in(page, live_server, school.username, PASSWORD)
    cell(page, "3.2", "是否承接").check()
    cell(page, "3.2", "学校自筹").fill("2.5")
    cell(page, "3.2", "地市县投入").fill("1.25")
    expect(page.locator("[data-sum=count]")).to_have_text("1")
    expect(page.locator("[data-sum=total]")).to_have_text("3.75")
    expect(page.locator("[data-sum=local_funds]")).to_have_text("1.25")
    expect(
        page.get_by_role("row", name=re.compile(r"^3\.2 ")).locator("[data-row-total]")
    ).to_have_text("3.75")
    cell(page, "3.2", "是否承接").uncheck()
    expect(page.locator("[data-sum=total]")).to_have_text("0")
    context.close()
