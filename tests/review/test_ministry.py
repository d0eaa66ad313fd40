"""全国概况 and the two published tables, checked number by number against data built for them,
and the same numbers in the .xlsx files."""

import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from schools.choices import SchoolKind
from schools.models import Province
from tasks.models import Declaration, Round
from tests.factories import ProvinceAdminFactory
from tests.html_checks import check_page
from tests.review.helpers import open_round_for, school_in_state
from tests.tasks.conftest import item
from tests.tasks.helpers import full_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client, ministry_user):
    client.force_login(ministry_user)
    return client


def by_code(rows):
    return {r["province"].code: r for r in rows}


def test_overview_per_province(client, nation):
    response = client.get("/ministry/")
    rows = by_code(response.context["rows"])
    assert len(rows) == 32
    sx, hn, bj = rows["14"], rows["41"], rows["11"]
    assert (sx["units"], sx["submitted"], sx["i_count"], sx["a_count"]) == (4, 2, 4, 2)
    assert (sx["i_total"], sx["a_total"]) == (40, 20)
    assert [
        sx[f"i_{n}"]
        for n in (
            "school_funds",
            "industry_funds",
            "sponsor_funds",
            "local_funds",
            "provincial_funds",
        )
    ] == [4, 8, 12, 16, 0]
    assert (sx["o_count"], sx["o_total"], sx["o_provincial_funds"]) == (1, 15, 5)
    assert (hn["units"], hn["submitted"], hn["i_count"], hn["a_count"]) == (2, 2, 4, 2)
    assert (hn["i_total"], hn["a_total"], hn["o_count"]) == (40, 20, 0)
    assert (bj["units"], bj["submitted"], bj["i_count"], bj["i_total"]) == (1, 0, 0, 0)
    totals = response.context["totals"]
    assert (totals["units"], totals["submitted"], totals["i_count"], totals["a_count"]) == (
        7,
        4,
        8,
        4,
    )
    assert (totals["i_total"], totals["a_total"], totals["o_total"]) == (80, 40, 15)


def test_overview_by_source_includes_the_provinces_own(client, nation):
    response = client.get("/ministry/")
    assert response.context["sources"] == [
        ("学校自筹", 8 + 1, 4 + 1),
        ("行业企业投入", 16 + 2, 8 + 2),
        ("举办方投入", 24 + 3, 12 + 3),
        ("地市县投入", 32 + 4, 16 + 4),
        ("省财政投入", 5, 5),
    ]
    assert response.context["source_totals"] == (95, 55)


def test_overview_per_item(client, nation):
    items = {r["item"].code: r for r in client.get("/ministry/").context["items"]}
    assert len(items) == 58
    one, three_two, five = items["1"], items["3.2"], items["5"]
    assert (one["i_units"], one["i_total"], one["a_units"], one["a_total"]) == (4, 40, 3, 30)
    assert (three_two["i_units"], three_two["i_quantity"], three_two["i_total"]) == (4, 8, 40)
    assert (three_two["a_units"], three_two["a_quantity"], three_two["a_total"]) == (1, 2, 10)
    assert (five["i_units"], five["i_quantity"], five["i_total"], five["a_total"]) == (1, 2, 15, 15)
    assert items["7.1"]["i_units"] == 0


def test_overview_filters(client, nation):
    rows = client.get("/ministry/", {"province": "41"}).context["rows"]
    assert [r["province"].code for r in rows] == ["41"]
    response = client.get("/ministry/", {"kind": SchoolKind.JUNIOR_COLLEGE})
    rows = by_code(response.context["rows"])
    assert (rows["14"]["units"], rows["14"]["i_count"], rows["14"]["o_count"]) == (1, 2, 0)
    assert (rows["41"]["units"], rows["41"]["a_count"]) == (1, 1)
    assert {r["item"].code: r["i_units"] for r in response.context["items"]}["5"] == 0
    rows = by_code(client.get("/ministry/", {"status": "filling"}).context["rows"])
    assert (rows["14"]["units"], rows["14"]["submitted"], rows["14"]["i_count"]) == (1, 0, 0)
    rows = by_code(client.get("/ministry/", {"status": "not_started"}).context["rows"])
    assert (rows["14"]["units"], rows["11"]["units"], rows["41"]["units"]) == (1, 1, 0)
    assert client.get("/ministry/", {"kind": "bogus", "province": "99"}).status_code == 200


def test_overview_of_another_plan_is_empty(client, nation):
    from tasks.models import Plan

    Plan.objects.create(
        code="reform-2023", name="现代职业教育体系建设改革重点任务", start_year=2023, end_year=2025
    )
    response = client.get("/ministry/", {"plan": "reform-2023"})
    assert response.context["totals"]["i_count"] == 0
    assert response.context["totals"]["units"] == 7


def test_overview_page_has_charts_beside_tables(client, nation, ministry_user):
    html = client.get("/ministry/").content.decode()
    assert (
        'data-chart="funding-by-province"' in html and 'data-chart="progress-by-province"' in html
    )
    assert 'data-chart="funding-by-source"' in html
    # Every script is served by the portal itself: nothing from a CDN. (Matching "cdn" in the
    # whole page failed when the random CSRF token happened to contain it.)
    scripts = re.findall(r'<script[^>]*\ssrc="([^"]+)"', html)
    assert "/static/vendor/chartjs/chart.umd.min.js" in scripts
    assert all(src.startswith("/static/") for src in scripts), scripts
    assert 'id="chart-data"' in html
    check_page(html, names=(ministry_user.username,))


def _count_queries(client, path):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


def test_overview_queries_same_for_3_and_32_provinces(client, reference_data):
    for code in ("14", "41", "11"):
        round_ = open_round_for(code)
        admin = ProvinceAdminFactory(province=round_.province)
        school_in_state(round_.province, round_, "approved", admin)
    small = _count_queries(client, "/ministry/")
    for province in Province.objects.exclude(code__in=["14", "41", "11"]):
        round_ = open_round_for(province.code)
        admin = ProvinceAdminFactory(province=province)
        school_in_state(province, round_, "returned", admin)
        Declaration.for_province(round_).submit(
            by=admin,
            rows={item("12").pk: full_row(item("12"), provincial_funds=1)},
            contacts=None,
            version=0,
        )
    assert Round.objects.count() == 32
    large = _count_queries(client, "/ministry/")
    assert small == large
    assert _count_queries(client, "/ministry/?kind=secondary&status=approved") <= large


# -- the two published tables -------------------------------------------------------------


def test_provinces_table_approved(client, nation):
    response = client.get("/ministry/tables/provinces/")
    rows = by_code(response.context["rows"])
    sx, hn = rows["14"], rows["41"]
    # 山西: the approved school (2 rows, 20) and the province's own item 5 (15).
    assert (sx["s_units"], sx["s_count"], sx["s_total"]) == (2, 3, 35)
    assert [
        sx[f"s_{n}"]
        for n in (
            "school_funds",
            "industry_funds",
            "sponsor_funds",
            "local_funds",
            "provincial_funds",
        )
    ] == [3, 6, 9, 12, 5]
    assert (hn["s_units"], hn["s_count"], hn["s_total"]) == (2, 2, 20)
    assert rows["11"]["s_count"] == 0
    assert response.context["total"]["s_count"] == 5
    assert response.context["total"]["s_total"] == 55


def test_provinces_table_intended(client, nation):
    rows = by_code(client.get("/ministry/tables/provinces/", {"basis": "intended"}).context["rows"])
    assert (rows["14"]["s_units"], rows["14"]["s_count"], rows["14"]["s_total"]) == (3, 5, 55)
    assert (rows["41"]["s_units"], rows["41"]["s_count"], rows["41"]["s_total"]) == (2, 4, 40)


def test_items_table(client, nation):
    rows = {r["item"].code: r for r in client.get("/ministry/tables/items/").context["rows"]}
    assert (rows["1"]["provinces"], rows["1"]["units"], rows["1"]["quantity"]) == (
        ["山西省", "河南省"],
        3,
        None,
    )
    assert (rows["3.2"]["provinces"], rows["3.2"]["units"], rows["3.2"]["quantity"]) == (
        ["山西省"],
        1,
        2,
    )
    assert (rows["5"]["provinces"], rows["5"]["quantity"]) == (["山西省"], 2)
    assert rows["7.1"]["province_count"] == 0
    intended = {
        r["item"].code: r
        for r in client.get("/ministry/tables/items/", {"basis": "intended"}).context["rows"]
    }
    assert (
        intended["3.2"]["provinces"],
        intended["3.2"]["units"],
        intended["3.2"]["quantity"],
    ) == (["山西省", "河南省"], 4, 8)


def xlsx(response):
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return load_workbook(io.BytesIO(response.content)).active


def test_provinces_table_xlsx_has_the_same_numbers(client, nation):
    ws = xlsx(client.get("/ministry/tables/provinces/", {"format": "xlsx"}))
    assert ws["A1"].value == "分省承接任务（项目）数量汇总表"
    assert "口径：已通过" in ws["A2"].value
    assert [c.value for c in ws[3]][:5] == [
        "序号",
        "省份",
        "承接单位数",
        "承接任务（项目）数",
        "预计投入经费合计（万元）",
    ]
    rows = {r[1]: r for r in ws.iter_rows(min_row=4, values_only=True)}
    assert rows["山西省"][2:10] == (2, 3, 35, 3, 6, 9, 12, 5)
    assert rows["河南省"][2:5] == (2, 2, 20)
    assert rows["合计"][2:5] == (4, 5, 55)
    assert ws.freeze_panes == "A4" and ws.page_setup.orientation == "landscape"


def test_items_table_xlsx_has_the_same_numbers(client, nation):
    ws = xlsx(client.get("/ministry/tables/items/", {"format": "xlsx", "basis": "intended"}))
    assert ws["A1"].value == "分任务（项目）承接省份一览表"
    rows = {r[0]: r for r in ws.iter_rows(min_row=4, values_only=True)}
    assert rows["1"][2:] == (2, "山西省、河南省", 4, "-")
    assert rows["3.2"][2:] == (2, "山西省、河南省", 4, 8)
    assert rows["5"][2:] == (1, "山西省", 1, 2)


# -- read-only province pages ---------------------------------------------------------------


def test_ministry_opens_a_province_read_only(client, nation):
    html = client.get("/ministry/provinces/14/").content.decode()
    assert "只读查看（教育部）" in html and nation["sx_approved"].name in html
    assert "修改本省申报要求" not in html
    school = nation["sx_submitted"]
    html = client.get(f"/ministry/provinces/14/schools/{school.code}/").content.decode()
    assert "只读查看（教育部）" in html and "操作记录" in html
    assert 'aria-label="1 通过"' not in html and "全部通过" not in html
    html = client.get("/ministry/provinces/14/own/").content.decode()
    assert "只读查看" in html and "继续修改" not in html
    response = client.get("/ministry/provinces/14/export/")
    assert response.status_code == 200
    assert client.get("/ministry/provinces/99/").status_code == 404
    assert client.get(f"/ministry/provinces/41/schools/{school.code}/").status_code == 404
    assert client.get("/ministry/provinces/11/own/").status_code == 404


def test_ministry_opens_a_province_own_page_before_the_province_saved_it(client, nation):
    Declaration.objects.filter(round__province_id="41", school__isnull=True).delete()
    response = client.get("/ministry/provinces/41/own/")
    assert response.status_code == 200
    assert "只读查看" in response.content.decode()


def test_total_row_matches_the_sum_of_rows(client, nation):
    response = client.get("/ministry/")
    rows, totals = response.context["rows"], response.context["totals"]
    for key in ("units", "i_count", "a_total", "o_total"):
        assert totals[key] == sum(r[key] for r in rows)
    assert isinstance(totals["i_total"], Decimal)
