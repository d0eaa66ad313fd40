"""The province's workbook: by school, by item, every commitment row."""

import io
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook

from tasks.models import Declaration
from tests.review.helpers import school_in_state
from tests.tasks.conftest import item
from tests.tasks.helpers import full_row

pytestmark = pytest.mark.django_db
URL = "/province/export/"


@pytest.fixture
def data(shanxi, open_round, province_admin):
    schools = {
        state: school_in_state(shanxi, open_round, state, province_admin, name=f"{label}学院")
        for state, label in [
            ("approved", "已通过"),
            ("returned", "需修改"),
            ("filling", "填报中"),
            ("not_started", "未填报"),
        ]
    }
    own = Declaration.for_province(open_round)
    own.submit(
        by=province_admin,
        rows={item("5").pk: full_row(item("5"), provincial_funds=50)},
        contacts=None,
        version=0,
    )
    return schools


@pytest.fixture
def workbook(client, province_admin, data):
    client.force_login(province_admin)
    response = client.get(URL)
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert 'filename="province_14_' in disposition
    assert unquote(disposition.split("filename*=UTF-8''")[1]).startswith("山西省_承接任务汇总_")
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def rows(ws):
    return [[c for c in r] for r in ws.iter_rows(values_only=True)]


def test_three_sheets_with_heading_and_frozen_headers(workbook):
    assert workbook.sheetnames == ["按学校汇总", "按任务汇总", "承接明细"]
    titles = ["山西省承接任务汇总（", "山西省承接任务汇总（", "山西省承接明细（"]
    for ws, title in zip(workbook.worksheets, titles, strict=True):
        assert ws["A1"].value.startswith(title)
        assert ws["A2"].value.startswith("口径：") and "导出日期：" in ws["A2"].value
        assert ws.freeze_panes == "A4" and ws.print_title_rows == "$1:$3"
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
        assert ws.oddFooter.center.text == "第 &P 页，共 &N 页"
    # The 口径 is the province home page's.
    assert workbook["按学校汇总"]["A2"].value.startswith(
        "口径：意向承接为已提交的学校及省级承接的承接任务；已通过为省厅审核通过的学校任务"
    )


def test_by_school(workbook, data):
    table = rows(workbook["按学校汇总"])[2:]
    header, body = table[0], table[1:]
    assert header[:8] == [
        "学校标识码",
        "单位名称",
        "学校类型",
        "所在地市",
        "填报状态",
        "提交时间",
        "意向承接任务数",
        "意向承接汇总（万元）",
    ]
    by_code = {r[0]: r for r in body}
    approved = by_code[data["approved"].code]
    assert approved[4] == "已通过" and approved[6:8] == [2, 20]
    assert approved[8:13] == [2, 4, 6, 8, 0]
    assert approved[13:] == [2, 20]
    returned = by_code[data["returned"].code]
    assert returned[4] == "需修改" and returned[13:] == [1, 10]
    assert by_code[data["filling"].code][4:8] == ["填报中", None, 0, 0]
    assert by_code[data["not_started"].code][4] == "未填报"
    own, total = body[-2], body[-1]
    assert own[1] == "山西省（省级承接）" and own[4] == "已提交" and own[7] == 60
    # Nobody reviews the province's own items: they count as 已通过 once submitted, as in
    # the ministry's tables.
    assert own[13:] == own[6:8]
    # 合计 adds every school and the province's own line, column by column.
    assert total[:2] == [None, "合计"]
    for column in range(6, len(header)):
        assert total[column] == sum(r[column] or 0 for r in body[:-1]), header[column]


def test_by_item(workbook):
    table = rows(workbook["按任务汇总"])
    assert table[2][:2] == ["序号", "工作任务"]
    by_code = {r[0]: r for r in table[3:]}
    assert len(by_code) == 44 + 14
    one = by_code["1"]
    assert one[2] == "学校承接" and one[3:6] == [2, "-", 20]
    assert one[-3:] == [2, "-", 20]
    three_two = by_code["3.2"]
    assert three_two[3:6] == [2, 4, 20] and three_two[-3:] == [1, 2, 10]
    five = by_code["5"]
    assert five[2] == "省级承接" and five[3] == 1 and five[10] == 50
    assert by_code["7.1"][3] == 0


def test_detail(workbook, data):
    table = rows(workbook["承接明细"])[2:]
    header, body = table[0], table[1:]
    assert header[-3:] == ["省厅审核情况", "修改意见", "审核时间"]
    assert len(body) == 2 + 2 + 1  # approved and returned schools, and the province's item 5
    assert header[:3] == ["省份", "学校标识码", "单位名称"]
    returned = next(r for r in body if r[1] == data["returned"].code and r[6] == "3.2")
    assert returned[0] == "山西省" and returned[5] == "需修改"
    assert returned[-3] == "退回修改" and returned[-2] == "请核实" and returned[-1]
    own = next(r for r in body if r[6] == "5")
    assert own[2] == "山西省（省级承接）" and own[-3] == "不需审核"
    assert isinstance(own[9], (int, float)) and own[14] == 50


def test_export_needs_a_round(client, province_admin, shanxi):
    client.force_login(province_admin)
    assert "本省尚未开放本行动计划的申报" in client.get(URL).content.decode()


def test_export_queries_do_not_depend_on_the_provinces_own_declaration(
    client, province_admin, shanxi, open_round
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    school_in_state(shanxi, open_round, "approved", province_admin)
    client.force_login(province_admin)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            b"".join(client.get(URL).streaming_content)
        return len(ctx.captured_queries)

    without = count()
    Declaration.for_province(open_round).submit(
        by=province_admin,
        rows={item("5").pk: full_row(item("5"), provincial_funds=1)},
        contacts=None,
        version=0,
    )
    assert count() == without
