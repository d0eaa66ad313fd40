"""Issue 14: long tables that stay readable, phones, print. The school's 承接任务 keeps its column
headers in view and its unticked rows out of the tab order, the ministry's wide tables scroll
inside a focusable region, a phone gets a folding menu and one card per row, and the preview
prints on A4 with a signature block and nothing to click."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from playwright.sync_api import expect

from schools.models import Province
from tasks.choices import DeclarationStatus
from tasks.models import Declaration, Round
from tasks.transitions import beijing_today
from tests.e2e.conftest import sign_in_by_cookie
from tests.factories import MinistryUserFactory, SchoolUserFactory
from tests.tasks.helpers import full_fields, post_data

pytestmark = pytest.mark.django_db(transaction=True)

FORM = "/school/commitments/"
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def school(reference_data):
    shanxi = Province.objects.get(code="14")
    round_ = Round.objects.create(
        plan_id=1,
        province=shanxi,
        start_date=beijing_today() - timedelta(days=1),
        end_date=beijing_today() + timedelta(days=9),
        instructions="勾选任务并填写有关信息",
        contact1_name="张少龙",
        contact1_phone="0351-3046505",
    )
    round_.items.set(round_.default_items())
    return SchoolUserFactory(
        school__province=shanxi,
        school__name="山西测试职业技术学院",
        school__contact_name="本校联系人1",
        school__office_phone="0310-8888888",
        school__mobile="13000000001",
    )


def submitted(school_user, amounts: dict[str, str] | None = None) -> Declaration:
    """The school's declaration, submitted through the form as its browser would post it."""
    declaration = Declaration.for_school(
        school_user.school, school_user.school.province.rounds.get()
    )
    client = Client()
    client.force_login(school_user)
    rows = {code: full_fields(code, **(amounts or {})) for code in ("1", "3.2")}
    response = client.post(FORM, post_data(declaration, rows, action="submit"))
    assert response.status_code in (200, 302)
    declaration = Declaration.objects.get(school=school_user.school)
    assert declaration.status == DeclarationStatus.SUBMITTED
    return declaration


def focused_label(page) -> str:
    return page.evaluate(
        "() => { const e = document.activeElement;"
        " return e.getAttribute('aria-label') || e.textContent.trim(); }"
    )


def tab_until(page, wanted: str, limit: int = 400) -> None:
    """Press Tab until the focused element is named `wanted`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused_label(page) == wanted:
            return
    raise AssertionError(f"{wanted} not reached by Tab")


def test_form_header_stays_in_view_after_scrolling(live_server, browser, school):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    sign_in_by_cookie(context, live_server, school)
    page = context.new_page()
    page.goto(live_server.url + FORM)
    header = page.locator("[data-commitment-table] thead th", has_text="工作任务")
    start = header.bounding_box()
    assert start is not None and start["y"] > 100
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_function("window.scrollY > 1500")
    box = header.bounding_box()
    assert box is not None and abs(box["y"]) <= 2
    expect(header).to_be_visible()
    # The page itself never scrolls sideways at this width.
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    context.close()


def test_ministry_overview_last_columns_reachable(live_server, browser, school):
    submitted(school, {"school_funds": "4723742.32"})
    ministry = MinistryUserFactory()
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    sign_in_by_cookie(context, live_server, ministry)
    page = context.new_page()
    page.goto(live_server.url + "/ministry/")
    # Amounts are grouped in thousands.
    # Two rows of 4,723,742.32 from 学校自筹.
    expect(page.get_by_text("9,447,484.64").first).to_be_visible()
    region = page.get_by_role("region", name="分省情况表（可滚动）")
    last = region.locator("thead th").last
    region_box = region.bounding_box()
    assert region_box is not None
    fits = page.evaluate("e => e.scrollWidth <= e.clientWidth", region.element_handle())
    if not fits:
        assert region.get_attribute("tabindex") == "0"
        region.focus()
        for _ in range(60):
            page.keyboard.press("ArrowRight")
        assert region.evaluate("e => e.scrollLeft") > 0
        # The row's name stays at the left while the figures scroll.
        name = region.locator("tbody th[scope=row]").first
        name_box = name.bounding_box()
        assert name_box is not None and abs(name_box["x"] - region_box["x"]) <= 2
    last_box = last.bounding_box()
    assert last_box is not None
    assert last_box["x"] + last_box["width"] <= region_box["x"] + region_box["width"] + 1
    expect(region.locator("thead th", has_text="省财政投入")).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    context.close()


def test_tab_skips_unticked_rows_only_with_javascript(request, live_server, page, school):
    sign_in_by_cookie(page.context, live_server, school)
    page.goto(live_server.url + FORM)
    page.get_by_label("1 是否承接", exact=True).check()
    page.get_by_label("1 地市县投入", exact=True).focus()
    page.keyboard.press("Tab")
    assert focused_label(page) == "2 是否承接"
    page.keyboard.press("Tab")
    with_js = request.node.callspec.params["page"]
    if with_js:
        # Row 2 is unticked: its inputs are skipped, the next row's box comes next.
        assert focused_label(page) == "3.1 是否承接"
        # Ticking row 2 puts its inputs back.
        page.get_by_label("2 是否承接", exact=True).check()
        page.get_by_label("1 地市县投入", exact=True).focus()
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        assert focused_label(page) == "2 学校自筹"
    else:
        # Without JavaScript every input stays reachable, as before.
        assert focused_label(page) == "2 学校自筹"


def test_keyboard_only_fill_save_submit(live_server, page, school):
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in_by_cookie(page.context, live_server, school)
    page.goto(live_server.url + FORM)
    tab_until(page, "1 是否承接")
    page.keyboard.press("Space")
    for value in ("1", "2", "3", "4"):
        page.keyboard.press("Tab")
        page.keyboard.type(value)
    tab_until(page, "保存")
    page.keyboard.press("Enter")
    expect(page.get_by_label("1 学校自筹", exact=True)).to_have_value("1")
    expect(page.get_by_label("1 是否承接", exact=True)).to_be_checked()
    tab_until(page, "提交")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="本校任务情况预览")).to_be_visible()
    declaration = Declaration.objects.get(school=school.school)
    assert declaration.status == DeclarationStatus.SUBMITTED
    row = declaration.commitments.get(item__code="1")
    assert [row.school_funds, row.industry_funds, row.sponsor_funds, row.local_funds] == [
        1,
        2,
        3,
        4,
    ]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_phone_menu_header_and_row_cards(live_server, browser, school, javascript):
    context = browser.new_context(
        viewport=PHONE, locale="zh-CN", java_script_enabled=javascript, has_touch=True
    )
    sign_in_by_cookie(context, live_server, school)
    page = context.new_page()
    page.goto(live_server.url + FORM)

    def no_sideways_scroll() -> None:
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    no_sideways_scroll()
    # The menu is folded, and opens.
    menu = page.locator("details.nav-menu")
    expect(menu.get_by_role("link", name="省级平台联系人")).to_be_hidden()
    menu.locator("summary", has_text="菜单").click()
    expect(menu.get_by_role("link", name="省级平台联系人")).to_be_visible()
    menu.locator("summary").click()
    expect(menu.get_by_role("link", name="省级平台联系人")).to_be_hidden()
    # 退出 on one line.
    logout = page.get_by_role("button", name="退出")
    box = logout.bounding_box()
    assert box is not None and box["height"] < 40 and box["width"] > box["height"]
    # One card per row: the task text on its own, wide enough to read.
    text = page.locator("[data-commitment-table] tr[data-row] .task-text").first
    text_box = text.bounding_box()
    assert text_box is not None and text_box["width"] > 200
    page.get_by_label("1 是否承接", exact=True).check()
    for source, value in zip(
        ["学校自筹", "行业企业投入", "举办方投入", "地市县投入"], "1234", strict=True
    ):
        field = page.get_by_label(f"1 {source}", exact=True)
        field_box = field.bounding_box()
        assert field_box is not None and field_box["width"] > 80
        field.fill(value)
    no_sideways_scroll()
    page.get_by_role("button", name="保存").first.click()
    expect(page.get_by_label("1 地市县投入", exact=True)).to_have_value("4")
    page.get_by_role("button", name="提交").first.click()
    expect(page.get_by_role("heading", name="本校任务情况预览")).to_be_visible()
    no_sideways_scroll()
    context.close()


def test_preview_prints_on_a4_without_menu_or_buttons(live_server, browser, school, tmp_path):
    submitted(school)
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    sign_in_by_cookie(context, live_server, school)
    page = context.new_page()
    page.goto(live_server.url + FORM)
    expect(page.get_by_role("heading", name="本校任务情况预览")).to_be_visible()
    signature = page.locator("[data-signature-block]")
    expect(signature).to_be_hidden()
    page.emulate_media(media="print")
    page.screenshot(path=str(tmp_path / "preview-print.png"), full_page=True)
    assert (tmp_path / "preview-print.png").stat().st_size > 0
    expect(page.locator("nav[aria-label=主导航]").first).to_be_hidden()
    expect(page.locator(".sidebar")).to_be_hidden()
    expect(page.locator("details.nav-menu")).to_be_hidden()
    expect(page.locator(".site-header")).to_be_hidden()
    for control in page.locator("button, a.btn").all():
        expect(control).to_be_hidden()
    expect(signature).to_be_visible()
    expect(signature).to_contain_text("单位盖章")
    expect(signature).to_contain_text("负责人签字")
    header = page.locator(".print-header")
    expect(header).to_be_visible()
    expect(header).to_contain_text("山西测试职业技术学院")
    expect(header).to_contain_text(beijing_today().strftime("%Y-%m-%d"))
    expect(page.get_by_role("heading", name="本校任务情况预览")).to_be_visible()

    pdf = page.pdf(prefer_css_page_size=True)
    (tmp_path / "preview.pdf").write_bytes(pdf)
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert boxes, "no page size in the PDF"
    for width, height in boxes:
        # A4 is 595.3 x 841.9 points.
        assert abs(float(width) - 595.3) < 2 and abs(float(height) - 841.9) < 2
    # The document's title, as Chromium writes it to the PDF's Info (UTF-16BE).
    title = "本校任务情况预览".encode("utf-16-be").hex().upper().encode()
    assert title in pdf.upper()
    context.close()


def test_published_table_prints_without_filters(live_server, browser, school):
    submitted(school)
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    sign_in_by_cookie(context, live_server, MinistryUserFactory())
    page = context.new_page()
    page.goto(live_server.url + "/ministry/tables/provinces/")
    filters = page.get_by_role("search")
    expect(filters).to_be_visible()
    page.emulate_media(media="print")
    expect(filters).to_be_hidden()
    expect(page.locator(".sidebar")).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    for control in page.locator("button, a.btn").all():
        expect(control).to_be_hidden()
    region = page.locator(".table-scroll").first
    assert region.evaluate("e => getComputedStyle(e).overflow") == "visible"
    context.close()
