"""帮助: the browser walks the manual's steps as a school and as a province, and takes the
screenshots the help page shows (tizhi/help.py lists them) into static/help/, so they always
show the platform as it is. Then the help page is checked: every screenshot it names was taken
in this run and loads, and the page reads without signing in."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from schools.models import Province
from tasks.models import Declaration, Round
from tasks.transitions import beijing_today
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, ProvinceAdminFactory, SchoolUserFactory
from tests.tasks.conftest import item
from tests.tasks.helpers import full_row
from tizhi.help import SHOTS

pytestmark = pytest.mark.django_db(transaction=True)

FOLDER = Path(settings.BASE_DIR) / "static" / "help"


@pytest.fixture
def setup(reference_data):
    """山西's round is open, with contacts. 乙 submitted 7.1 and 3.2; 甲 is about to fill in."""
    shanxi = Province.objects.get(code="14")
    today = beijing_today()
    round_ = Round.objects.create(
        plan_id=1,
        province=shanxi,
        start_date=today - timedelta(days=3),
        end_date=today + timedelta(days=10),
        contact1_name="张少龙",
        contact1_phone="0351-3046505",
    )
    round_.items.set(round_.default_items())
    other = SchoolUserFactory(school__province=shanxi, school__name="乙职业学院")
    Declaration.for_school(other.school, round_).submit(
        by=other,
        rows={item(code).pk: full_row(item(code)) for code in ("7.1", "3.2")},
        contacts=None,
        version=0,
    )
    school = SchoolUserFactory(school__province=shanxi, school__name="甲职业技术学院")
    admin = ProvinceAdminFactory(province=shanxi, username="sx_reviewer")
    return school, admin


def shoot(tab, name: str, taken: set[str]) -> None:
    FOLDER.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(FOLDER / f"{name}.png"))
    taken.add(name)


def test_the_help_page_shows_this_platform_step_by_step(live_server, browser, setup):
    school, admin = setup
    taken: set[str] = set()
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    tab.on("dialog", lambda dialog: dialog.accept())

    # The school: sign in, fill in, save, submit, see the preview.
    tab.goto(live_server.url)
    tab.get_by_role("link", name="学校（或其他）").click()
    tab.get_by_label("用户名").fill(school.username)
    shoot(tab, "school-sign-in", taken)
    sign_in(tab, live_server, school.username, PASSWORD)
    tab.get_by_label("平台管理联系人").fill("王老师")
    tab.get_by_label("办公电话").fill("0351-1234567")
    tab.get_by_label("手机号").fill("13900000001")
    for code in ("7.1", "3.2"):
        tab.get_by_label(f"{code} 是否承接").check()
        values = (("承接数量", "2"), ("学校自筹", "10"), ("行业企业投入", "5"))
        for label, value in (*values, ("举办方投入", "0"), ("地市县投入", "3")):
            field = tab.get_by_label(f"{code} {label}", exact=True)
            if field.count():
                field.fill(value)
    tab.get_by_role("button", name="保存").first.click()
    expect(tab.get_by_text("承接任务已保存，尚未提交。")).to_be_visible()
    tab.evaluate("window.scrollTo(0, 0)")
    shoot(tab, "school-form", taken)
    tab.get_by_role("button", name="提交").first.click()
    expect(tab.get_by_text("已提交，等待省厅审核").first).to_be_visible()
    shoot(tab, "school-preview", taken)

    # The province: its queue, one school's review (it returns 3.2), and 7.1 across schools.
    province = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    province.set_default_timeout(10_000)
    desk = province.new_page()
    desk.on("dialog", lambda dialog: dialog.accept())
    sign_in(desk, live_server, admin.username, PASSWORD, entry="省级管理员")
    desk.get_by_role("link", name=re.compile("^待审核")).first.click()
    expect(desk.get_by_text("甲职业技术学院").first).to_be_visible()
    shoot(desk, "province-queue", taken)
    desk.goto(f"{live_server.url}/province/schools/{school.school.code}/")
    desk.get_by_label("3.2 修改意见").fill("预计投入经费偏高，请核实后重新填报")
    desk.get_by_role("button", name="3.2 退回修改").click()
    comment = desk.get_by_text("修改意见：预计投入经费偏高，请核实后重新填报", exact=True)
    expect(comment).to_be_visible()
    shoot(desk, "province-review", taken)
    desk.goto(f"{live_server.url}/province/by-item/?item=7.1")
    expect(desk.get_by_text("乙职业学院").first).to_be_visible()
    shoot(desk, "province-by-item", taken)

    # The school sees what to change, and whom to call.
    tab.get_by_role("link", name=re.compile("^需修改的任务")).first.click()
    expect(tab.get_by_text("预计投入经费偏高，请核实后重新填报").first).to_be_visible()
    shoot(tab, "school-returned", taken)
    tab.get_by_role("link", name="省级平台联系人").first.click()
    expect(tab.get_by_text("0351-3046505")).to_be_visible()
    shoot(tab, "school-contacts", taken)

    # Every screenshot the page shows was taken now; each loads; the page needs no sign-in.
    assert taken == {shot.name for shot in SHOTS}
    visitor = browser.new_context(locale="zh-CN").new_page()
    visitor.goto(live_server.url)
    visitor.get_by_role("link", name=re.compile("^帮助")).click()
    expect(visitor.get_by_role("heading", name="帮助", exact=True)).to_be_visible()
    images = visitor.locator("img[data-shot]")
    assert sorted(images.evaluate_all("els => els.map(e => e.dataset.shot)")) == sorted(taken)
    for index in range(images.count()):
        image = images.nth(index)
        image.scroll_into_view_if_needed()
        expect(image).to_be_visible()
        assert image.evaluate("img => img.complete && img.naturalWidth") == 1366
    expect(visitor.get_by_text("意向承接").first).to_be_visible()
    for ctx in (context, province, visitor.context):
        ctx.close()
