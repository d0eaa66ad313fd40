"""A province admin acts only on its own province: other ids are 404, other roles 403."""

import pytest
from django.test import Client

from schools.models import User
from tasks.models import AuditEvent, Commitment, Declaration, Round
from tests.factories import MinistryUserFactory
from tests.review.helpers import school_in_state

pytestmark = pytest.mark.django_db

PAGES = [
    "/province/",
    "/province/round/",
    "/province/round/required/",
    "/province/accounts/",
    "/province/own/",
    "/province/export/",
    "/province/queue/",
    "/province/changes/",
]


@pytest.fixture
def henan(reference_data):
    """Another province with its own round, a submitted school and an admin."""
    from datetime import timedelta

    from schools.models import Province
    from tasks.transitions import beijing_today
    from tests.factories import ProvinceAdminFactory

    province = Province.objects.get(code="41")
    round_ = Round.objects.create(
        plan_id=1,
        province=province,
        start_date=beijing_today() - timedelta(days=1),
        end_date=beijing_today() + timedelta(days=33),
    )
    round_.items.set(round_.default_items())
    admin = ProvinceAdminFactory(province=province)
    school = school_in_state(province, round_, "submitted", admin)
    return {"round": round_, "admin": admin, "school": school}


def state():
    """Everything an action could change."""
    return (
        sorted(Commitment.objects.values_list("pk", "review_status", "comment", "quantity")),
        sorted(Declaration.objects.values_list("pk", "status", "version")),
        sorted(User.objects.values_list("pk", "password", "is_active", "must_change_password")),
        sorted(Round.objects.values_list("pk", "start_date", "end_date", "instructions")),
        AuditEvent.objects.count(),
    )


def other_province_posts(henan):
    code = henan["school"].code
    commitment = Commitment.objects.filter(declaration__school=henan["school"]).first()
    return [
        (f"/province/schools/{code}/review/", {"action": f"approve:{commitment.pk}"}),
        (
            f"/province/schools/{code}/review/",
            {"action": f"return:{commitment.pk}", f"comment-{commitment.pk}": "x"},
        ),
        (f"/province/schools/{code}/review/", {"action": "approve_all", "confirmed": "1"}),
        (
            f"/province/schools/{code}/review/",
            {"action": "reopen", "reason": "x", "confirmed": "1"},
        ),
        (f"/province/accounts/{code}/reset-password/", {"confirmed": "1"}),
        (f"/province/accounts/{code}/active/", {"active": "0", "confirmed": "1"}),
    ]


def test_another_provinces_school_is_404_everywhere(client, province_admin, open_round, henan):
    client.force_login(province_admin)
    before = state()
    assert client.get(f"/province/schools/{henan['school'].code}/").status_code == 404
    for path, data in other_province_posts(henan):
        assert client.post(path, data).status_code == 404, path
    assert state() == before


def test_another_provinces_commitment_through_an_own_school_url(
    client, province_admin, shanxi, open_round, henan
):
    own = school_in_state(shanxi, open_round, "submitted", province_admin)
    foreign = Commitment.objects.filter(declaration__school=henan["school"]).first()
    client.force_login(province_admin)
    before = state()
    for action in ("approve", "return", "undo"):
        response = client.post(
            f"/province/schools/{own.code}/review/",
            {"action": f"{action}:{foreign.pk}", f"comment-{foreign.pk}": "x"},
        )
        assert response.status_code == 404
    assert state() == before


def test_pages_show_only_the_own_province(client, province_admin, open_round, henan):
    client.force_login(province_admin)
    for path in ["/province/", "/province/accounts/"]:
        assert henan["school"].name not in client.get(path).content.decode()
    html = client.get("/province/round/").content.decode()
    assert henan["round"].end_date.strftime("%Y-%m-%d") not in html
    assert open_round.end_date.strftime("%Y-%m-%d") in html


def test_own_round_settings_never_touch_another_provinces_round(
    client, province_admin, open_round, henan
):
    client.force_login(province_admin)
    henan_round = Round.objects.get(pk=henan["round"].pk)
    data = {
        "start_date": "2026-01-01",
        "end_date": "2026-01-02",
        "round": henan_round.pk,
        "province": "41",
        "plan": 1,
    }
    client.post("/province/round/", data)
    assert Round.objects.get(pk=henan_round.pk).end_date == henan_round.end_date
    assert Round.objects.get(pk=open_round.pk).province_id == "14"


@pytest.mark.parametrize("role", ["school", "ministry"])
def test_other_roles_get_403_on_every_province_page(client, school_user, open_round, henan, role):
    user = school_user if role == "school" else MinistryUserFactory()
    client.force_login(user)
    before = state()
    for path in PAGES:
        assert client.get(path).status_code == 403, path
    for path, data in other_province_posts(henan):
        assert client.post(path, data).status_code == 403, path
    assert client.post("/province/own/", {"action": "save"}).status_code == 403
    assert state() == before


def test_anonymous_is_sent_to_the_province_sign_in(open_round):
    response = Client().get("/province/round/")
    assert response.status_code == 302 and response.url.startswith("/login/province/")
