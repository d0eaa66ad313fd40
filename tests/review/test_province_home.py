"""本省进度: counts by status and kind, funding totals, the school list."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from schools.choices import SchoolKind
from schools.models import School
from tasks.choices import SchoolStatus
from tests.factories import SchoolFactory
from tests.html_checks import check_page
from tests.review.helpers import school_in_state

pytestmark = pytest.mark.django_db
URL = "/province/"


@pytest.fixture
def client(client, province_admin):
    client.force_login(province_admin)
    return client


@pytest.fixture
def one_of_each(shanxi, open_round, province_admin):
    """Two schools in every status, of different kinds."""
    kinds = list(SchoolKind.values)
    schools = {}
    for index, (state, label) in enumerate(SchoolStatus.choices):
        for n in range(2):
            schools[(state, n)] = school_in_state(
                shanxi,
                open_round,
                state,
                province_admin,
                kind=kinds[(index + n) % len(kinds)],
                name=f"{label}学校{n}",
            )
    return schools


def test_counts_by_status(client, one_of_each):
    response = client.get(URL)
    statuses = {value: n for value, _label, n in response.context["statuses"]}
    assert statuses == dict.fromkeys(SchoolStatus.values, 2)
    html = response.content.decode()
    for _value, label in SchoolStatus.choices:
        assert f'aria-label="{label} 2 所"' in html


def test_counts_by_kind(client, one_of_each):
    kinds = {label: (n, submitted) for label, n, submitted in client.get(URL).context["kinds"]}
    expected_totals = {label: 0 for _v, label in SchoolKind.choices}
    expected_submitted = dict(expected_totals)
    for school in School.objects.all():
        expected_totals[school.get_kind_display()] += 1
    for (state, _n), school in one_of_each.items():
        if state in {"submitted", "reviewing", "returned", "approved"}:
            expected_submitted[school.get_kind_display()] += 1
    assert {k: v[0] for k, v in kinds.items()} == expected_totals
    assert {k: v[1] for k, v in kinds.items()} == expected_submitted


def test_funding_totals_intended_beside_approved(client, one_of_each):
    intended, approved, own = client.get(URL).context["totals"]
    # Eight submitted schools, each with 1 and 3.2 at 1+2+3+4 = 10; drafts do not count.
    assert (intended["label"], intended["count"], intended["total"]) == ("意向承接", 16, 160)
    assert intended["values"] == [16, 32, 48, 64, 0]
    # Approved: reviewing 1 row, returned 1 row, approved 2 rows, for two schools each.
    assert (approved["label"], approved["count"], approved["total"]) == ("已通过", 8, 80)
    assert approved["values"] == [8, 16, 24, 32, 0]
    # No 省级承接 here; the line is shown all the same, so the figures reconcile by hand.
    assert (own["label"], own["count"], own["total"]) == ("其中：省级承接", 0, 0)


def test_list_shows_each_school_with_status_items_and_total(client, one_of_each):
    html = client.get(URL).content.decode()
    school = one_of_each[("returned", 0)]
    row = re.search(rf"<tr>\s*<td>{school.code}</td>.*?</tr>", html, re.S).group(0)
    assert school.name in row and "需修改" in row and ">2<" in row and ">20<" in row


def test_filter_by_status_and_kind_and_search(client, one_of_each):
    page = client.get(URL, {"status": "approved"}).context["page"]
    assert {s.status for s in page} == {"approved"} and len(page) == 2
    page = client.get(URL, {"status": "not_started"}).context["page"]
    assert {s.code for s in page} == {one_of_each[("not_started", n)].code for n in range(2)}
    page = client.get(URL, {"kind": SchoolKind.SECONDARY}).context["page"]
    assert {s.kind for s in page} == {SchoolKind.SECONDARY}
    target = one_of_each[("filling", 1)]
    assert [s.code for s in client.get(URL, {"q": target.code}).context["page"]] == [target.code]
    assert [s.code for s in client.get(URL, {"q": "填报中学校1"}).context["page"]] == [target.code]


def test_sorting(client, one_of_each):
    page = client.get(URL, {"sort": "-total"}).context["page"]
    totals = [s.total_funds for s in page]
    assert totals == sorted(totals, reverse=True) and totals[0] == Decimal(20)
    names = [s.name for s in client.get(URL, {"sort": "name"}).context["page"]]
    assert names == sorted(names)
    statuses = [s.status for s in client.get(URL, {"sort": "status"}).context["page"]]
    assert statuses == sorted(statuses, key=SchoolStatus.values.index)


def test_only_the_provinces_own_schools(client, one_of_each, other_school_user):
    other = SchoolFactory()
    codes = {s.code for s in client.get(URL).context["page"].paginator.object_list}
    assert other.code not in codes and other_school_user.school.code in codes
    assert len(codes) == School.objects.filter(province_id="14").count()


def test_page_is_chinese_and_labelled(client, one_of_each, province_admin):
    check_page(client.get(URL).content.decode(), names=(province_admin.username,))


def test_province_without_a_round(client, shanxi):
    html = client.get(URL).content.decode()
    assert "本省尚未开放申报" in html


def _queries(client, path):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_same_number_of_queries_for_20_and_2000_schools(client, shanxi, open_round, province_admin):
    for state in SchoolStatus.values:
        school_in_state(shanxi, open_round, state, province_admin)
    School.objects.bulk_create(
        School(code=f"4199{n:06d}", name=f"批量学校{n}", kind=SchoolKind.SECONDARY, province=shanxi)
        for n in range(14)
    )
    filtered = URL + "?status=filling&sort=-total&page=1&city=太原市"
    small = [_queries(client, URL), _queries(client, filtered)]
    School.objects.bulk_create(
        School(code=f"4198{n:06d}", name=f"批量学校{n}", kind=SchoolKind.OTHER, province=shanxi)
        for n in range(1980)
    )
    assert School.objects.filter(province=shanxi).count() == 2000
    large = [_queries(client, URL), _queries(client, filtered)]
    assert small == large
    # 10, the unread notices in the header, 待审核 and 延期申请 in the menu, the 所在地市 choices
    assert max(large) <= 14
