"""导出承接任务情况: the school's .xlsx opens right in Excel and WPS."""

import io
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook

from tasks.models import Declaration
from tests.tasks.helpers import full_fields, post_data

pytestmark = pytest.mark.django_db
URL = "/school/commitments/export/"


@pytest.fixture
def client(client, school_user, open_round):
    client.force_login(school_user)
    return client


def workbook(response):
    return load_workbook(io.BytesIO(response.content))


def find_row(ws, first):
    for row in ws.iter_rows():
        if row[0].value == first:
            return row
    raise AssertionError(f"no row starting with {first!r}")


@pytest.fixture
def submitted(client, school_user, open_round, province_admin):
    declaration = Declaration.for_school(school_user.school, open_round)
    client.post(
        "/school/commitments/",
        post_data(
            declaration,
            {
                "1": full_fields("1", school_funds="1.5"),
                "3.2": full_fields("3.2", quantity="3"),
            },
            action="submit",
        ),
    )
    declaration = Declaration.objects.get(school=school_user.school)
    declaration.commitments.get(item__code="1").approve(by=province_admin)
    declaration.commitments.get(item__code="3.2").return_for_changes(
        by=province_admin, comment="=请核实数量"
    )
    return declaration


def test_export_is_an_xlsx_with_a_readable_file_name(client, school_user, submitted):
    response = client.get(URL)
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    disposition = response["Content-Disposition"]
    code = school_user.school.code
    assert f'filename="{code}_' in disposition
    name = unquote(disposition.split("filename*=UTF-8''")[1])
    assert name.startswith(f"{code}_{school_user.school.name}_承接任务情况_")
    assert name.endswith(".xlsx")


def test_export_holds_contacts_summaries_rows_and_reviews(client, school_user, submitted):
    ws = workbook(client.get(URL)).active
    assert ws.title == "承接任务情况"
    assert ws["A1"].value == f"{school_user.school.name}承接任务情况"
    assert ws["A2"].value.startswith("口径：本单位勾选承接的任务（项目）及省厅审核情况")
    assert "导出日期：" in ws["A2"].value
    header = find_row(ws, "序号")[0].row
    assert ws.print_title_rows == f"${header}:${header}"
    assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.oddHeader.center.text == ws["A1"].value  # the title on every page after the first
    assert find_row(ws, "平台管理联系人")[1].value == "张老师"
    assert find_row(ws, "状态")[1].value == "已提交"

    intended = find_row(ws, "意向承接")
    # 1: 1.5+2+3+4 = 10.5; 3.2: 1+2+3+4 = 10.
    assert [c.value for c in intended[:7]] == ["意向承接", 2, 20.5, 2.5, 4, 6, 8]
    approved = find_row(ws, "已通过")
    assert [c.value for c in approved[:3]] == ["已通过", 1, 10.5]

    header = find_row(ws, "序号")
    assert [c.value for c in header] == [
        "序号",
        "工作任务",
        "是否承接",
        "承接数量",
        "汇总（万元）",
        "学校自筹（万元）",
        "行业企业投入（万元）",
        "举办方投入（万元）",
        "地市县投入（万元）",
        "省厅审核情况",
        "修改意见",
    ]
    first = find_row(ws, "1")
    assert [c.value for c in first] == [
        "1",
        first[1].value,
        "是",
        "-",
        10.5,
        1.5,
        2,
        3,
        4,
        "已通过",
        None,
    ]
    second = find_row(ws, "3.2")
    assert second[3].value == 3 and second[9].value == "退回修改"
    # A comment that looks like a formula stays text.
    assert second[10].value == "=请核实数量" and second[10].data_type == "s"
    # Numbers are numbers, with a number format.
    assert isinstance(first[4].value, (int, float)) and first[4].number_format == "#,##0.00"
    assert second[3].number_format == "0"
    # The header stays in view while scrolling.
    assert ws.freeze_panes == f"A{header[0].row + 1}"


def test_formula_like_contact_name_is_text(client, school_user, submitted):
    school = school_user.school
    school.contact_name = '=HYPERLINK("http://x")'
    school.save()
    ws = workbook(client.get(URL)).active
    cell = find_row(ws, "平台管理联系人")[1]
    assert cell.value == '=HYPERLINK("http://x")' and cell.data_type == "s"


def test_export_of_a_draft_and_of_nothing(client, school_user, open_round):
    ws = workbook(client.get(URL)).active
    assert find_row(ws, "状态")[1].value == "未填报"
    assert find_row(ws, "尚未勾选承接任务。")
    declaration = Declaration.for_school(school_user.school, open_round)
    client.post("/school/commitments/", post_data(declaration, {"2": {"undertaken": True}}))
    ws = workbook(client.get(URL)).active
    assert find_row(ws, "状态")[1].value == "填报中"
    assert find_row(ws, "2")[9].value == "未提交"


def test_export_with_the_fifth_source(client, school_user, open_round):
    open_round.uses_provincial_funds = True
    open_round.save()
    ws = workbook(client.get(URL)).active
    assert "省财政投入（万元）" in [c.value for c in find_row(ws, "序号")]


def test_only_the_school_exports_its_sheet(client, province_admin):
    client.force_login(province_admin)
    assert client.get(URL).status_code == 403


def test_write_table_keeps_formula_like_text_as_text(tmp_path):
    from decimal import Decimal

    from openpyxl import Workbook

    from tizhi.lib.xlsx import Heading, write_table

    workbook = Workbook(write_only=True)
    write_table(
        workbook,
        "表",
        Heading("表", "口径：测试", None),
        ["文字", "金额", "数量"],
        [10, 10, 10],
        iter([["=SUM(A1:A9)", Decimal("1.5"), 3], ["普通文字", Decimal("0"), 0]]),
    )
    workbook.save(tmp_path / "t.xlsx")
    ws = load_workbook(tmp_path / "t.xlsx").active
    first = ws[4]
    assert first[0].value == "=SUM(A1:A9)" and first[0].data_type == "s"
    assert first[1].value == 1.5 and first[1].number_format == "#,##0.00"
    assert first[2].value == 3 and ws["A5"].value == "普通文字"
