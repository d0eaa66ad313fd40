"""待审核: the province's queue of schools with items awaiting review, and the review page
leading on to the next school once one is finished."""

import importlib
import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.test import Client
from django.utils import timezone

from schools.choices import SchoolKind
from schools.models import School
from tasks.choices import ReviewStatus
from tasks.models import Commitment, Declaration
from tests.conftest import client_for
from tests.factories import MinistryUserFactory
from tests.html_checks import check_page
from tests.review.helpers import build_submitted, open_round_for, school_in_state
from tests.tasks.conftest import item
from tests.tasks.helpers import full_row

pytestmark = pytest.mark.django_db

URL = "/province/queue/"


def waited(school: School, days: int) -> None:
    """Make the school's waiting items wait since `days` days ago."""
    Commitment.objects.filter(
        declaration__school=school, review_status=ReviewStatus.PENDING
    ).update(waiting_since=timezone.now() - timedelta(days=days, hours=1))


def listed(html: str) -> list[tuple[str, str, str]]:
    """(code, items waiting, waited) for each row of the queue, in order."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return [
        (m.group(1), m.group(2), m.group(3))
        for m in re.finditer(
            r"<td>(\d{10})</td>.*?<td class=\"num\">(\d+)</td>.*?<td>([^<]*天|-)</td>",
            body,
            re.S,
        )
    ]


@pytest.fixture
def queue(shanxi, open_round, province_admin, other_province_admin):
    """山西: a school that submitted two days ago (2 items wait), one reviewing since five
    days (1 waits), one returned, one approved, one filling; a waiting school of 河南."""
    names = {
        "submitted": "甲已提交学校",
        "reviewing": "乙审核中学校",
        "returned": "丙需修改学校",
        "approved": "丁已通过学校",
        "filling": "戊填报中学校",
    }
    schools = {
        state: school_in_state(shanxi, open_round, state, province_admin, name=name)
        for state, name in names.items()
    }
    waited(schools["submitted"], 2)
    waited(schools["reviewing"], 5)
    henan = other_province_admin.province
    school_in_state(henan, open_round_for(henan.code), "submitted", other_province_admin)
    return schools


def test_lists_schools_with_waiting_items_longest_waiting_first(queue, province_admin):
    response = client_for(province_admin).get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert listed(html) == [
        (queue["reviewing"].code, "1", "5天"),
        (queue["submitted"].code, "2", "2天"),
    ]
    assert "共 <strong>2</strong> 所学校有任务待审核" in html
    check_page(html, names=(province_admin.username,))


def test_a_resubmitted_item_waits_from_its_resubmission(queue, province_admin):
    returned = queue["returned"]
    declaration = returned.declarations.get()
    commitment = declaration.commitments.get(item=item("3.2"))
    declaration.resubmit(
        by=returned.account,
        rows={commitment.item_id: full_row(item("3.2"))},
        selected=[commitment.item_id],
        version=declaration.version,
    )
    rows = listed(client_for(province_admin).get(URL).content.decode())
    assert rows[-1] == (returned.code, "1", "不足1天")
    assert [code for code, _n, _d in rows[:2]] == [queue["reviewing"].code, queue["submitted"].code]


def test_an_undone_review_waits_again_from_the_undo(queue, province_admin):
    approved = queue["approved"]
    before = timezone.now()
    Commitment.objects.get(declaration__school=approved, item=item("1")).undo_review(
        by=province_admin
    )
    undone = Commitment.objects.get(declaration__school=approved, item=item("1"))
    assert undone.review_status == ReviewStatus.PENDING and undone.waiting_since >= before
    assert listed(client_for(province_admin).get(URL).content.decode())[-1] == (
        approved.code,
        "1",
        "不足1天",
    )


def test_filters_by_city_and_kind_and_searches_by_code_or_name(queue, province_admin):
    School.objects.filter(pk=queue["submitted"].pk).update(city="太原市", kind=SchoolKind.SECONDARY)
    School.objects.filter(pk=queue["reviewing"].pk).update(
        city="大同市", kind=SchoolKind.JUNIOR_COLLEGE
    )
    client = client_for(province_admin)
    only = {
        "?city=太原市": queue["submitted"],
        "?kind=junior_college": queue["reviewing"],
        "?city=大同市&kind=secondary": None,
        "?q=审核中": queue["reviewing"],
        f"?q={queue['submitted'].code}": queue["submitted"],
        f"?q={queue['submitted'].code[:9]}{int(queue['submitted'].code[9]) + 5}": None,
    }
    for query, school in only.items():
        codes = [code for code, _n, _d in listed(client.get(URL + query).content.decode())]
        assert codes == ([school.code] if school else []), query
    html = client.get(URL + "?city=太原市").content.decode()
    assert '<option value="太原市" selected>' in html and '<option value="大同市">' in html
    assert "清除条件" in html
    empty = client.get(URL + "?q=没有这所学校").content.decode()
    assert "没有符合条件的待审核学校。" in empty


@pytest.mark.parametrize(
    ("sort", "first"),
    [
        ("waiting", "reviewing"),
        ("-waiting", "submitted"),
        ("items", "submitted"),
        ("name", "reviewing"),  # 乙 (U+4E59) before 甲 (U+7532): code-point order
    ],
)
def test_sorts_by_the_lists_columns(queue, province_admin, sort, first):
    html = client_for(province_admin).get(f"{URL}?sort={sort}").content.decode()
    order = [code for code, _n, _w in listed(html)]
    others = {"reviewing": "submitted", "submitted": "reviewing"}
    assert order == [queue[first].code, queue[others[first]].code]
    assert f'<option value="{sort}" selected>' in html


@pytest.mark.parametrize(
    "query",
    ["?city=不存在的市", "?kind=nonsense", "?page=abc", "?page=999", "?q=%00x", "?sort=;drop"],
)
def test_unknown_filter_values_are_ignored_not_an_error(queue, province_admin, query):
    response = client_for(province_admin).get(URL + query)
    assert response.status_code in (200, 400)
    assert response.status_code != 500


def test_numbered_pages(reference_data, province_admin):
    build_submitted(120, items_each=2)
    # build_submitted puts them in 山西 (14); the admin must be of the same province.
    province_admin.province_id = "14"
    province_admin.save()
    client = client_for(province_admin)
    html = client.get(URL).content.decode()
    assert 'aria-label="第2页"' in html and 'aria-label="第3页"' in html
    assert "第 1 / 3 页（共 120 条）" in html
    second = client.get(URL + "?page=2").content.decode()
    assert len(listed(second)) == 50 and "第 2 / 3 页" in second


def test_the_menu_counts_the_waiting_schools(queue, province_admin):
    html = client_for(province_admin).get("/province/").content.decode()
    assert re.search(r"待审核\s*<span[^>]*>2<span class=\"visually-hidden\">所学校", html)
    for school in (queue["submitted"], queue["reviewing"]):
        school.declarations.get().approve_all(by=province_admin)
    html = client_for(province_admin).get("/province/").content.decode()
    assert re.search(r">待审核</a>", html)


def test_only_province_admins_see_the_queue(queue, school_user):
    assert client_for(school_user).get(URL).status_code == 403
    assert client_for(MinistryUserFactory()).get(URL).status_code == 403
    assert Client().get(URL).status_code == 302


def test_a_finished_school_leads_on_to_the_next_in_the_queue(queue, province_admin):
    client = client_for(province_admin)
    submitted = queue["submitted"]
    # Still items waiting on this school: no "next" yet.
    page = client.get(f"/province/schools/{submitted.code}/").content.decode()
    assert "审核下一所" not in page
    response = client.post(
        f"/province/schools/{submitted.code}/review/", {"action": "approve_all", "confirmed": "1"}
    )
    page = client.get(response.url).content.decode()
    assert "本校已没有待审核的任务。" in page
    assert (
        f'href="/province/schools/{queue["reviewing"].code}/">审核下一所：乙审核中学校</a>' in page
    )
    queue["reviewing"].declarations.get().approve_all(by=province_admin)
    last = client.get(f"/province/schools/{submitted.code}/").content.decode()
    assert "审核下一所" not in last and "中已没有其他学校" in last


def test_no_next_school_on_a_page_that_cannot_be_reviewed(queue, province_admin):
    page = client_for(province_admin).get(f"/province/schools/{queue['filling'].code}/")
    assert "审核下一所" not in page.content.decode()


def _queries(client, path, django_assert_max_num_queries):
    with django_assert_max_num_queries(40) as context:
        assert client.get(path).status_code == 200
    return len(context.captured_queries)


def test_same_number_of_queries_for_10_and_1000_schools(
    reference_data, province_admin, django_assert_max_num_queries
):
    province_admin.province_id = "14"
    province_admin.save()
    client = client_for(province_admin)
    build_submitted(10, items_each=3)
    first = Declaration.objects.order_by("pk").first()
    assert first is not None and first.school_id
    first.approve_all(by=province_admin)
    review = f"/province/schools/{first.school_id}/"
    small = [
        _queries(client, URL, django_assert_max_num_queries),
        _queries(client, URL + "?city=x&kind=secondary&q=41&page=2", django_assert_max_num_queries),
        _queries(client, review, django_assert_max_num_queries),
    ]
    build_submitted(990, items_each=3)
    large = [
        _queries(client, URL, django_assert_max_num_queries),
        _queries(client, URL + "?city=x&kind=secondary&q=41&page=2", django_assert_max_num_queries),
        _queries(client, review, django_assert_max_num_queries),
    ]
    assert small == large
    assert "审核下一所" in client.get(review).content.decode()


def test_the_migration_gives_waiting_items_their_submission_time(queue):
    migration = importlib.import_module("tasks.migrations.0011_commitment_waiting_since")
    Commitment.objects.update(waiting_since=None)
    migration.from_submission(apps, None)
    for c in Commitment.objects.select_related("declaration"):
        if c.review_status == ReviewStatus.PENDING:
            assert c.waiting_since == c.declaration.submitted_at
        else:
            assert c.waiting_since is None
