"""必选任务 through Django's client: the round's page lists, adds and removes rules; the school's
承接任务 marks required rows and 提交 names what is missing."""

import re

import pytest

from schools.choices import AuditAction, SchoolKind
from schools.models import Province
from tasks.choices import DeclarationStatus
from tasks.models import AuditEvent, Declaration, Item, RequiredItem
from tests.conftest import client_for
from tests.factories import SchoolFactory, SchoolUserFactory
from tests.html_checks import check_page
from tests.tasks.conftest import item
from tests.tasks.helpers import full_fields, post_data

pytestmark = pytest.mark.django_db
ROUND = "/province/round/"
SET = "/province/round/required/"
REMOVE = "/province/round/required/remove/"
FORM = "/school/commitments/"


def targets(round_):
    return sorted(
        (t.item.code, t.kind, t.school_id or "")
        for t in RequiredItem.objects.filter(round=round_).select_related("item")
    )


@pytest.fixture
def admin_client(province_admin):
    return client_for(province_admin)


# -- the round's page -------------------------------------------------------------------------


def test_round_page_lists_the_rules(admin_client, open_round, province_admin, shanxi):
    named = SchoolFactory(province=shanxi, name="河南高水平中职学校甲")
    open_round.set_requirement(
        item("7.1"),
        kinds=[SchoolKind.JUNIOR_COLLEGE, SchoolKind.UNDERGRADUATE],
        school_codes=[named.code],
        by=province_admin,
    )
    html = admin_client.get(ROUND).content.decode()
    assert "必选任务" in html and "添加必选任务" in html
    assert "专科高职院校、本科高职院校" in html
    assert f"1所：河南高水平中职学校甲（{named.code}）" in html
    assert f"{SET}?item=7.1" in html
    assert html.count(f'action="{REMOVE}"') == 1
    check_page(html, names=(province_admin.username,))


def test_round_page_without_rules(admin_client, open_round):
    html = admin_client.get(ROUND).content.decode()
    assert "尚未设置必选任务。" in html


def test_add_a_rule_with_kinds_and_a_pasted_list(admin_client, open_round, shanxi):
    a, b = SchoolFactory(province=shanxi), SchoolFactory(province=shanxi)
    full_width_a = a.code.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    response = admin_client.post(
        SET,
        {
            "item": str(item("7.1").pk),
            "kinds": [SchoolKind.JUNIOR_COLLEGE],
            "schools": f"{full_width_a}\r\n{b.code}，{a.code}\n",
        },
    )
    assert response.status_code == 302 and response["Location"] == ROUND
    assert targets(open_round) == [
        ("7.1", "", a.code),
        ("7.1", "", b.code),
        ("7.1", SchoolKind.JUNIOR_COLLEGE, ""),
    ]
    assert "已设置7.1为必选任务。" in admin_client.get(ROUND).content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.REQUIREMENT_SET).count() == 1


def test_the_set_page_opens_an_existing_rule(admin_client, open_round, province_admin, shanxi):
    named = SchoolFactory(province=shanxi)
    open_round.set_requirement(
        item("7.1"), kinds=[SchoolKind.OTHER], school_codes=[named.code], by=province_admin
    )
    html = admin_client.get(f"{SET}?item=7.1").content.decode()
    assert re.search(rf'<option value="{item("7.1").pk}" selected>', html)
    assert re.search(r'value="other"[^>]*checked', html)
    assert f">\n{named.code}</textarea>" in html
    check_page(html, names=(province_admin.username, named.code))


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("unknown code", "以下学校标识码不存在：1499999999。请核对后重新填写。"),
        ("other province", "以下学校不属于本省，不能设为必选：{foreign}。"),
        ("item not offered", "所选任务（项目）不是本省开放承接的任务，请重新选择。"),
        ("nothing chosen", "请至少选择一种学校类型，或填写至少一所学校的学校标识码。"),
        ("no item", "请选择任务（项目）。"),
    ],
)
def test_bad_rules_are_refused_with_the_form_kept(admin_client, open_round, shanxi, case, message):
    foreign = SchoolFactory(province=Province.objects.get(code="41"))
    typed = {
        "unknown code": "1499999999",
        "other province": foreign.code,
        "item not offered": "",
        "nothing chosen": "",
        "no item": "",
    }[case]
    data = {
        "item": {"item not offered": str(item("5").pk), "no item": ""}.get(
            case, str(item("7.1").pk)
        ),
        "kinds": [SchoolKind.OTHER] if case in {"item not offered", "no item"} else [],
        "schools": f"{typed}\n",
    }
    response = admin_client.post(SET, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert message.format(foreign=foreign.code) in html
    if typed:
        assert f">\n{typed}\n</textarea>" in html
    assert "data-unsaved" in html
    assert targets(open_round) == []
    assert not AuditEvent.objects.filter(action=AuditAction.REQUIREMENT_SET).exists()


def test_remove_a_rule(admin_client, open_round, province_admin):
    open_round.set_requirement(
        item("7.1"), kinds=[SchoolKind.OTHER], school_codes=[], by=province_admin
    )
    response = admin_client.post(REMOVE, {"item": str(item("7.1").pk)})
    assert response.status_code == 302
    assert targets(open_round) == []
    assert "已移除7.1的必选要求。" in admin_client.get(ROUND).content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.REQUIREMENT_REMOVE).count() == 1


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        ("7.1", "7.1没有必选要求，可能已被其他人移除。请刷新页面。"),
        ("5", "所选任务（项目）不是本省开放承接的任务，没有移除任何要求。"),
        ("junk", "所选任务（项目）不是本省开放承接的任务，没有移除任何要求。"),
    ],
)
def test_bad_removals_are_refused(admin_client, open_round, posted, message):
    value = "x1" if posted == "junk" else str(item(posted).pk)
    response = admin_client.post(REMOVE, {"item": value})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not AuditEvent.objects.filter(action=AuditAction.REQUIREMENT_REMOVE).exists()


def test_another_province_cannot_touch_the_rules(open_round, province_admin, other_province_admin):
    open_round.set_requirement(
        item("7.1"), kinds=[SchoolKind.OTHER], school_codes=[], by=province_admin
    )
    client = client_for(other_province_admin)
    # 河南 has no round: its pages act on its own round only, never 山西's.
    assert client.post(REMOVE, {"item": str(item("7.1").pk)}).status_code == 400
    response = client.post(SET, {"item": str(item("7.1").pk), "kinds": ["secondary"]})
    assert response.status_code == 302 and response["Location"] == ROUND
    assert targets(open_round) == [("7.1", SchoolKind.OTHER, "")]


@pytest.mark.parametrize("path", [SET, REMOVE])
def test_a_school_cannot_reach_the_rule_pages(open_round, school_user, path):
    response = client_for(school_user).post(path, {"item": str(item("7.1").pk), "kinds": ["other"]})
    assert response.status_code == 403
    assert targets(open_round) == []


def test_removing_a_required_item_from_the_offer_is_refused(
    admin_client, open_round, province_admin
):
    from tests.review.test_round_settings import settings_data

    open_round.set_requirement(
        item("7.1"), kinds=[SchoolKind.OTHER], school_codes=[], by=province_admin
    )
    data = settings_data(open_round, instructions="新的说明")
    data["items"] = [pk for pk in data["items"] if pk != str(item("7.1").pk)]
    response = admin_client.post(ROUND, data)
    assert response.status_code == 409
    html = response.content.decode()
    assert "以下任务（项目）已设为必选，不能取消开放：7.1。" in html
    assert "新的说明" in html
    open_round.refresh_from_db()
    assert open_round.items.filter(pk=item("7.1").pk).exists()
    assert open_round.instructions != "新的说明"


# -- the school's form ------------------------------------------------------------------------


@pytest.fixture
def school_client(school_user, open_round):
    return client_for(school_user)


def test_the_form_marks_required_rows(school_client, open_round, province_admin, school_user):
    open_round.set_requirement(
        item("7.1"), kinds=[school_user.school.kind], school_codes=[], by=province_admin
    )
    open_round.set_requirement(
        item("3.2"), kinds=[], school_codes=[school_user.school.code], by=province_admin
    )
    open_round.set_requirement(
        item("1"), kinds=[SchoolKind.OTHER], school_codes=[], by=province_admin
    )
    html = school_client.get(FORM).content.decode()
    assert "本省要求本校承接以下任务（项目），提交前须勾选并填写：3.2、7.1" in html
    assert html.count('必选<span class="visually-hidden">：本省要求本校承接</span>') == 2
    row_71 = re.search(r"<th scope=\"row\">7\.1([^<]*)<span", html)
    assert row_71 is not None
    assert not re.search(r"<th scope=\"row\">1 <span", html)
    check_page(html, names=(school_user.username,))


def test_a_school_without_rules_sees_no_marker(school_client, open_round, province_admin):
    open_round.set_requirement(
        item("7.1"), kinds=[SchoolKind.OTHER], school_codes=[], by=province_admin
    )
    html = school_client.get(FORM).content.decode()
    assert "本省要求本校承接" not in html and "必选" not in html


def test_submit_without_a_required_item_is_refused_with_the_input_kept(
    school_client, open_round, province_admin, school_user
):
    open_round.set_requirement(
        item("7.1"), kinds=[school_user.school.kind], school_codes=[], by=province_admin
    )
    declaration = Declaration.for_school(school_user.school, open_round)
    data = post_data(declaration, {"1": full_fields("1", school_funds="7.5")}, action="submit")
    response = school_client.post(FORM, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "本省要求本校承接以下任务（项目）：7.1，请勾选并填写后再提交。" in html
    assert 'value="7.5"' in html
    assert not Declaration.objects.filter(
        school=school_user.school, status=DeclarationStatus.SUBMITTED
    ).exists()
    data = post_data(
        declaration, {"1": full_fields("1"), "7.1": full_fields("7.1")}, action="submit"
    )
    assert school_client.post(FORM, data).status_code == 302
    assert Declaration.objects.get(school=school_user.school).status == DeclarationStatus.SUBMITTED


# -- query counts ---------------------------------------------------------------------------------


def offered_codes(round_, count):
    return list(
        Item.objects.filter(rounds=round_)
        .order_by("task__number", "sub_number")
        .values_list("code", flat=True)[:count]
    )


def count(client, path, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit) as context:
        response = client.get(path)
    assert response.status_code == 200
    return len(context.captured_queries), response.content.decode()


def test_round_page_queries_do_not_grow_with_rules(
    admin_client, open_round, province_admin, shanxi, django_assert_max_num_queries
):
    first = SchoolFactory(province=shanxi)
    open_round.set_requirement(
        item("1"), kinds=[SchoolKind.OTHER], school_codes=[first.code], by=province_admin
    )
    small, html = count(admin_client, ROUND, django_assert_max_num_queries, 30)
    assert html.count(f'action="{REMOVE}"') == 1
    schools = [SchoolFactory(province=shanxi).code for _ in range(30)]
    for code in offered_codes(open_round, 30):
        open_round.set_requirement(
            item(code), kinds=list(SchoolKind.values), school_codes=schools, by=province_admin
        )
    large, html = count(admin_client, ROUND, django_assert_max_num_queries, small)
    assert html.count(f'action="{REMOVE}"') == 30
    assert large == small


def test_form_queries_do_not_grow_with_rules(
    open_round, province_admin, shanxi, django_assert_max_num_queries
):
    user = SchoolUserFactory(school__province=shanxi, school__kind=SchoolKind.SECONDARY)
    client = client_for(user)
    open_round.set_requirement(
        item("1"), kinds=[SchoolKind.SECONDARY], school_codes=[], by=province_admin
    )
    small, html = count(client, FORM, django_assert_max_num_queries, 30)
    assert html.count('visually-hidden">：本省要求本校承接') == 1
    for code in offered_codes(open_round, 30):
        open_round.set_requirement(
            item(code),
            kinds=[SchoolKind.SECONDARY],
            school_codes=[user.school.code],
            by=province_admin,
        )
    large, html = count(client, FORM, django_assert_max_num_queries, small)
    assert html.count('visually-hidden">：本省要求本校承接') == 30
    assert large == small


def test_the_returned_items_page_marks_a_required_item(open_round, province_admin, shanxi):
    from tests.review.helpers import school_in_state

    school = school_in_state(shanxi, open_round, "returned", province_admin)
    client = client_for(school.account)
    assert "必选" not in client.get("/school/returned/").content.decode()
    open_round.set_requirement(item("3.2"), kinds=[], school_codes=[school.code], by=province_admin)
    html = client.get("/school/returned/").content.decode()
    assert '3.2 <span class="badge text-bg-warning">必选' in html
    check_page(html, names=(school.account.username,))
