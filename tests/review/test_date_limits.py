"""Sane limits on dates (issue 15 part 8): every date input lies between 2000 and 2100; a
round's window is at most a year; a reporting year's deadline falls in that year or the next,
and a province's own deadline not before the year."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from tasks.models import ReportingYear
from tasks.transitions import beijing_today
from tests.factories import MinistryUserFactory
from tizhi.lib.forms import DayField

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("typed", ["0001-01-01", "9999-12-31", "1999-12-31", "2101-01-01"])
def test_a_date_out_of_range_is_refused_in_chinese(typed):
    field = DayField()
    with pytest.raises(ValidationError) as caught:
        field.clean(typed)
    assert caught.value.messages == ["日期应在2000-01-01至2100-12-31之间。"]


def test_a_date_in_range_passes():
    assert DayField().clean("２０２６-12-05") == date(2026, 12, 5)


def test_the_round_settings_refuse_year_9999_and_a_window_over_a_year(province_admin, open_round):
    client = Client()
    client.force_login(province_admin)
    page = client.get("/province/round/")
    assert page.status_code == 200
    today = beijing_today()
    base = {
        "start_date": f"{today:%Y-%m-%d}",
        "end_date": "9999-12-31",
        "contact1_name": "张老师",
        "contact1_phone": "0351-3046505",
        "items": [str(pk) for pk in open_round.items.values_list("pk", flat=True)],
    }
    response = client.post("/province/round/", base)
    assert response.status_code == 400
    assert "日期应在2000-01-01至2100-12-31之间。" in response.content.decode()
    longer = {**base, "end_date": f"{today.replace(year=today.year + 2):%Y-%m-%d}"}
    response = client.post("/province/round/", {**longer, "confirm": "1"})
    assert response.status_code in (400, 409)
    assert "填报期不能超过一年" in response.content.decode()
    open_round.refresh_from_db()
    assert open_round.end_date.year < 9999


def test_a_reporting_deadline_in_another_year_is_refused(reference_data):
    client = Client()
    client.force_login(MinistryUserFactory())
    response = client.post(
        "/ministry/reporting/", {"plan": 1, "year": "2022", "deadline": "2030-12-31"}
    )
    assert response.status_code == 400
    assert "截止日期应在2022年或2023年内。" in response.content.decode()
    assert not ReportingYear.objects.exists()
    ok = client.post("/ministry/reporting/", {"plan": 1, "year": "2022", "deadline": "2023-01-15"})
    assert ok.status_code == 302
