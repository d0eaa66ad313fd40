"""Issue 11, part 5 in a real browser: nothing typed is lost. Uploading evidence on 年度绩效 saves
what is typed first; a malformed value stops the upload and stays on screen; a comment typed in
one row of the review page survives another row's button; and, with JavaScript, leaving a page
or sending another form with unsaved input asks first."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tasks.choices import ReviewStatus
from tasks.models import Commitment, EvidenceFile, ReportingYear, ReportRow
from tasks.transitions import beijing_today
from tests.e2e.conftest import sign_in
from tests.factories import PASSWORD, ProvinceAdminFactory
from tests.review.helpers import open_round_for, school_in_state
from tests.samples import image

pytestmark = pytest.mark.django_db(transaction=True)
SOURCES = ("学校自筹", "行业企业投入", "举办方投入", "地市县投入")
WARNING = "本页还有未保存的填写，继续将丢失这些内容。确定继续吗？"


@pytest.fixture
def reporting_school(reference_data):
    round_ = open_round_for("14")
    admin = ProvinceAdminFactory(province=round_.province)
    school = school_in_state(round_.province, round_, "approved", admin, name="山西填报测试学院")
    year = ReportingYear.objects.create(
        plan_id=1, year=2021, deadline=beijing_today() + timedelta(days=10)
    )
    return school, year


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "现场照片.png"
    path.write_bytes(image("PNG"))
    return path


def open_report(page, live_server, school):
    sign_in(page, live_server, school.account.username, PASSWORD)
    page.get_by_role("link", name="年度绩效").click()
    page.get_by_role("link", name="2021年度绩效").click()
    expect(page.get_by_role("heading", name="2021年度绩效填报")).to_be_visible()


def type_figures(page, code="3.2", narrative="已建成名班主任工作室一个"):
    page.get_by_label(f"{code} 进展").select_option("in_progress")
    for source, value in zip(SOURCES, ("1.5", "0", "0", "2"), strict=True):
        page.get_by_label(f"{code} {source}（本年实际）", exact=True).fill(value)
    page.get_by_label(f"{code} 本年完成数量").fill("1")
    page.get_by_label(f"{code} 情况说明").fill(narrative)


def test_evidence_upload_keeps_and_saves_what_was_typed(live_server, page, reporting_school, photo):
    school, _year = reporting_school
    open_report(page, live_server, school)
    type_figures(page)
    page.get_by_label("1 情况说明").fill("课题已立项")
    page.get_by_label("3.2 佐证材料").set_input_files(str(photo))
    page.get_by_role("button", name="3.2 上传佐证材料").click()

    expect(page.get_by_text("已保存填写的内容。已上传“现场照片.png”。")).to_be_visible()
    expect(page.get_by_role("link", name="现场照片.png")).to_be_visible()
    expect(page.get_by_label("3.2 情况说明")).to_have_value("已建成名班主任工作室一个")
    expect(page.get_by_label("3.2 学校自筹（本年实际）", exact=True)).to_have_value("1.5")
    expect(page.get_by_label("3.2 本年完成数量")).to_have_value("1")
    expect(page.get_by_label("3.2 进展")).to_have_value("in_progress")
    expect(page.get_by_label("1 情况说明")).to_have_value("课题已立项")

    saved = {
        r.commitment.item.code: r for r in ReportRow.objects.select_related("commitment__item")
    }
    assert saved["3.2"].narrative == "已建成名班主任工作室一个"
    assert (saved["3.2"].quantity, saved["3.2"].spent_school_funds) == (1, Decimal("1.5"))
    assert saved["1"].narrative == "课题已立项"
    assert EvidenceFile.objects.get().row == saved["3.2"]

    # 删除 is a button of the same form too: what is typed meanwhile is saved with it.
    page.get_by_label("3.2 情况说明").fill("照片换一张")
    page.get_by_role("button", name="删除 现场照片.png").click()
    expect(page.get_by_text("已删除佐证材料。")).to_be_visible()
    expect(page.get_by_label("3.2 情况说明")).to_have_value("照片换一张")
    assert not EvidenceFile.objects.exists()


def test_malformed_value_stops_the_upload_and_stays_on_screen(
    live_server, page, reporting_school, photo
):
    school, _year = reporting_school
    open_report(page, live_server, school)
    type_figures(page)
    page.get_by_label("3.2 地市县投入（本年实际）", exact=True).fill("两万")
    page.get_by_label("3.2 佐证材料").set_input_files(str(photo))
    page.get_by_role("button", name="3.2 上传佐证材料").click()

    expect(page.get_by_text("有填写错误，未保存，文件未上传。")).to_be_visible()
    field = page.get_by_label("3.2 地市县投入（本年实际）", exact=True)
    expect(field).to_have_value("两万")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("3.2 情况说明")).to_have_value("已建成名班主任工作室一个")
    assert not ReportRow.objects.exists() and not EvidenceFile.objects.exists()

    # Fixed, and the file chosen again: both go in.
    field.fill("2")
    page.get_by_label("3.2 佐证材料").set_input_files(str(photo))
    page.get_by_role("button", name="3.2 上传佐证材料").click()
    expect(page.get_by_text("已上传“现场照片.png”。")).to_be_visible()
    assert ReportRow.objects.get().spent_local_funds == 2


def test_review_comment_survives_another_rows_button(live_server, page, reference_data):
    round_ = open_round_for("14")
    admin = ProvinceAdminFactory(province=round_.province)
    school = school_in_state(round_.province, round_, "submitted", admin, name="山西审核测试学院")
    sign_in(page, live_server, admin.username, PASSWORD, entry="省级管理员")
    page.get_by_role("link", name="查看和审核 山西审核测试学院").click()

    page.get_by_label("3.2 修改意见").fill("工作室数量请按实际填写")
    page.get_by_label("退回原因").fill("学校来电，可能需要调整")
    page.get_by_role("button", name="1 通过").click()
    expect(page.get_by_text("任务（项目）1 已通过。")).to_be_visible()
    expect(page.get_by_label("3.2 修改意见")).to_have_value("工作室数量请按实际填写")
    expect(page.get_by_label("退回原因")).to_have_value("学校来电，可能需要调整")

    page.get_by_role("button", name="3.2 退回修改").click()
    expect(page.get_by_text("已将任务（项目）3.2退回修改")).to_be_visible()
    returned = Commitment.objects.get(declaration__school=school, item__code="3.2")
    assert (returned.review_status, returned.comment) == (
        ReviewStatus.RETURNED,
        "工作室数量请按实际填写",
    )
    expect(page.get_by_label("退回原因")).to_have_value("学校来电，可能需要调整")


# -- the unsaved-changes script ----------------------------------------------------------------


@pytest.fixture
def scripted(browser):
    context = browser.new_context(locale="zh-CN")
    context.set_default_timeout(10_000)
    tab = context.new_page()
    dialogs = []

    def answer(dialog):
        dialogs.append((dialog.type, dialog.message))
        if getattr(tab, "accept_dialogs", False):
            dialog.accept()
        else:
            dialog.dismiss()

    tab.on("dialog", answer)
    tab.dialogs = dialogs
    yield tab
    context.close()


def test_leaving_with_unsaved_input_warns(live_server, scripted, reporting_school):
    page = scripted
    school, _year = reporting_school
    open_report(page, live_server, school)
    here = page.url

    # Nothing typed: links leave without a question.
    page.get_by_role("link", name="年度绩效", exact=True).first.click()
    expect(page.get_by_role("heading", name="年度绩效")).to_be_visible()
    page.get_by_role("link", name="2021年度绩效").click()
    assert page.dialogs == []

    # Typed, then a link: the browser's leave-page dialog; dismissed, the page stays.
    page.get_by_label("3.2 情况说明").click()
    page.get_by_label("3.2 情况说明").fill("还没保存的说明")
    page.get_by_role("link", name="省级平台联系人").click()
    expect(page.get_by_label("3.2 情况说明")).to_have_value("还没保存的说明")
    assert [kind for kind, _message in page.dialogs] == ["beforeunload"]
    assert page.url == here

    # Another form (退出) while this one has changes: a confirm, in Chinese; dismissed, nothing
    # is sent.
    page.get_by_role("button", name="退出").click()
    assert page.dialogs[-1] == ("confirm", WARNING)
    expect(page.get_by_label("3.2 情况说明")).to_have_value("还没保存的说明")
    assert page.url == here

    # Sending the changed form itself asks nothing, and the saved page leaves freely.
    page.dialogs.clear()
    page.get_by_role("button", name="保存").first.click()
    expect(page.get_by_text("年度绩效已保存，尚未提交。")).to_be_visible()
    page.get_by_role("link", name="省级平台联系人").click()
    expect(page.get_by_role("heading", name="省级平台联系人")).to_be_visible()
    assert page.dialogs == []
    assert ReportRow.objects.get(commitment__item__code="3.2").narrative == "还没保存的说明"


def test_confirmed_other_form_goes_ahead(live_server, scripted, reporting_school):
    page = scripted
    school, _year = reporting_school
    open_report(page, live_server, school)
    page.get_by_label("3.2 情况说明").click()
    page.get_by_label("3.2 情况说明").fill("决定不要了")
    page.accept_dialogs = True
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("link", name="学校（或其他）")).to_be_visible()
    # One question only: no leave-page dialog after the confirm.
    assert [kind for kind, _message in page.dialogs] == ["confirm"]
    assert not ReportRow.objects.exists()


def test_refused_page_counts_as_unsaved(live_server, scripted, reporting_school):
    """A page shown again with input the server did not save warns before it is left, though
    nothing was typed since it loaded."""
    page = scripted
    school, _year = reporting_school
    open_report(page, live_server, school)
    page.get_by_label("3.2 本年完成数量").fill("-1")
    page.get_by_role("button", name="保存").first.click()
    expect(page.get_by_text("有填写错误，未保存。")).to_be_visible()
    page.get_by_role("link", name="省级平台联系人").click()
    assert [kind for kind, _message in page.dialogs] == ["beforeunload"]
    expect(page.get_by_label("3.2 本年完成数量")).to_have_value("-1")


def test_search_forms_and_pages_without_input_do_not_warn(live_server, scripted, reference_data):
    page = scripted
    round_ = open_round_for("14")
    admin = ProvinceAdminFactory(province=round_.province)
    sign_in(page, live_server, admin.username, PASSWORD, entry="省级管理员")
    expect(page.get_by_role("heading", name=re.compile("本省进度"))).to_be_visible()
    page.get_by_label("学校标识码或名称").fill("职业")
    page.get_by_role("link", name="学校账号").click()
    expect(page.get_by_role("heading", name=re.compile("学校账号"))).to_be_visible()
    # The list has only its search box to type into: a search never asks.
    page.get_by_label("学校标识码或名称").fill("职业")
    page.get_by_role("button", name="查询").click()
    expect(page).to_have_url(re.compile(r"\?q="))
    assert page.dialogs == []
    # 添加学校 is a page of its own, so no other form's button can drop what is typed there;
    # leaving it with typed input asks.
    page.get_by_role("link", name="添加学校").click()
    page.get_by_label("学校名称").fill("新学校")
    page.get_by_role("link", name="返回学校账号").click()
    assert [kind for kind, _message in page.dialogs] == ["beforeunload"]
    expect(page.get_by_label("学校名称")).to_have_value("新学校")
