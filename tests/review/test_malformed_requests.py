"""Requests that used to end in a 500: a NUL in a search box, a filter, a path or a comment;
"²" or 5,000 digits in a hidden integer; an XML entity in an uploaded workbook; an
X-Forwarded-For that is not an address. Each is now refused with a 4xx and a Chinese message
(or, for text, cleaned), and nothing stored changes."""

import io
import zipfile
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook

from schools.models import School
from tasks.choices import AuditAction, ReviewStatus
from tasks.models import AuditEvent, Commitment, Declaration, ReportingYear, UnitReport
from tasks.transitions import beijing_today
from tests.conftest import captcha_answer, client_for
from tests.factories import MinistryUserFactory
from tests.review.helpers import school_in_state
from tests.samples import PDF
from tests.tasks.helpers import full_fields, post_data

pytestmark = pytest.mark.django_db

SUPERSCRIPT = "²"  # "²".isdigit() is True, int("²") raises
LONG = "9" * 5000  # int() refuses more than 4,300 digits
BAD_INTEGERS = [SUPERSCRIPT, LONG, "٣", "-1", "1.0", " 1"]


@pytest.fixture
def admin(province_admin) -> Client:
    return client_for(province_admin)


@pytest.fixture
def ministry(reference_data) -> Client:
    return client_for(MinistryUserFactory())


@pytest.fixture
def returned(shanxi, open_round, province_admin) -> School:
    """A school with item 1 approved and 3.2 returned."""
    return school_in_state(shanxi, open_round, "returned", province_admin)


# -- search boxes and filters -----------------------------------------------------------------


@pytest.mark.parametrize("path", ["/province/", "/province/accounts/"])
def test_nul_in_a_search_box_is_removed_and_the_search_runs(admin, returned, path):
    response = admin.get(path, {"q": returned.code[:6] + "\x00"})
    assert response.status_code == 200
    assert response.context["query"] == returned.code[:6]
    assert [s.code for s in response.context["page"]] == [returned.code]


def test_a_search_box_is_capped(admin, returned):
    response = admin.get("/province/", {"q": "职" * 5000})
    assert response.status_code == 200 and len(response.context["query"]) == 50


@pytest.mark.parametrize("name", ["status", "kind", "sort", "page"])
@pytest.mark.parametrize("value", ["\x00", "returned\x00", "\x00' OR 1=1", SUPERSCRIPT, LONG])
def test_province_filters_with_nul_or_junk_fall_back(admin, returned, name, value):
    response = admin.get("/province/", {name: value})
    assert response.status_code == 200
    assert returned.code in response.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/ministry/",
        "/ministry/tables/provinces/",
        "/ministry/tables/items/",
        "/ministry/exports/",
        "/ministry/provinces/14/",
        "/catalogue/",
    ],
)
@pytest.mark.parametrize("name", ["plan", "province", "kind", "status", "basis", "page", "q"])
@pytest.mark.parametrize("value", ["\x00", "14\x00", "\x001", LONG])
def test_ministry_filters_with_nul_or_junk_fall_back(ministry, returned, path, name, value):
    response = ministry.get(path, {name: value})
    if path == "/catalogue/" and name == "plan":
        # An unknown plan is a 404 there, as before.
        assert response.status_code in {200, 404}
        return
    assert response.status_code == 200
    if "filters" in response.context:
        assert response.context["filters"].province in {"", "14"}


def test_reporting_status_filter_with_nul(admin, reference_data):
    year = ReportingYear.objects.create(
        plan_id=1, year=2021, deadline=beijing_today() + timedelta(days=10)
    )
    response = admin.get(f"/province/reporting/{year.pk}/", {"status": "draft\x00", "page": LONG})
    assert response.status_code == 200


# -- path segments ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/province/schools/%00/",
        "/province/schools/4114%000001/",
        "/province/schools/%0b/review/",
        "/province/accounts/%00/active/",
        "/ministry/provinces/%00/",
        "/province/%C2%85/",
    ],
)
def test_control_characters_in_a_path_get_a_chinese_400(admin, path):
    response = admin.get(path)
    assert response.status_code == 400
    assert "网址或请求头中含有无法识别的控制字符" in response.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/province/schools/41140/",
        "/province/schools/４１１４０００００１/",
        "/province/schools/411400000１/",
        "/province/schools/" + LONG + "/",
        "/province/reporting/1/schools/x/",
        "/ministry/provinces/1/",
        "/ministry/provinces/１４/",
        "/ministry/provinces/14/schools/abc/",
    ],
)
def test_malformed_codes_in_a_path_are_404_before_any_query(admin, ministry, path):
    client = ministry if path.startswith("/ministry/") else admin
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()
    # The session, the user and the page's navigation: no school is looked up.
    assert not [q for q in queries.captured_queries if "schools_school" in q["sql"]]


def test_a_control_character_in_a_header_gets_a_400(client, reference_data):
    response = client.get("/login/school/", HTTP_USER_AGENT="Mozilla\x00")
    assert response.status_code == 400
    assert not AccessAttempt.objects.exists()


# -- text: cleaned, or refused when nothing is left ---------------------------------------------


def test_nul_in_a_review_comment_is_removed(admin, returned):
    commitment = Commitment.objects.get(declaration__school=returned, item__code="1")
    admin.post(f"/province/schools/{returned.code}/review/", {"action": f"undo:{commitment.pk}"})
    response = admin.post(
        f"/province/schools/{returned.code}/review/",
        {"action": f"return:{commitment.pk}", f"comment-{commitment.pk}": "请\x00核实\x00"},
    )
    assert response.status_code == 302
    commitment.refresh_from_db()
    assert (commitment.review_status, commitment.comment) == (ReviewStatus.RETURNED, "请核实")


def test_a_review_comment_of_only_control_characters_is_refused(admin, returned):
    commitment = Commitment.objects.get(declaration__school=returned, item__code="1")
    admin.post(f"/province/schools/{returned.code}/review/", {"action": f"undo:{commitment.pk}"})
    response = admin.post(
        f"/province/schools/{returned.code}/review/",
        {"action": f"return:{commitment.pk}", f"comment-{commitment.pk}": "\x00\x0b\x85"},
    )
    assert response.status_code == 400
    assert "退回修改须填写修改意见" in response.content.decode()
    commitment.refresh_from_db()
    assert (commitment.review_status, commitment.comment) == (ReviewStatus.PENDING, "")


# -- hidden integers --------------------------------------------------------------------------


def _snapshot(declaration: Declaration) -> tuple:
    declaration.refresh_from_db()
    return (
        declaration.version,
        declaration.status,
        list(
            declaration.commitments.order_by("pk").values_list(
                "undertaken", "total", "review_status"
            )
        ),
    )


@pytest.mark.parametrize("version", BAD_INTEGERS)
def test_bad_version_on_the_commitment_form_is_a_400(client, school_user, open_round, version):
    client.force_login(school_user)
    declaration = Declaration.for_school(school_user.school, open_round)
    client.post("/school/commitments/", post_data(declaration, {"1": full_fields("1")}))
    declaration = Declaration.objects.get(school=school_user.school)
    before = _snapshot(declaration)
    data = post_data(declaration, {"1": full_fields("1", school_funds="7")}, version=version)
    data["version"] = version
    response = client.post("/school/commitments/", data)
    assert response.status_code == 400
    assert "请刷新页面后重新填写" in response.content.decode()
    assert _snapshot(declaration) == before


@pytest.mark.parametrize("version", BAD_INTEGERS)
def test_bad_version_on_the_returned_page_is_a_400(returned, version):
    declaration = Declaration.objects.get(school=returned)
    before = _snapshot(declaration)
    data = post_data(declaration, {"3.2": full_fields("3.2")}, action="save")
    data["version"] = version
    response = client_for(returned.account).post("/school/returned/", data)
    assert response.status_code == 400
    assert "请刷新页面后重新填写" in response.content.decode()
    assert _snapshot(declaration) == before


@pytest.mark.parametrize("version", BAD_INTEGERS)
def test_bad_version_on_the_provinces_own_form_is_a_400(admin, open_round, version):
    declaration = Declaration.for_province(open_round)
    data = post_data(declaration, {"5": full_fields("5")})
    for name in ("contact_name", "office_phone", "mobile"):
        data.pop(name)
    data["version"] = version
    response = admin.post("/province/own/", data)
    assert response.status_code == 400
    assert "请刷新页面后重新填写" in response.content.decode()
    assert not Declaration.objects.filter(round=open_round, school=None).exists()


@pytest.fixture
def reporting(returned) -> tuple[School, ReportingYear]:
    year = ReportingYear.objects.create(
        plan_id=1, year=2021, deadline=beijing_today() + timedelta(days=10)
    )
    return returned, year


@pytest.mark.parametrize("version", BAD_INTEGERS)
def test_bad_version_on_the_yearly_report_is_a_400(reporting, version):
    school, year = reporting
    commitment = Commitment.objects.get(declaration__school=school, item__code="1")
    response = client_for(school.account).post(
        f"/school/reporting/{year.pk}/",
        {
            "action": "save",
            "report": "new",
            "version": version,
            f"r{commitment.pk}-narrative": "按计划推进",
        },
    )
    assert response.status_code == 400
    assert "请刷新页面后重新填写" in response.content.decode()
    assert not UnitReport.objects.exists()


@pytest.mark.parametrize("value", [*BAD_INTEGERS, ""])
def test_bad_commitment_in_a_review_post_is_a_400(admin, returned, value):
    response = admin.post(
        f"/province/schools/{returned.code}/review/", {"action": f"approve:{value}"}
    )
    assert response.status_code == 400
    assert "页面数据有误" in response.content.decode()
    states = Commitment.objects.filter(declaration__school=returned).values_list(
        "review_status", flat=True
    )
    assert sorted(states) == [ReviewStatus.APPROVED, ReviewStatus.RETURNED]
    assert not AuditEvent.objects.filter(action=AuditAction.UNDO).exists()


@pytest.mark.parametrize("value", BAD_INTEGERS)
def test_bad_commitment_on_the_upload_form_is_a_400(reporting, value):
    school, year = reporting
    response = client_for(school.account).post(
        f"/school/reporting/{year.pk}/",
        {
            "action": f"evidence:{value}",
            "version": "0",
            "report": "new",
            f"evidence-{value}": SimpleUploadedFile("佐证.pdf", PDF),
        },
    )
    assert response.status_code == 400
    # The button names no row this page has; a 5,000-digit field name is refused earlier, by
    # the request parser, with the generic Chinese 400 page.
    html = response.content.decode()
    assert "请刷新页面后重试" in html or "提交的内容无法处理" in html
    assert not UnitReport.objects.exists()


# -- an XML entity in an uploaded workbook ----------------------------------------------------


def entity_xlsx() -> bytes:
    """A real .xlsx whose sheet declares a DOCTYPE with an entity and uses it in a cell."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["学校标识码", "学校名称", "学校类型", "所在地市"])
    sheet.append(["4114990009", "NAME", "中职学校", "太原市"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                text = text.replace(
                    "<worksheet",
                    '<!DOCTYPE worksheet [<!ENTITY x "学校名称很长很长">]><worksheet',
                    1,
                )
                assert "<t>NAME</t>" in text  # openpyxl writes inline strings
                text = text.replace("<t>NAME</t>", "<t>&x;</t>")
                data = text.encode()
            target.writestr(info, data)
    return out.getvalue()


def test_an_xlsx_with_an_xml_entity_is_refused_on_the_import_page(admin, shanxi):
    upload = SimpleUploadedFile("schools.xlsx", entity_xlsx())
    response = admin.post("/province/accounts/import/", {"file": upload})
    assert response.status_code == 400
    assert "无法读取文件" in response.content.decode()
    assert not School.objects.filter(code="4114990009").exists()


def test_an_xlsx_with_an_xml_entity_is_refused_by_the_command(shanxi, tmp_path):
    path = tmp_path / "schools.xlsx"
    path.write_bytes(entity_xlsx())
    err = io.StringIO()
    with pytest.raises(CommandError, match="未导入任何学校"):
        call_command("import_schools", str(path), "--province", "14", stderr=err)
    assert "无法读取文件" in err.getvalue()
    assert not School.objects.filter(code="4114990009").exists()


@pytest.mark.parametrize(
    "data",
    [b"PK\x03\x04broken", b"", b"<?xml version='1.0'?><x/>"],
    ids=["broken-zip", "empty", "not-a-zip"],
)
def test_an_unreadable_xlsx_is_a_400(admin, shanxi, data):
    response = admin.post(
        "/province/accounts/import/", {"file": SimpleUploadedFile("schools.xlsx", data)}
    )
    assert response.status_code == 400


# -- X-Forwarded-For that is not an address ---------------------------------------------------


def test_a_forwarded_for_that_is_not_an_ip_falls_back_on_sign_in(client, settings, school_user):
    settings.TRUSTED_PROXY_COUNT = 1
    page = client.get("/login/school/", REMOTE_ADDR="10.0.0.5")
    key, answer = captcha_answer(page.content.decode())
    response = client.post(
        "/login/school/",
        {
            "username": school_user.username,
            "password": "wrong-pass1",
            "captcha_0": key,
            "captcha_1": answer,
        },
        REMOTE_ADDR="10.0.0.5",
        HTTP_X_FORWARDED_FOR="not-an-ip",
    )
    assert response.status_code == 400 and "用户名或密码错误" in response.content.decode()
    attempt = AccessAttempt.objects.get()
    assert attempt.ip_address == "10.0.0.5"


@pytest.mark.parametrize(
    ("forwarded", "stored"),
    [
        ("not-an-ip", "10.0.0.5"),
        ("203.0.113.7:4431", "10.0.0.5"),
        ("fe80::1%eth0", "10.0.0.5"),
        ("1.2.3.4, x", "10.0.0.5"),
        ("203.0.113.7", "203.0.113.7"),
    ],
)
def test_a_forwarded_for_that_is_not_an_ip_falls_back_in_the_audit(
    settings, province_admin, returned, forwarded, stored
):
    settings.TRUSTED_PROXY_COUNT = 1
    commitment = Commitment.objects.get(declaration__school=returned, item__code="1")
    response = client_for(province_admin).post(
        f"/province/schools/{returned.code}/review/",
        {"action": f"undo:{commitment.pk}"},
        REMOTE_ADDR="10.0.0.5",
        HTTP_X_FORWARDED_FOR=forwarded,
    )
    assert response.status_code == 302
    assert AuditEvent.objects.get(action=AuditAction.UNDO).ip == stored
