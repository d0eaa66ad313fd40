"""本省申报要求: the province's call, and what happens to saved data when the offer changes."""

from datetime import timedelta

import pytest
from django.test import Client

from tasks.models import AuditEvent, Commitment, Declaration, Item, Round
from tasks.transitions import beijing_today
from tests.html_checks import check_page
from tests.review.helpers import school_in_state
from tests.tasks.conftest import item
from tests.tasks.helpers import full_fields, post_data, row

pytestmark = pytest.mark.django_db
URL = "/province/round/"


@pytest.fixture
def client(client, province_admin):
    client.force_login(province_admin)
    return client


def settings_data(round_=None, **changes):
    today = beijing_today()
    data = {
        "start_date": str(today - timedelta(days=1)),
        "end_date": str(today + timedelta(days=20)),
        "instructions": "请按要求填报",
        "contact1_name": "张少龙",
        "contact1_phone": "0351-3046505",
        "contact2_name": "",
        "contact2_phone": "",
        "items": [
            str(pk)
            for pk in (
                round_.items.values_list("pk", flat=True)
                if round_
                else Item.objects.offerable().filter(scope="school").values_list("pk", flat=True)
            )
        ],
    }
    data.update(changes)
    return data


def test_first_save_opens_the_round_with_the_school_items(client, shanxi, province_admin):
    html = client.get(URL).content.decode()
    assert "本省尚未开放申报" in html
    check_page(html, names=(province_admin.username,))
    response = client.post(URL, settings_data(uses_provincial_funds="on"))
    assert response.status_code == 302
    round_ = Round.objects.get(province=shanxi)
    assert round_.items.count() == 44 and round_.uses_provincial_funds
    assert (round_.contact1_name, round_.instructions) == ("张少龙", "请按要求填报")
    assert round_.is_open()


def test_form_shows_the_current_settings(client, open_round):
    html = client.get(URL).content.decode()
    assert f'value="{open_round.end_date:%Y-%m-%d}"' in html and "张少龙" in html
    assert html.count('name="items"') == 58


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"end_date": str(beijing_today() - timedelta(days=5))}, "结束日期不能早于开始日期。"),
        ({"start_date": ""}, "请填写开始日期。"),
        ({"end_date": "2026-13-45"}, "结束日期格式应为 YYYY-MM-DD。"),
        ({"contact2_name": "李老师"}, "联系人和联系电话须同时填写。"),
        ({"items": ["999999"]}, "999999"),
    ],
)
def test_bad_settings_are_refused(client, open_round, changes, message):
    before = (open_round.start_date, open_round.end_date, open_round.items.count())
    response = client.post(URL, settings_data(open_round, **changes))
    assert response.status_code == 400
    assert message in response.content.decode()
    open_round.refresh_from_db()
    assert (open_round.start_date, open_round.end_date, open_round.items.count()) == before


def test_items_of_another_plan_are_refused(client, open_round):
    from tasks.models import Category, Plan, Task

    plan = Plan.objects.create(code="x", name="另一计划", start_year=2023, end_year=2025)
    task = Task.objects.create(
        plan=plan,
        category=Category.objects.create(plan=plan, number=1, name="类"),
        number=1,
        text="任务",
        departments="教育部",
    )
    other = Item.objects.create(task=task, code="1", text="任务")
    response = client.post(URL, settings_data(open_round, items=[str(other.pk)]))
    assert response.status_code == 400
    assert not open_round.items.filter(pk=other.pk).exists()


def test_adding_a_province_level_item_to_the_offer(client, open_round):
    data = settings_data(open_round)
    data["items"].append(str(item("36.1").pk))
    assert client.post(URL, data).status_code == 302
    assert open_round.items.filter(code="36.1").exists()


def test_removing_an_item_schools_have_saved_warns_and_keeps_their_data(
    client, shanxi, open_round, province_admin
):
    school_in_state(shanxi, open_round, "submitted", province_admin)
    school_in_state(shanxi, open_round, "filling", province_admin)
    data = settings_data(open_round)
    data["items"] = [pk for pk in data["items"] if pk not in {str(item("1").pk), str(item("2").pk)}]
    response = client.post(URL, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "请查看下方列表后确认修改" in html
    assert "已有 2 所学校填写（其中 1 所已提交）" in html
    # Only item 1 was filled by schools; item 2 is removed without a warning.
    assert [
        (i.code, saved, submitted) for i, saved, submitted in response.context["form"].affected
    ] == [("1", 2, 1)]
    assert open_round.items.filter(code="1").exists()

    data["confirm"] = "on"
    assert client.post(URL, data).status_code == 302
    assert not open_round.items.filter(code__in=["1", "2"]).exists()
    assert Commitment.objects.filter(item__code="1").count() == 2


def test_a_school_still_sees_and_can_drop_a_removed_item(
    client, shanxi, open_round, province_admin
):
    school = school_in_state(shanxi, open_round, "filling", province_admin)
    open_round.items.remove(item("1"))
    school_client = Client()
    school_client.force_login(school.account)
    html = school_client.get("/school/commitments/").content.decode()
    assert 'aria-label="1 学校自筹"' in html
    declaration = Declaration.objects.get(school=school)
    response = school_client.post(
        "/school/commitments/",
        post_data(declaration, {"1": {"undertaken": False}, "3.2": full_fields("3.2")}),
    )
    assert response.status_code == 302
    assert not declaration.commitments.filter(item__code="1").exists()


def test_provincial_funds_cannot_be_switched_off_once_used(
    client, shanxi, open_round, province_admin
):
    open_round.uses_provincial_funds = True
    open_round.save()
    school = school_in_state(shanxi, open_round, "not_started", province_admin)
    declaration = Declaration.for_school(school, open_round)
    declaration.save_draft(
        by=school.account, rows={item("1").pk: row(provincial_funds=5)}, contacts=None, version=0
    )
    response = client.post(URL, settings_data(open_round))
    # Refused by the round's state, at the field, naming the school.
    assert response.status_code == 409
    assert f"{school.name}已填写“省财政投入”，不能停用该列。" in response.content.decode()
    open_round.refresh_from_db()
    assert open_round.uses_provincial_funds
    assert not AuditEvent.objects.for_subject(open_round).exists()


def test_extending_the_end_date_reopens_the_form(client, shanxi, open_round, province_admin):
    open_round.start_date = beijing_today() - timedelta(days=10)
    open_round.end_date = beijing_today() - timedelta(days=1)
    open_round.save()
    assert not open_round.is_open()
    client.post(URL, settings_data(open_round, start_date=str(open_round.start_date)))
    open_round.refresh_from_db()
    assert open_round.is_open()


@pytest.mark.parametrize(
    "phone", ["12345", "0351-304", "1234567890123", "12012345678", "0351-3046505-1234567"]
)
def test_contact_phone_is_checked_with_every_other_field(client, open_round, phone):
    # Every school of the province sees this number: a bad one is refused at its field,
    # together with the other fields' errors, and nothing changes.
    response = client.post(
        URL, settings_data(open_round, contact1_phone=phone, start_date="", end_date="2026-13-45")
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "联系电话应为办公电话（区号-电话号码，如0351-3046505）或11位手机号" in html
    assert "请填写开始日期。" in html and "结束日期格式应为 YYYY-MM-DD。" in html
    open_round.refresh_from_db()
    assert open_round.contact1_phone == "0351-3046505"


@pytest.mark.parametrize("phone", ["0351-3046505", "010-87654321-801", "13811111111"])
def test_contact_phone_accepts_office_phones_with_extensions_and_mobiles(client, open_round, phone):
    response = client.post(URL, settings_data(open_round, contact1_phone=phone))
    assert response.status_code == 302
    open_round.refresh_from_db()
    assert open_round.contact1_phone == phone


def test_configure_refuses_a_bad_contact_phone_too(open_round, province_admin):
    # open_round goes through the same method as the page.
    from tasks.transitions import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        Round.configure(
            open_round.plan, open_round.province, by=province_admin, contacts=[("张老师", "12345")]
        )
    assert refused.value.field == "contact1_phone"


def test_every_field_of_the_settings_is_checked_in_one_pass(client, open_round):
    data = settings_data(
        open_round,
        start_date="2026-12-10",
        end_date="2026-12-01",
        contact1_phone="",
        contact2_name="",
        contact2_phone="13811111111",
    )
    html = client.post(URL, data).content.decode()
    for message in ("结束日期不能早于开始日期。", "联系人和联系电话须同时填写。"):
        assert message in html, message
    assert html.count("联系人和联系电话须同时填写。") == 2
