"""The audit trail: every change of any object leaves a record with who, when, from where,
the action and old → new; 操作记录 shows a province its own trail and the ministry all of it."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from openpyxl import Workbook

from schools.choices import AuditAction
from schools.models import Province, School, User
from tasks.choices import MailStatus
from tasks.models import AuditEvent, Item, Mail, Plan, ReportingYear, Round, Task
from tasks.transitions import beijing_today
from tests.conftest import client_for
from tests.factories import (
    MinistryUserFactory,
    ProvinceAdminFactory,
    SchoolUserFactory,
    UserFactory,
)
from tests.html_checks import check_page
from tests.review.helpers import open_round_for, school_in_state
from tests.samples import PDF

pytestmark = pytest.mark.django_db


def only_event(subject, action):
    events = list(AuditEvent.objects.for_subject(subject).filter(action=action))
    assert len(events) == 1, [e.describe() for e in AuditEvent.objects.all()]
    return events[0]


@pytest.fixture
def admin(reference_data):
    return ProvinceAdminFactory(province=Province.objects.get(code="14"))


# -- rounds, deadlines, reporting years --------------------------------------------------------


def test_round_settings_are_recorded_with_old_and_new(admin):
    client = client_for(admin)
    today = beijing_today()
    data = {
        "start_date": str(today),
        "end_date": str(today + timedelta(days=10)),
        "instructions": "请按时填报",
        "contact1_name": "张老师",
        "contact1_phone": "0351-3046505",
        "items": [i.pk for i in Item.objects.filter(task__plan_id=1, code__in=["1", "2"])],
    }
    assert client.post("/province/round/", data, REMOTE_ADDR="10.1.2.3").status_code == 302
    round_ = Round.objects.get(province_id="14")
    opened = only_event(round_, AuditAction.ROUND_OPEN)
    assert (opened.user, opened.ip, opened.province_id) == (admin, "10.1.2.3", "14")
    data.update(end_date=str(today + timedelta(days=20)), items=[data["items"][0]])
    assert client.post("/province/round/", data).status_code == 302
    changed = only_event(round_, AuditAction.ROUND_CHANGE)
    old_end, new_end = changed.changes["fields"]["结束日期"]
    assert (old_end, new_end) == (str(today + timedelta(days=10)), str(today + timedelta(days=20)))
    assert changed.changes["removed"] == ["2"]
    assert "结束日期" in changed.describe() and "取消开放 2" in changed.describe()


def test_open_round_command_is_recorded_and_refuses_to_drop_used_provincial_funds(admin):
    today = beijing_today()
    args = ["--province", "14", "--start", str(today), "--end", str(today + timedelta(days=9))]
    call_command("open_round", *args, "--provincial-funds", stdout=io.StringIO())
    round_ = Round.objects.get(province_id="14")
    event = only_event(round_, AuditAction.ROUND_OPEN)
    assert (event.user, event.actor) == (None, "命令行 open_round")
    school = school_in_state(round_.province, round_, "filling", admin)
    declaration = school.declarations.get()
    item = declaration.commitments.get().item
    from tests.tasks.helpers import row

    declaration.save_draft(
        by=school.account,
        rows={item.pk: row(school_funds=1, provincial_funds=2)},
        contacts=None,
        version=declaration.version,
    )
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match=school.name):
        call_command("open_round", *args, "--no-provincial-funds", stdout=io.StringIO())
    round_.refresh_from_db()
    assert round_.uses_provincial_funds


def test_province_deadline_and_opening_a_year_are_recorded(admin):
    ministry = MinistryUserFactory()
    response = client_for(ministry).post(
        "/ministry/reporting/", {"plan": 1, "year": 2021, "deadline": ""}
    )
    assert response.status_code == 302
    year = ReportingYear.objects.get(year=2021)
    event = only_event(year, AuditAction.YEAR_OPEN)
    assert event.user == ministry and "截止日期" in event.describe()
    earlier = year.deadline - timedelta(days=5)
    client = client_for(admin)
    client.post(f"/province/reporting/{year.pk}/deadline/", {"deadline": str(earlier)})
    client.post(f"/province/reporting/{year.pk}/deadline/", {"deadline": ""})
    events = list(
        AuditEvent.objects.for_subject(year).filter(action=AuditAction.DEADLINE_SET).order_by("pk")
    )
    assert [e.changes["fields"]["本省截止日期"] for e in events] == [
        [None, f"{earlier:%Y-%m-%d}"],
        [f"{earlier:%Y-%m-%d}", None],
    ]
    assert {e.province_id for e in events} == {"14"}


def test_summary_upload_is_recorded(admin, private_files):
    year = ReportingYear.objects.create(plan_id=1, year=2021, deadline=beijing_today())
    task = Task.objects.get(plan_id=1, number=7)
    client_for(admin).post(
        f"/province/reporting/{year.pk}/summary/",
        {"task": task.pk, "file": SimpleUploadedFile("总结.pdf", PDF)},
    )
    event = AuditEvent.objects.get(action=AuditAction.SUMMARY_UPLOAD)
    assert (event.province_id, event.changes["file"]) == ("14", "总结.pdf")


# -- schools and accounts ----------------------------------------------------------------------


def test_adding_and_importing_schools_is_recorded(admin):
    client = client_for(admin)
    response = client.post(
        "/province/accounts/add/",
        {"code": "1414000099", "name": "新学校", "kind": "secondary", "city": "太原市"},
    )
    assert response.status_code == 302
    school = School.objects.get(code="1414000099")
    added = only_event(school, AuditAction.SCHOOL_ADD)
    assert added.changes["fields"]["学校名称"] == [None, "新学校"]
    account_event = only_event(school.account, AuditAction.ACCOUNT_CREATE)
    assert (account_event.school_id, account_event.province_id) == (school.code, "14")

    book = Workbook()
    sheet = book.active
    sheet.append(["学校标识码", "学校名称", "学校类型", "所在地市"])
    sheet.append(["1414000099", "新学校（更名）", "中职学校", "太原市"])
    sheet.append(["1414000100", "又一所学校", "其他主体", ""])
    buffer = io.BytesIO()
    book.save(buffer)
    upload = SimpleUploadedFile("schools.xlsx", buffer.getvalue())
    assert client.post("/province/accounts/import/", {"file": upload}).status_code == 302
    renamed = only_event(school, AuditAction.SCHOOL_CHANGE)
    assert renamed.changes["fields"]["学校名称"] == ["新学校", "新学校（更名）"]
    assert renamed.user == admin
    only_event(School.objects.get(code="1414000100"), AuditAction.SCHOOL_ADD)


def test_import_command_is_recorded_as_the_command(reference_data, tmp_path):
    path = tmp_path / "schools.csv"
    path.write_text("学校标识码,学校名称,学校类型\n1414000101,命令行学校,中职学校\n", "utf-8")
    call_command("import_schools", str(path), "--province", "14", stdout=io.StringIO())
    event = only_event(School.objects.get(code="1414000101"), AuditAction.SCHOOL_ADD)
    assert (event.user, event.actor, event.province_id) == (None, "命令行 import_schools", "14")


def test_account_actions_are_recorded(admin):
    account = SchoolUserFactory(school__province=admin.province)
    client = client_for(admin)
    code = account.school.code
    client.post(
        f"/province/accounts/{code}/reset-password/", {"confirmed": "1"}, REMOTE_ADDR="10.0.0.9"
    )
    client.post(f"/province/accounts/{code}/active/", {"active": "0", "confirmed": "1"})
    client.post(f"/province/accounts/{code}/active/", {"active": "1"})
    actions = list(
        AuditEvent.objects.for_subject(account).order_by("pk").values_list("action", "ip")
    )
    assert actions == [
        (AuditAction.PASSWORD_RESET, "10.0.0.9"),
        (AuditAction.ACCOUNT_DEACTIVATE, "127.0.0.1"),
        (AuditAction.ACCOUNT_ACTIVATE, "127.0.0.1"),
    ]
    recorded = AuditEvent.objects.exclude(action=AuditAction.REFERENCE_LOAD)
    assert set(recorded.values_list("school_id", flat=True)) == {code}


def test_ministry_creates_resets_and_deactivates_province_admins_on_record(reference_data):
    ministry = MinistryUserFactory()
    client = client_for(ministry)
    response = client.post(
        "/ministry/admins/new/", {"username": "hn01", "province": "41", "password": "Henan2020hn01"}
    )
    assert response.status_code == 302
    created = User.objects.get(username="hn01")
    assert created.must_change_password
    event = only_event(created, AuditAction.ACCOUNT_CREATE)
    assert (event.user, event.province_id) == (ministry, "41")
    client.post(f"/ministry/admins/{created.pk}/reset/", {"confirmed": "1"})
    client.post(f"/ministry/admins/{created.pk}/active/", {"active": "0", "confirmed": "1"})
    only_event(created, AuditAction.PASSWORD_RESET)
    only_event(created, AuditAction.ACCOUNT_DEACTIVATE)


def test_contact_edits_and_password_changes_are_recorded(reference_data):
    account = SchoolUserFactory(school__province=Province.objects.get(code="14"))
    client = client_for(account)
    response = client.post(
        "/school/profile/",
        {"contact_name": "王老师", "office_phone": "0351-7654321", "mobile": "13900000000"},
    )
    assert response.status_code == 302
    event = only_event(account.school, AuditAction.CONTACTS_CHANGE)
    assert event.changes["contacts"]["contact_name"] == ["张老师", "王老师"]
    assert "平台管理联系人 张老师→王老师" in event.describe()
    response = client.post(
        "/account/password/",
        {
            "old_password": "Zhiye2026Pw",
            "new_password1": "Newpass2021",
            "new_password2": "Newpass2021",
            "contact_name": "王老师",
            "office_phone": "0351-7654321",
            "mobile": "13900000001",
        },
    )
    assert response.status_code == 302
    changed = only_event(account, AuditAction.PASSWORD_CHANGE)
    assert "Newpass2021" not in str(changed.changes)
    assert AuditEvent.objects.for_subject(account.school).count() == 2


# -- the catalogue and Django admin ------------------------------------------------------------


def test_catalogue_edits_record_old_and_new(reference_data):
    ministry = MinistryUserFactory()
    item = Item.objects.get(task__plan_id=1, code="10")
    task = item.task
    client = client_for(ministry)
    response = client.post(
        f"/ministry/catalogue/tasks/{task.pk}/edit/",
        {
            "category": task.category_id,
            "number": "10",
            "text": task.text,
            "departments": "教育部（修订）",
            "on_platform": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    response = client.post(
        f"/ministry/catalogue/items/{item.pk}/edit/",
        {
            "code": "10",
            "sub_number": "0",
            "text": item.text + "（修订）",
            "scope": "school",
            **({"has_quantity": "on"} if item.has_quantity else {}),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    task_event = only_event(task, AuditAction.ENTRY_CHANGE)
    assert task_event.changes["fields"] == {"责任部门": [task.departments, "教育部（修订）"]}
    item_event = only_event(item, AuditAction.ENTRY_CHANGE)
    assert item_event.changes["fields"] == {"工作任务": [item.text, item.text + "（修订）"]}
    assert item_event.user == ministry and item_event.ip == "127.0.0.1"
    # The ministry's 操作记录 shows them.
    html = client.get("/ministry/audit/").content.decode()
    assert "教育部（修订）" in html


def test_making_a_plan_current_records_the_retired_plan(reference_data):
    ministry = MinistryUserFactory()
    response = client_for(ministry).post(
        "/ministry/catalogue/plans/add/",
        {
            "code": "reform-2023",
            "name": "职业教育改革重点任务（2023年）",
            "document_no": "",
            "start_year": "2023",
            "end_year": "2025",
            "is_current": "on",
            "report_deadline_month": "12",
            "report_deadline_day": "15",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    new = Plan.objects.get(code="reform-2023")
    only_event(new, AuditAction.ENTRY_ADD)
    retired = only_event(Plan.objects.get(pk=1), AuditAction.ENTRY_CHANGE)
    assert retired.changes["fields"]["当前计划"] == [True, False]


def test_catalogue_deletions_are_recorded(reference_data):
    ministry = MinistryUserFactory()
    item = Item.objects.get(task__plan_id=1, code="3.3")
    response = client_for(ministry).post(
        f"/ministry/catalogue/items/{item.pk}/delete/", {"confirmed": "1"}
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action=AuditAction.ENTRY_DELETE)
    assert (event.user, event.changes["note"]) == (ministry, str(item))


def test_operator_edits_in_django_admin_are_recorded(reference_data):
    operator = UserFactory(username="ops", role="operator", is_staff=True, is_superuser=True)
    school = SchoolUserFactory(school__province=Province.objects.get(code="14")).school
    response = client_for(operator).post(
        f"/admin/schools/school/{school.code}/change/",
        {
            "code": school.code,
            "name": "改名后的学校",
            "kind": school.kind,
            "province": "14",
            "city": school.city,
            "contact_name": school.contact_name,
            "office_phone": school.office_phone,
            "mobile": school.mobile,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    event = only_event(school, AuditAction.ENTRY_CHANGE)
    assert event.changes["fields"]["学校名称"] == [school.name, "改名后的学校"]


def test_operators_read_the_trail_in_admin_but_cannot_edit_it(admin):
    operator = UserFactory(username="ops", role="operator", is_staff=True, is_superuser=True)
    account = SchoolUserFactory(school__province=admin.province)
    account.reset_password(by=admin)
    event = AuditEvent.objects.get(action=AuditAction.PASSWORD_RESET)
    client = client_for(operator)
    assert client.get("/admin/tasks/auditevent/").status_code == 200
    page = client.get(f"/admin/tasks/auditevent/{event.pk}/change/")
    assert page.status_code == 200 and "重置密码" in page.content.decode()
    assert client.post(f"/admin/tasks/auditevent/{event.pk}/delete/").status_code == 403
    assert client.get("/admin/tasks/auditevent/add/").status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_operators_see_the_mail_outbox_in_admin_read_only(admin):
    operator = UserFactory(username="ops", role="operator", is_staff=True, is_superuser=True)
    mail = Mail.objects.create(
        user=admin, to="sx@example.cn", subject="【提质培优管理平台】测试", body="正文", key="k1"
    )
    Mail.objects.filter(pk=mail.pk).update(status=MailStatus.FAILED, error="SMTPConnectError: 拒绝")
    client = client_for(operator)
    page = client.get("/admin/tasks/mail/?status=failed").content.decode()
    assert "sx@example.cn" in page and "SMTPConnectError: 拒绝" in page
    assert client.post(f"/admin/tasks/mail/{mail.pk}/delete/").status_code == 403
    assert client.get("/admin/tasks/mail/add/").status_code == 403


# -- 操作记录 -------------------------------------------------------------------------------------


@pytest.fixture
def trail(reference_data):
    """Records in 山西 (a review cycle, account actions) and in 河南."""
    sx, hn = open_round_for("14"), open_round_for("41")
    sx_admin = ProvinceAdminFactory(province=sx.province, username="sx_admin")
    hn_admin = ProvinceAdminFactory(province=hn.province, username="hn_admin")
    returned = school_in_state(sx.province, sx, "returned", sx_admin, name="甲职业学院")
    other = school_in_state(sx.province, sx, "submitted", sx_admin, name="乙职业学院")
    school_in_state(hn.province, hn, "approved", hn_admin, name="河南学院")
    other.account.reset_password(by=sx_admin)
    return {"sx_admin": sx_admin, "hn_admin": hn_admin, "returned": returned, "other": other}


def test_province_sees_only_its_own_trail(trail):
    response = client_for(trail["sx_admin"]).get("/province/audit/")
    assert response.status_code == 200
    html = response.content.decode()
    check_page(html, names=("sx_admin",))
    assert "甲职业学院" in html and "乙职业学院" in html and "河南学院" not in html
    assert "修改意见：请核实" in html and "重置密码" in html
    assert "<form" in html and 'method="post"' not in html.split("<main", 1)[1]


def test_ministry_sees_every_province_and_filters(trail):
    client = client_for(MinistryUserFactory())
    html = client.get("/ministry/audit/").content.decode()
    assert "甲职业学院" in html and "河南学院" in html
    html = client.get("/ministry/audit/", {"province": "41"}).content.decode()
    assert "河南学院" in html and "甲职业学院" not in html


@pytest.mark.parametrize(
    ("params", "shown", "hidden"),
    [
        ({"action": "return"}, ["修改意见：请核实"], ["重置密码"]),
        ({"user": "sx_admin", "action": "password_reset"}, ["重置密码"], ["修改意见"]),
        ({"school": "returned"}, ["甲职业学院"], ["乙职业学院"]),
        ({"since": "today", "until": "today"}, ["甲职业学院"], []),
        ({"until": "yesterday"}, ["没有符合条件的记录"], ["甲职业学院", "重置密码"]),
    ],
)
def test_filters(trail, params, shown, hidden):
    today = beijing_today()
    values = {
        "returned": trail["returned"].code,
        "today": str(today),
        "yesterday": str(today - timedelta(days=1)),
    }
    query = {k: values.get(v, v) for k, v in params.items()}
    html = client_for(trail["sx_admin"]).get("/province/audit/", query).content.decode()
    html = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    for text in shown:
        assert text in html
    for text in hidden:
        assert text not in html


@pytest.mark.parametrize(
    "params",
    [
        {"school": "12345"},
        {"action": "nonsense"},
        {"since": "2026-13-45"},
        {"since": "2026-05-02", "until": "2026-05-01"},
        {"school": "٣" * 10},
    ],
)
def test_bad_filters_get_400_with_a_message(trail, params):
    response = client_for(trail["sx_admin"]).get("/province/audit/", params)
    assert response.status_code == 400
    assert "筛选条件有误" in response.content.decode()


def test_other_roles_cannot_read_the_trail(trail):
    school = client_for(trail["returned"].account)
    assert school.get("/province/audit/").status_code == 403
    assert school.get("/ministry/audit/").status_code == 403
    assert client_for(trail["sx_admin"]).get("/ministry/audit/").status_code == 403
    assert client_for(MinistryUserFactory()).get("/province/audit/").status_code == 403


def test_nothing_in_the_ui_edits_the_trail(trail):
    client = client_for(trail["sx_admin"])
    before = AuditEvent.objects.count()
    assert client.post("/province/audit/", {"action": "return"}).status_code == 405
    assert AuditEvent.objects.count() == before


def test_audit_page_query_count_does_not_grow(trail, django_assert_max_num_queries):
    client = client_for(trail["sx_admin"])
    client.get("/province/audit/")  # warm the content-type cache
    with django_assert_max_num_queries(8) as small:
        client.get("/province/audit/")
    admin = trail["sx_admin"]
    province = admin.province
    round_ = Round.objects.get(province=province)
    for _ in range(30):
        school_in_state(province, round_, "approved", admin)
    for school in School.objects.filter(province=province):
        school.account.reset_password(by=admin)
    assert AuditEvent.objects.filter(province=province).count() > 90
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get("/province/audit/")
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get("/province/audit/", {"page": "3"})
