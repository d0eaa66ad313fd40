"""省级承接: the province undertakes the province-level items itself."""

import pytest

from tasks.choices import DeclarationStatus
from tasks.models import Commitment, Declaration
from tests.html_checks import check_page
from tests.tasks.helpers import full_fields, post_data

pytestmark = pytest.mark.django_db
URL = "/province/own/"
PROVINCE_ITEMS = [
    "5",
    "12",
    "13",
    "14",
    "19",
    "21",
    "27",
    "28",
    "33",
    "34",
    "35",
    "36.1",
    "43.2",
    "56",
]


@pytest.fixture
def client(client, province_admin, open_round):
    client.force_login(province_admin)
    return client


def own_post(open_round, rows, action="save"):
    data = post_data(Declaration.for_province(open_round), rows, action=action)
    for name in ("contact_name", "office_phone", "mobile"):
        data.pop(name)
    return data


def test_form_lists_the_province_items_with_five_sources(client, province_admin):
    html = client.get(URL).content.decode()
    for code in PROVINCE_ITEMS:
        assert f'aria-label="{code} 是否承接"' in html
    assert 'aria-label="3.2 是否承接"' not in html
    assert 'aria-label="5 省财政投入"' in html and 'aria-label="5 承接数量"' in html
    check_page(html, names=(province_admin.username,))


def test_save_submit_withdraw(client, open_round, province_admin):
    rows = {"5": full_fields("5", provincial_funds="100"), "12": {"undertaken": True}}
    assert client.post(URL, own_post(open_round, rows)).status_code == 302
    declaration = Declaration.objects.get(round=open_round, school__isnull=True)
    assert declaration.commitments.get(item__code="5").provincial_funds == 100

    incomplete = client.post(URL, own_post(open_round, rows, action="submit"))
    assert incomplete.status_code == 400
    assert "12" in incomplete.content.decode()

    rows["12"] = full_fields("12", provincial_funds="0")
    response = client.post(URL, own_post(open_round, rows, action="submit"))
    assert response.status_code == 302
    declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.SUBMITTED
    assert set(declaration.commitments.values_list("review_status", flat=True)) == {""}
    html = client.get(URL).content.decode()
    assert "状态：<strong>已提交" in html and "继续修改" in html

    again = client.post(URL, own_post(open_round, rows, action="submit"))
    assert again.status_code == 409

    assert client.post(URL, {"action": "withdraw"}).status_code == 302
    declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.DRAFT


def test_school_items_are_refused(client, open_round):
    response = client.post(URL, own_post(open_round, {"3.2": full_fields("3.2")}))
    assert response.status_code == 400
    assert not Commitment.objects.exists()


def test_bad_amount_is_refused(client, open_round):
    response = client.post(
        URL, own_post(open_round, {"5": full_fields("5", provincial_funds="-5")})
    )
    assert response.status_code == 400
    assert not Commitment.objects.exists()


def test_own_items_can_be_saved_after_the_school_deadline(client, open_round):
    from datetime import timedelta

    from tasks.transitions import beijing_today

    open_round.start_date = beijing_today() - timedelta(days=9)
    open_round.end_date = beijing_today() - timedelta(days=1)
    open_round.save()
    assert client.post(URL, own_post(open_round, {"5": full_fields("5")})).status_code == 302


def test_schools_do_not_see_the_province_items(open_round, school_user, client):
    client.force_login(school_user)
    assert 'aria-label="5 是否承接"' not in client.get("/school/commitments/").content.decode()
