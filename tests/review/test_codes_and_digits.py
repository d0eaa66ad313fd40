"""Codes, phones and numbers: full-width digits from a Chinese input method are the same
digits (a school code typed so never makes a second school); digits of other scripts are
refused with a Chinese message, never read as 0–9."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from schools.choices import SchoolKind
from schools.models import School, User
from tasks.models import Commitment, ReportingYear, Round, UnitReport
from tasks.transitions import beijing_today
from tests.conftest import client_for, sign_in
from tests.factories import MinistryUserFactory
from tests.review.helpers import school_in_state

pytestmark = pytest.mark.django_db

FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
OTHER_SCRIPT = "请使用阿拉伯数字0-9填写。"


@pytest.fixture
def admin(province_admin) -> Client:
    return client_for(province_admin)


def counts() -> tuple[int, int]:
    return School.objects.count(), User.objects.count()


# -- 添加学校 and the import ------------------------------------------------------------------


def test_adding_an_existing_school_typed_in_full_width_digits_is_refused(admin, school_user):
    before = counts()
    response = admin.post(
        "/province/accounts/add/",
        {
            "code": school_user.school.code.translate(FULL_WIDTH),
            "name": "重复的学院",
            "kind": SchoolKind.SECONDARY,
        },
    )
    assert response.status_code == 400
    assert f"学校标识码{school_user.school.code}已存在" in response.content.decode()
    assert counts() == before


def test_a_new_school_typed_in_full_width_digits_gets_the_ascii_code(admin, shanxi):
    response = admin.post(
        "/province/accounts/add/",
        {"code": "４１１４０９９９９８", "name": "新学院", "kind": SchoolKind.SECONDARY},
    )
    assert response.status_code == 302
    assert School.objects.filter(code="4114099998").exists()
    assert User.objects.filter(username="4114099998").exists()


def test_a_school_code_in_other_digits_is_refused_on_the_add_page(admin, shanxi):
    before = counts()
    response = admin.post(
        "/province/accounts/add/",
        {
            "code": "4114099997".translate(ARABIC_INDIC),
            "name": "新学院",
            "kind": SchoolKind.SECONDARY,
        },
    )
    assert response.status_code == 400
    assert OTHER_SCRIPT in response.content.decode()
    assert counts() == before


def csv_upload(rows: list[list[str]]) -> SimpleUploadedFile:
    text = "\r\n".join(",".join(r) for r in [["学校标识码", "学校名称", "学校类型"], *rows])
    return SimpleUploadedFile("schools.csv", text.encode("utf-8-sig"))


def test_importing_an_existing_school_in_full_width_digits_updates_it(admin, school_user):
    before = counts()
    code = school_user.school.code
    response = admin.post(
        "/province/accounts/import/",
        {"file": csv_upload([[code.translate(FULL_WIDTH), "改名学院", "中职学校"]])},
    )
    assert response.status_code == 302
    assert counts() == before
    assert School.objects.get(code=code).name == "改名学院"


def test_a_school_code_in_other_digits_is_refused_by_the_import(admin, shanxi):
    before = counts()
    response = admin.post(
        "/province/accounts/import/",
        {"file": csv_upload([["4114099996".translate(ARABIC_INDIC), "新学院", "中职学校"]])},
    )
    assert response.status_code == 400
    assert "第2行：学校标识码" in response.content.decode()
    assert OTHER_SCRIPT in response.content.decode()
    assert counts() == before


# -- signing in ------------------------------------------------------------------------------


def test_a_school_signs_in_with_its_code_in_full_width_digits(client, school_user):
    response = sign_in(client, "school", school_user.username.translate(FULL_WIDTH))
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(school_user.pk)


def test_a_username_in_other_digits_is_refused_without_a_lockout_count(client, school_user):
    response = sign_in(client, "school", school_user.username.translate(ARABIC_INDIC))
    assert response.status_code == 400
    assert OTHER_SCRIPT in response.content.decode()
    assert "_auth_user_id" not in client.session


# -- phones ----------------------------------------------------------------------------------


def test_profile_phones_in_full_width_digits_are_stored_in_ascii(school_user):
    response = client_for(school_user).post(
        "/school/profile/",
        {
            "contact_name": "王老师",
            "office_phone": "０３５１－３０４６５０５",
            "mobile": "１３９００００００００",
        },
    )
    assert response.status_code == 302
    school_user.school.refresh_from_db()
    assert (school_user.school.office_phone, school_user.school.mobile) == (
        "0351-3046505",
        "13900000000",
    )


@pytest.mark.parametrize("name", ["office_phone", "mobile"])
def test_profile_phones_in_other_digits_are_refused(school_user, name):
    data = {"contact_name": "王老师", "office_phone": "0351-3046505", "mobile": "13900000000"}
    data[name] = data[name].translate(ARABIC_INDIC)
    response = client_for(school_user).post("/school/profile/", data)
    assert response.status_code == 200
    assert OTHER_SCRIPT in response.content.decode()
    school_user.school.refresh_from_db()
    assert (school_user.school.office_phone, school_user.school.mobile) == (
        "0351-1234567",
        "13800000000",
    )


def test_round_contact_phone_in_other_digits_is_refused(admin, open_round):
    today = beijing_today()
    response = admin.post(
        "/province/round/",
        {
            "start_date": str(today - timedelta(days=1)),
            "end_date": str(today + timedelta(days=20)),
            "contact1_name": "张少龙",
            "contact1_phone": "0351-3046505".translate(ARABIC_INDIC),
            "items": [str(pk) for pk in open_round.items.values_list("pk", flat=True)],
        },
    )
    assert response.status_code == 400
    assert OTHER_SCRIPT in response.content.decode()
    assert Round.objects.get(pk=open_round.pk).contact1_phone == "0351-3046505"


# -- numbers on the yearly pages -------------------------------------------------------------


def test_done_quantity_and_spending_in_other_digits_are_refused(shanxi, open_round, province_admin):
    school = school_in_state(shanxi, open_round, "approved", province_admin)
    year = ReportingYear.objects.create(
        plan_id=1, year=2021, deadline=beijing_today() + timedelta(days=10)
    )
    c32 = Commitment.objects.get(declaration__school=school, item__code="3.2")
    response = client_for(school.account).post(
        f"/school/reporting/{year.pk}/",
        {
            "action": "save",
            "report": "new",
            "version": "0",
            f"r{c32.pk}-quantity": "٢",
            f"r{c32.pk}-spent_school_funds": "१",
        },
    )
    assert response.status_code == 400
    assert response.content.decode().count(OTHER_SCRIPT) >= 2
    assert not UnitReport.objects.exists()


def test_reporting_year_in_other_digits_is_refused(reference_data):
    ministry = client_for(MinistryUserFactory())
    response = ministry.post("/ministry/reporting/", {"plan": "1", "year": "٢٠٢١"})
    assert response.status_code == 400
    assert OTHER_SCRIPT in response.content.decode()
    assert not ReportingYear.objects.exists()


# -- commands --------------------------------------------------------------------------------


def test_open_round_cleans_its_text_and_refuses_other_digits(shanxi):
    out = io.StringIO()
    call_command(
        "open_round",
        "--province",
        "14",
        "--start",
        "2026-01-01",
        "--end",
        "2026-12-31",
        "--instructions",
        "第一条\x0b第二条\x00",
        "--contact",
        "张\t少龙\x85",
        "０３５１－３０４６５０５",
        stdout=out,
    )
    round_ = Round.objects.get(province=shanxi)
    assert round_.instructions == "第一条\n第二条"
    assert (round_.contact1_name, round_.contact1_phone) == ("张 少龙", "0351-3046505")
    with pytest.raises(CommandError, match=OTHER_SCRIPT):
        call_command(
            "open_round",
            "--province",
            "14",
            "--start",
            "2026-01-01",
            "--end",
            "2026-12-31",
            "--contact",
            "李老师",
            "0351-3046505".translate(ARABIC_INDIC),
            stdout=out,
        )
    assert Round.objects.get(province=shanxi).contact1_phone == "0351-3046505"


def test_create_admin_normalises_the_username(reference_data):
    call_command(
        "create_admin",
        "ｓｘ０１\x00",
        "--role",
        "province",
        "--province",
        "14",
        "--password",
        "Kaifang2026x",
        stdout=io.StringIO(),
    )
    assert User.objects.filter(username="sx01", province_id="14").exists()
    with pytest.raises(CommandError, match=OTHER_SCRIPT):
        call_command("create_admin", "sx٠٢", "--role", "ministry", "--password", "Kaifang2026x")
    with pytest.raises(CommandError, match="用户名不能为空"):
        call_command("create_admin", "\x00\x0b", "--role", "ministry", "--password", "Kaifang2026x")


def test_import_command_cleans_every_cell(shanxi, tmp_path):
    path = tmp_path / "schools.csv"
    path.write_bytes(
        '学校标识码,学校名称,学校类型,所在地市\r\n"\x004114088880\x0b","甲\x0b学院\x00","中职\x7f学校","太原\u2028市"\r\n'.encode()
    )
    call_command("import_schools", str(path), "--province", "14", stdout=io.StringIO())
    school = School.objects.get(code="4114088880")
    assert (school.name, school.kind, school.city) == ("甲 学院", SchoolKind.SECONDARY, "太原 市")
    assert User.objects.filter(username="4114088880", school=school).exists()
