"""按任务审核: one item across the province's schools, its totals, and approving or returning
several rows at once with one comment (confirmed, all or nothing, each row on record)."""

import re

import pytest

from schools.choices import AuditAction
from tasks.choices import NoticeKind, ReviewStatus
from tasks.models import AuditEvent, Commitment, Notice, Round
from tests.conftest import client_for
from tests.factories import MinistryUserFactory
from tests.html_checks import check_page
from tests.review.helpers import build_submitted, open_round_for, school_in_state
from tests.tasks.conftest import item

pytestmark = pytest.mark.django_db

URL = "/province/by-item/"


def row_of(school, code="3.2") -> Commitment:
    return Commitment.objects.get(declaration__school=school, item__code=code)


@pytest.fixture
def schools(shanxi, open_round, province_admin, other_province_admin):
    """Three 山西 schools that undertook 3.2 (two waiting, one approved), one filling, and a
    waiting school of 河南."""
    made = {
        "a": school_in_state(shanxi, open_round, "submitted", province_admin, name="甲职业学院"),
        "b": school_in_state(shanxi, open_round, "submitted", province_admin, name="乙职业学院"),
        "c": school_in_state(shanxi, open_round, "approved", province_admin, name="丙职业学院"),
        "d": school_in_state(shanxi, open_round, "filling", province_admin, name="丁职业学院"),
    }
    henan = other_province_admin.province
    made["henan"] = school_in_state(
        henan, open_round_for(henan.code), "submitted", other_province_admin, name="河南学院"
    )
    return made


def test_the_item_list_counts_schools_and_waiting(schools, province_admin):
    html = client_for(province_admin).get(URL).content.decode()
    assert '<option value="3.2">3.2（承接3所，待审核2所）</option>' in html
    check_page(html, names=(province_admin.username,))


def test_one_item_across_the_provinces_schools_with_totals(schools, province_admin):
    html = client_for(province_admin).get(URL + "?item=3.2").content.decode()
    assert item("3.2").text in html  # the national target
    for key in ("a", "b", "c"):
        assert schools[key].name in html
    assert "丁职业学院" not in html and "河南学院" not in html
    # 意向承接: 3 schools, quantity 2 each; 已通过: the one approved school.
    assert '<th scope="row">意向承接</th><td class="num">3</td><td class="num">6</td>' in html
    assert '<th scope="row">已通过</th><td class="num">1</td><td class="num">2</td>' in html
    assert html.count('name="rows"') == 2  # only waiting rows can be ticked
    check_page(html, names=(province_admin.username,))
    pending = client_for(province_admin).get(URL + "?item=3.2&status=pending").content.decode()
    assert "丙职业学院" not in pending and "甲职业学院" in pending


def test_bulk_return_asks_then_returns_each_row_on_record_with_one_comment(schools, province_admin):
    client = client_for(province_admin)
    picked = {"rows": [row_of(schools["a"]).pk, row_of(schools["b"]).pk], "comment": "数量偏高"}
    page = client.post(URL + "?item=3.2", {**picked, "action": "return"})
    html = page.content.decode()
    assert "请确认：批量退回修改" in html and "将退回修改2所学校的任务（项目）3.2" in html
    assert "甲职业学院、乙职业学院" in html and "修改意见：数量偏高" in html
    assert row_of(schools["a"]).review_status == ReviewStatus.PENDING
    done = client.post(URL + "?item=3.2", {**picked, "action": "return", "confirmed": "1"})
    assert done.status_code == 302
    for key in ("a", "b"):
        row = row_of(schools[key])
        assert (row.review_status, row.comment) == (ReviewStatus.RETURNED, "数量偏高")
        event = AuditEvent.objects.get(school=schools[key], action=AuditAction.RETURN)
        assert event.changes == {"items": ["3.2"], "comment": "数量偏高"}
        assert Notice.objects.get(user=schools[key].account, kind=NoticeKind.ITEM_RETURNED)
    assert "已退回修改2所学校的3.2。" in client.get(done.url).content.decode()


def test_bulk_approve(schools, province_admin):
    picked = [row_of(schools["a"]).pk, row_of(schools["b"]).pk]
    client_for(province_admin).post(
        URL + "?item=3.2", {"rows": picked, "action": "approve", "confirmed": "1"}
    )
    assert set(
        Commitment.objects.filter(pk__in=picked).values_list("review_status", flat=True)
    ) == {ReviewStatus.APPROVED}
    assert AuditEvent.objects.filter(action=AuditAction.APPROVE).count() == 2 + 1  # c's own


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "return", "comment": ""}, "批量退回修改须填写修改意见。"),
        ({"action": "approve", "rows": []}, "请勾选要审核的学校。"),
        ({"action": "nonsense"}, "未知的操作。"),
    ],
)
def test_bad_bulk_requests_are_refused_and_keep_what_was_ticked(
    schools, province_admin, data, message
):
    a = row_of(schools["a"])
    posted = {"rows": [a.pk], **data}
    response = client_for(province_admin).post(URL + "?item=3.2", posted)
    html = response.content.decode()
    assert response.status_code == 400 and message in html
    if posted["rows"]:
        assert f'value="{a.pk}" id="row-{a.pk}" checked' in html
    assert row_of(schools["a"]).review_status == ReviewStatus.PENDING


def test_a_missing_comment_is_marked_at_the_comment_and_linked_from_the_top(
    schools, province_admin
):
    a = row_of(schools["a"])
    response = client_for(province_admin).post(
        URL + "?item=3.2", {"rows": [a.pk], "action": "return", "comment": ""}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert '<a href="#comment" class="alert-link">批量退回修改须填写修改意见。</a>' in html
    assert re.search(
        r'<textarea id="comment"[^>]*is-invalid[^>]*aria-describedby="comment-error"', html
    )
    assert (
        '<div class="invalid-feedback" id="comment-error">批量退回修改须填写修改意见。</div>'
        in html
    )
    nothing = client_for(province_admin).post(URL + "?item=3.2", {"action": "approve"})
    assert 'id="rows-error">请勾选要审核的学校。</caption>' in nothing.content.decode()


def test_a_row_reviewed_meanwhile_refuses_the_whole_batch(schools, province_admin):
    a, b = row_of(schools["a"]), row_of(schools["b"])
    b.approve(by=province_admin)  # another admin, in another tab
    response = client_for(province_admin).post(
        URL + "?item=3.2",
        {"rows": [a.pk, b.pk], "action": "return", "comment": "请核实", "confirmed": "1"},
    )
    assert response.status_code == 409
    assert "乙职业学院：" in response.content.decode()
    assert row_of(schools["a"]).review_status == ReviewStatus.PENDING  # rolled back


def test_rows_of_another_item_or_province_are_refused(schools, province_admin):
    foreign = [row_of(schools["henan"]).pk, row_of(schools["a"], "1").pk]
    for pk in foreign:
        response = client_for(province_admin).post(
            URL + "?item=3.2", {"rows": [pk], "action": "approve", "confirmed": "1"}
        )
        assert response.status_code == 409
    assert row_of(schools["henan"]).review_status == ReviewStatus.PENDING
    assert row_of(schools["a"], "1").review_status == ReviewStatus.PENDING


def test_review_many_is_all_or_nothing(schools, province_admin):
    a, c = row_of(schools["a"]), row_of(schools["c"])
    with pytest.raises(Exception, match="丙职业学院"):
        Commitment.review_many([a.pk, c.pk], by=province_admin, approve=True)
    assert row_of(schools["a"]).review_status == ReviewStatus.PENDING


def test_only_province_admins(schools, school_user):
    assert client_for(school_user).get(URL).status_code == 403
    assert client_for(MinistryUserFactory()).get(URL).status_code == 403


def test_same_number_of_queries_for_10_and_1000_schools(
    reference_data, province_admin, django_assert_max_num_queries
):
    province_admin.province_id = "14"
    province_admin.save()
    client = client_for(province_admin)
    build_submitted(10, items_each=3)
    round_ = Round.objects.get(province_id="14")
    round_.items.set(round_.default_items())
    code = Commitment.objects.values_list("item__code", flat=True).first()
    assert client.get(f"{URL}?item={code}").content.decode().count('name="rows"') == 10

    def count(path):
        with django_assert_max_num_queries(30) as context:
            assert client.get(path).status_code == 200
        return len(context.captured_queries)

    small = [count(URL), count(f"{URL}?item={code}"), count(f"{URL}?item={code}&status=pending")]
    build_submitted(990, items_each=3)
    large = [count(URL), count(f"{URL}?item={code}"), count(f"{URL}?item={code}&status=pending")]
    assert small == large
    assert client.get(f"{URL}?item={code}").content.decode().count('name="rows"') == 1000
