"""修改对比: a resubmitted item shows the reviewer its values when returned beside its values
now, changed cells marked, with the comment they answer; the school sees the same while it
edits (需修改的任务)."""

from decimal import Decimal

import pytest

from tasks.models import Commitment, Declaration
from tasks.models.declarations import Comparison, RowValues
from tests.conftest import client_for
from tests.html_checks import check_page
from tests.review.helpers import school_in_state
from tests.tasks.conftest import item
from tests.tasks.helpers import full_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def returned(shanxi, open_round, province_admin):
    """A school whose 3.2 (quantity 2, funds 1/2/3/4) was returned with "请核实"."""
    school = school_in_state(shanxi, open_round, "returned", province_admin, name="甲职业学院")
    return school


def declaration_of(school) -> Declaration:
    return Declaration.objects.select_related("round", "school").get(school=school)


def row_of(school, code="3.2") -> Commitment:
    return Commitment.objects.select_related("item").get(
        declaration__school=school, item__code=code
    )


def resubmit(school, **changes):
    declaration = declaration_of(school)
    user = school.account
    rows = {item("3.2").pk: full_row(item("3.2"), **changes)}
    declaration.resubmit(by=user, rows=rows, selected=[item("3.2").pk], version=declaration.version)


def cells(comparison: Comparison) -> dict[str, tuple[object, object]]:
    return {cell.label: (cell.before, cell.after) for cell in comparison.cells}


def test_a_return_keeps_the_values_and_the_comment(returned):
    kept = row_of(returned).last_return
    assert kept["comment"] == "请核实"
    assert RowValues.from_json(kept["values"]) == full_row(item("3.2"))


def test_the_comparison_marks_what_the_school_changed(returned):
    resubmit(returned, quantity=5, school_funds=Decimal("1.5"))
    commitment = row_of(returned)
    comparison = commitment.since_return(declaration_of(returned).fund_fields)
    assert comparison is not None and comparison.note == "请核实"
    assert comparison.changed_labels == ["承接数量", "汇总", "学校自筹"]
    found = cells(comparison)
    assert found["承接数量"] == (2, 5)
    assert found["汇总"] == (Decimal(10), Decimal("10.5"))
    assert found["行业企业投入"] == (Decimal(2), Decimal(2))


def test_an_unchanged_resubmission_says_so(returned):
    resubmit(returned)
    comparison = row_of(returned).since_return(declaration_of(returned).fund_fields)
    assert comparison is not None and not comparison.changed


def test_approval_and_reopening_end_the_comparison(returned, province_admin):
    resubmit(returned, quantity=5)
    commitment = row_of(returned)
    commitment.approve(by=province_admin)
    assert row_of(returned).since_return(declaration_of(returned).fund_fields) is None
    # Undone, it waits again and the comparison is back: it is still what the return asked.
    row_of(returned).undo_review(by=province_admin)
    assert row_of(returned).since_return(declaration_of(returned).fund_fields).changed
    declaration_of(returned).reopen(by=province_admin, reason="学校申请调整")
    assert row_of(returned).last_return is None


def test_a_second_return_replaces_the_first(returned, province_admin):
    resubmit(returned, quantity=5)
    row_of(returned).return_for_changes(by=province_admin, comment="数量仍需核实")
    kept = row_of(returned).last_return
    assert kept["comment"] == "数量仍需核实"
    assert kept["values"]["quantity"] == 5


def test_the_review_page_shows_the_comparison_beside_the_row(returned, province_admin):
    resubmit(returned, quantity=5)
    html = client_for(province_admin).get(f"/province/schools/{returned.code}/").content.decode()
    assert "修改对比（退回时与重新提交后）：修改了承接数量" in html
    assert "所答复的修改意见：请核实" in html
    assert '<td class="num changed">5<span class="visually-hidden">（已修改）</span></td>' in html
    assert '<th scope="row">退回时</th>' in html and '<th scope="row">重新提交</th>' in html
    check_page(html, names=(province_admin.username,))


def test_a_returned_row_shows_saved_edits_only_once_there_are_some(returned, province_admin):
    url = f"/province/schools/{returned.code}/"
    assert "修改对比" not in client_for(province_admin).get(url).content.decode()
    assert "学校已保存的修改" not in client_for(province_admin).get(url).content.decode()
    declaration = declaration_of(returned)
    declaration.save_returned(
        by=returned.account,
        rows={item("3.2").pk: full_row(item("3.2"), local_funds=0)},
        version=declaration.version,
    )
    html = client_for(province_admin).get(url).content.decode()
    assert "学校已保存的修改（尚未重新提交）：修改了汇总、地市县投入" in html


def test_the_ministry_sees_the_same_read_only(returned, ministry_user):
    resubmit(returned, quantity=5)
    html = (
        client_for(ministry_user)
        .get(f"/ministry/provinces/14/schools/{returned.code}/")
        .content.decode()
    )
    assert "修改对比（退回时与重新提交后）：修改了承接数量" in html


def test_the_school_sees_what_it_changed_while_it_edits(returned):
    user = returned.account
    client = client_for(user)
    assert (
        "修改对比（退回时与已保存的内容）：未作修改"
        in client.get("/school/returned/").content.decode()
    )
    declaration = declaration_of(returned)
    declaration.save_returned(
        by=user,
        rows={item("3.2").pk: full_row(item("3.2"), quantity=3)},
        version=declaration.version,
    )
    html = client.get("/school/returned/").content.decode()
    assert "修改对比（退回时与已保存的内容）：修改了承接数量" in html
    assert "修改意见：请核实" in html
    assert '<td class="num changed">3<span class="visually-hidden">（已修改）</span></td>' in html
    check_page(html, names=(user.username,))


def school_with_resubmitted(shanxi, open_round, province_admin, count):
    """A school that submitted `count` items, had them all returned and resubmitted changed."""
    from tests.factories import SchoolUserFactory

    user = SchoolUserFactory(school__province=shanxi)
    declaration = Declaration.for_school(user.school, open_round)
    items = list(open_round.offered_items()[:count])
    declaration.submit(by=user, rows={i.pk: full_row(i) for i in items}, contacts=None, version=0)
    for commitment in declaration.commitments.all():
        commitment.return_for_changes(by=province_admin, comment="请核实")
    declaration.refresh_from_db()
    declaration.resubmit(
        by=user,
        rows={i.pk: full_row(i, school_funds=9) for i in items},
        selected=[i.pk for i in items],
        version=declaration.version,
    )
    return user.school


def test_comparisons_cost_no_query_per_row(
    shanxi, open_round, province_admin, django_assert_max_num_queries
):
    """The review page with one and with twelve resubmitted rows, each with its comparison,
    runs the same number of queries."""
    counts = []
    client = client_for(province_admin)
    for count in (1, 12):
        school = school_with_resubmitted(shanxi, open_round, province_admin, count)
        client.get(f"/province/schools/{school.code}/")  # the session and caches warm
        with django_assert_max_num_queries(20) as counted:
            html = client.get(f"/province/schools/{school.code}/").content.decode()
        assert html.count("修改对比（退回时与重新提交后）：修改了汇总、学校自筹") == count
        counts.append(len(counted.captured_queries))
    assert counts[0] == counts[1]
