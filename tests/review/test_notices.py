"""Notices (消息) for the province and the ministry: a school's submission and resubmission
reach that province's active admins only; a province that has reviewed every submitted item
is reported to the ministry. And every role's pages, which all show the unread count, run
the same number of queries with 1 unread notice as with 500."""

from datetime import timedelta

import pytest
from django.utils import timezone

from schools.choices import Role
from schools.models import User
from tasks.choices import NoticeKind
from tasks.models import Declaration, Notice, ReportingYear
from tasks.transitions import beijing_today
from tests.conftest import client_for
from tests.factories import MinistryUserFactory, ProvinceAdminFactory
from tests.review.helpers import open_round_for, school_in_state
from tests.tasks.conftest import item
from tests.tasks.helpers import commitment, full_row, row, told, written_by

pytestmark = pytest.mark.django_db


@pytest.fixture
def admins(shanxi, province_admin, other_province_admin):
    """Two active admins of 山西, one deactivated, one of 河南, two ministry users (one
    deactivated)."""
    colleague = ProvinceAdminFactory(province=shanxi)
    retired = ProvinceAdminFactory(province=shanxi, is_active=False)
    ministry = MinistryUserFactory()
    MinistryUserFactory(is_active=False)
    return {
        "sx": {province_admin.username, colleague.username},
        "retired": retired,
        "hn": other_province_admin,
        "ministry": ministry,
    }


# -- a school's submission -----------------------------------------------------------------


def test_submission_tells_that_provinces_active_admins_only(
    open_round, school_user, other_school_user, admins
):
    school = school_user.school
    declaration = Declaration.for_school(school, open_round)
    rows = {item("1").pk: full_row(item("1")), item("3.2").pk: full_row(item("3.2"))}
    notices = written_by(
        lambda: declaration.submit(by=school_user, rows=rows, contacts=None, version=0)
    )
    assert told(notices) == {(name, NoticeKind.SUBMITTED) for name in admins["sx"]}
    for notice in notices:
        assert notice.title == f"{school.name}提交了承接任务（2项），待审核"
        assert notice.url == f"/province/schools/{school.code}/"
        assert client_for(notice.user).get(notice.url).status_code == 200


def test_resubmission_names_the_items(shanxi, open_round, province_admin, admins):
    school = school_in_state(shanxi, open_round, "returned", province_admin)
    declaration = school.declarations.get()
    notices = written_by(
        lambda: declaration.resubmit(
            by=school.account, rows={}, selected=[item("3.2").pk], version=declaration.version
        )
    )
    assert told(notices) == {(name, NoticeKind.RESUBMITTED) for name in admins["sx"]}
    assert {(n.title, n.body, n.url) for n in notices} == {
        (
            f"{school.name}重新提交了1项需修改的任务，待审核",
            "任务（项目）：3.2",
            f"/province/schools/{school.code}/",
        )
    }


def test_resubmission_that_only_drops_items_says_so(shanxi, open_round, province_admin, admins):
    """Resubmitting a returned item as no longer undertaken leaves nothing to review: the
    province is told which item left, not that 0 items wait."""
    school = school_in_state(shanxi, open_round, "returned", province_admin)
    declaration = school.declarations.get()
    notices = written_by(
        lambda: declaration.resubmit(
            by=school.account,
            rows={item("3.2").pk: row(undertaken=False)},
            selected=[item("3.2").pk],
            version=declaration.version,
        )
    )
    assert told(notices) == {(name, NoticeKind.RESUBMITTED) for name in admins["sx"]}
    assert {(n.title, n.body) for n in notices} == {
        (f"{school.name}不再承接1项退回修改的任务", "不再承接：3.2")
    }


def test_resubmission_with_one_kept_and_one_dropped_names_both(
    shanxi, open_round, province_admin, admins
):
    school = school_in_state(shanxi, open_round, "submitted", province_admin)
    for code in ("1", "3.2"):
        commitment(school, code).return_for_changes(by=province_admin, comment="请核实")
    declaration = school.declarations.get()
    notices = written_by(
        lambda: declaration.resubmit(
            by=school.account,
            rows={item("3.2").pk: row(undertaken=False)},
            selected=[item("1").pk, item("3.2").pk],
            version=declaration.version,
        )
    )
    assert {(n.title, n.body) for n in notices} == {
        (f"{school.name}重新提交了1项需修改的任务，待审核", "任务（项目）：1\n不再承接：3.2")
    }


def test_the_provinces_own_declaration_tells_nobody(open_round, province_admin, admins):
    own = Declaration.for_province(open_round)
    rows = {item("5").pk: full_row(item("5"), provincial_funds=5)}
    assert not written_by(
        lambda: own.submit(by=province_admin, rows=rows, contacts=None, version=0)
    )


# -- the ministry: a province has reviewed everything submitted ------------------------------


def test_ministry_told_once_the_province_has_reviewed_every_submitted_item(
    shanxi, open_round, province_admin, admins, reference_data
):
    first = school_in_state(shanxi, open_round, "submitted", province_admin)
    second = school_in_state(shanxi, open_round, "submitted", province_admin)
    school_in_state(shanxi, open_round, "filling", province_admin)  # a draft waits for nobody
    # 河南's pending school does not hold 山西 back.
    henan = open_round_for("41")
    school_in_state(henan.province, henan, "submitted", admins["hn"])

    def to_ministry(action) -> list[Notice]:
        return [n for n in written_by(action) if n.kind == NoticeKind.PROVINCE_REVIEWED]

    assert not to_ministry(lambda: first.declarations.get().approve_all(by=province_admin))
    assert not to_ministry(lambda: commitment(second, "1").approve(by=province_admin))
    # Returning the last pending item is a review too.
    ministry = to_ministry(
        lambda: commitment(second, "3.2").return_for_changes(by=province_admin, comment="请核实")
    )
    assert told(ministry) == {(admins["ministry"].username, NoticeKind.PROVINCE_REVIEWED)}
    notice = ministry[0]
    assert notice.title == "山西省已审核完所有已提交的承接任务"
    assert notice.url == "/ministry/provinces/14/"
    assert client_for(admins["ministry"]).get(notice.url).status_code == 200
    # Nobody else hears of it.
    assert not Notice.objects.filter(kind=NoticeKind.PROVINCE_REVIEWED).exclude(
        user=admins["ministry"]
    )


def test_ministry_not_told_while_a_resubmitted_item_waits(shanxi, open_round, province_admin):
    MinistryUserFactory()
    school = school_in_state(shanxi, open_round, "returned", province_admin)
    declaration = school.declarations.get()
    declaration.resubmit(
        by=school.account, rows={}, selected=[item("3.2").pk], version=declaration.version
    )
    waiting = school_in_state(shanxi, open_round, "submitted", province_admin)
    notices = written_by(lambda: commitment(school, "3.2").approve(by=province_admin))
    assert NoticeKind.PROVINCE_REVIEWED not in {n.kind for n in notices}
    notices = written_by(lambda: waiting.declarations.get().approve_all(by=province_admin))
    assert [n.kind for n in notices].count(NoticeKind.PROVINCE_REVIEWED) == 1


# -- query counts: every page with the unread count, 1 notice and 500 ------------------------


def add_notices(user: User, count: int, first: int = 0) -> None:
    now = timezone.now()
    Notice.objects.bulk_create(
        Notice(
            user=user,
            kind=NoticeKind.DEADLINE,
            title=f"消息{n}",
            body="请在截止前完成填写并点击“提交”。",
            url="/",
            key=f"test:{n}",
            created_at=now - timedelta(seconds=n),
        )
        for n in range(first, first + count)
    )


def pages_of(role, nation):
    if role == "school":
        school = nation["hn_returned"]  # items returned (the menu count) and one approved
        ReportingYear.objects.create(
            plan_id=1, year=2021, deadline=beijing_today() + timedelta(days=30)
        )
        return school.account, [
            "/school/commitments/",
            "/school/returned/",
            "/school/reporting/",
            "/school/province-contacts/",
            "/school/profile/",
            "/notices/",
            "/notices/settings/",
        ]
    if role == "province":
        admin = User.objects.filter(role=Role.PROVINCE, province_id="14").first()
        assert admin is not None
        return admin, [
            "/province/",
            f"/province/schools/{nation['sx_submitted'].code}/",
            "/province/accounts/",
            "/notices/",
        ]
    return MinistryUserFactory(), [
        "/ministry/",
        "/ministry/tables/provinces/",
        "/ministry/tables/items/",
        "/notices/",
    ]


def badge(count: int) -> str:
    return f'{count}<span class="visually-hidden">条未读</span>'


@pytest.mark.parametrize("role", ["school", "province", "ministry"])
def test_pages_run_the_same_queries_with_1_and_500_unread_notices(
    nation, role, django_assert_max_num_queries
):
    user, paths = pages_of(role, nation)
    Notice.objects.filter(user=user).delete()  # those the fixture's reviews wrote
    client = client_for(user)
    for path in paths:  # warm the caches a first request fills (content types, the session)
        assert client.get(path).status_code == 200, path

    def count(limit: int, path: str, unread: int) -> int:
        with django_assert_max_num_queries(limit) as context:
            response = client.get(path)
        assert response.status_code == 200, path
        assert badge(unread) in response.content.decode(), path
        return len(context.captured_queries)

    add_notices(user, 1)
    small = {path: count(40, path, 1) for path in paths}
    add_notices(user, 499, first=1)
    large = {path: count(small[path], path, 500) for path in paths}
    assert large == small
