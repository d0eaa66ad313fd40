"""The pages of extensions (延期): the school's 申请延期, the province's 延期申请 list, one
request's page (批准延期 / 不同意), 批准延期 for a school that did not ask, and 退回学校重新填报
after the end date with its new end date. Through Django's client, without JavaScript."""

import re
from datetime import timedelta

import pytest

from tasks.choices import DeclarationStatus, ExtensionStatus
from tasks.models import AuditEvent, Declaration, Extension
from tasks.transitions import beijing_today
from tests.conftest import client_for
from tests.factories import MinistryUserFactory, SchoolUserFactory
from tests.html_checks import check_page
from tests.review.helpers import school_in_state

pytestmark = pytest.mark.django_db

TODAY = beijing_today()
SCHOOL_URL = "/school/extension/"
LIST_URL = "/province/extensions/"


def end_round(round_):
    round_.start_date = TODAY - timedelta(days=20)
    round_.end_date = TODAY - timedelta(days=1)
    round_.save()


def day(offset: int) -> str:
    return f"{TODAY + timedelta(days=offset):%Y-%m-%d}"


def ask(round_, user, offset=4, reason="教师外出培训，需要更多时间"):
    return Extension.request(
        round_,
        user.school,
        by=user,
        reason=reason,
        wanted_until=TODAY + timedelta(days=offset),
    )


# -- the school's 申请延期 ---------------------------------------------------------------------


def test_school_asks_after_the_end_date_and_sees_the_outcome(open_round, school_user):
    end_round(open_round)
    client = client_for(school_user)
    page = client.get("/school/commitments/").content.decode()
    assert "本省申报已于" in page and f'href="{SCHOOL_URL}"' in page
    response = client.post(SCHOOL_URL, {"wanted_until": day(5), "reason": "搬迁校区，网络中断"})
    assert response.status_code == 302
    extension = Extension.objects.get()
    assert (extension.status, extension.wanted_until) == (
        ExtensionStatus.REQUESTED,
        TODAY + timedelta(days=5),
    )
    html = client.get(SCHOOL_URL).content.decode()
    check_page(html)
    assert "待省厅处理" in html and "搬迁校区，网络中断" in html
    assert 'name="reason"' not in html  # one open request at a time: no form
    assert "本校已申请延期至" in client.get("/school/commitments/").content.decode()


@pytest.mark.parametrize(
    ("data", "message", "kept"),
    [
        ({"wanted_until": "2026-13-45", "reason": "网络中断三天"}, "日期格式", "网络中断三天"),
        ({"wanted_until": "", "reason": "网络中断三天"}, "请填写申请延期至", "网络中断三天"),
        ({"wanted_until": "DAY5", "reason": ""}, "请填写延期原因", "DAY5"),
        ({"wanted_until": "DAY0", "reason": "网络中断三天"}, "须晚于本省结束日期", "网络中断三天"),
        ({"wanted_until": "DAY90", "reason": "网络中断三天"}, "不能晚于", "网络中断三天"),
    ],
)
def test_bad_input_is_a_400_with_the_form_kept(open_round, school_user, data, message, kept):
    end_round(open_round)
    offsets = {"DAY5": day(5), "DAY0": day(-1), "DAY90": day(90)}
    data = {k: offsets.get(v, v) for k, v in data.items()}
    kept = offsets.get(kept, kept)
    response = client_for(school_user).post(SCHOOL_URL, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert kept in html
    assert "data-unsaved" in html
    assert not Extension.objects.exists()


def test_a_second_request_while_one_is_open_is_refused_with_409(open_round, school_user):
    end_round(open_round)
    ask(open_round, school_user)
    response = client_for(school_user).post(
        SCHOOL_URL, {"wanted_until": day(6), "reason": "再申请"}
    )
    assert response.status_code == 409
    assert "待省厅处理" in response.content.decode()
    assert Extension.objects.count() == 1


def test_other_roles_cannot_open_the_schools_page(open_round, province_admin):
    assert client_for(province_admin).get(SCHOOL_URL).status_code == 403
    assert client_for(MinistryUserFactory()).get(SCHOOL_URL).status_code == 403


def test_the_form_follows_the_grant_and_names_the_schools_date(
    open_round, school_user, province_admin
):
    end_round(open_round)
    client = client_for(school_user)
    assert 'value="save"' not in client.get("/school/commitments/").content.decode()
    until = TODAY + timedelta(days=2)
    Extension.grant_unasked(open_round, school_user.school, by=province_admin, until=until)
    html = client.get("/school/commitments/").content.decode()
    assert 'value="save"' in html and 'value="submit"' in html
    assert f"本校延期至{until:%Y-%m-%d} 24:00" in html
    assert "省厅已批准本校延期" in html
    # Expired (time moved on: the round ended 5 days ago, the grant yesterday): the school's
    # own date is named.
    open_round.end_date = TODAY - timedelta(days=5)
    open_round.save()
    Extension.objects.update(granted_until=TODAY - timedelta(days=1))
    html = client.get("/school/commitments/").content.decode()
    assert 'value="save"' not in html
    assert f"本校延期至{TODAY - timedelta(days=1):%Y-%m-%d} 24:00，已截止" in html


# -- the province's 延期申请 -----------------------------------------------------------------------


def test_the_list_shows_pending_first_and_the_menu_counts_them(shanxi, open_round, province_admin):
    end_round(open_round)
    first, second, third = (SchoolUserFactory(school__province=shanxi) for _ in range(3))
    ask(open_round, first).refuse(by=province_admin, answer="材料已齐")
    ask(open_round, second, reason="第二所学校的原因")
    Extension.grant_unasked(
        open_round, third.school, by=province_admin, until=TODAY + (timedelta(days=2))
    )
    html = client_for(province_admin).get(LIST_URL).content.decode()
    check_page(html, names=(province_admin.username,))
    names = [first.school.name, second.school.name, third.school.name]
    positions = {name: html.index(name) for name in names}
    assert positions[second.school.name] < min(
        positions[first.school.name], positions[third.school.name]
    )
    assert re.search(r"延期申请 <span[^>]*>1<span", html)
    assert "材料已齐" in html and "未申请（省厅直接批准）" in html


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_runs_the_same_queries_at_any_size(
    shanxi, open_round, province_admin, django_assert_max_num_queries, count
):
    end_round(open_round)
    for index in range(count):
        user = SchoolUserFactory(school__province=shanxi)
        extension = ask(open_round, user)
        if index % 3 == 1:
            extension.grant(by=province_admin, until=TODAY + timedelta(days=3), note="同意")
        elif index % 3 == 2:
            extension.refuse(by=province_admin, answer="不同意")
    client = client_for(province_admin)
    with django_assert_max_num_queries(9):
        response = client.get(LIST_URL)
    assert response.status_code == 200
    assert response.content.decode().count('<tr class="table-warning">') == (count + 2) // 3


def test_grant_and_refuse_on_a_requests_page(shanxi, open_round, province_admin):
    end_round(open_round)
    user = SchoolUserFactory(school__province=shanxi)
    extension = ask(open_round, user)
    client = client_for(province_admin)
    url = f"/province/extensions/{extension.pk}/"
    page = client.get(url).content.decode()
    check_page(page, names=(province_admin.username,))
    assert f'value="{day(4)}"' in page  # the school's date is offered
    # 不同意 without a reason: 400, what was typed kept.
    response = client.post(url, {"action": "refuse", "until": day(4), "answer": ""})
    assert response.status_code == 400
    assert "请填写不同意的原因" in response.content.decode()
    # A grant date beyond the limit: 400 at the field.
    response = client.post(url, {"action": "grant", "until": day(70), "answer": "可以"})
    assert response.status_code == 400
    assert "不能晚于" in response.content.decode() and "可以" in response.content.decode()
    extension.refresh_from_db()
    assert extension.is_pending
    response = client.post(url, {"action": "grant", "until": day(3), "answer": "同意"})
    assert response.status_code == 302
    extension.refresh_from_db()
    assert (extension.status, extension.granted_until, extension.answer) == (
        ExtensionStatus.GRANTED,
        TODAY + timedelta(days=3),
        "同意",
    )
    # Decided: a second post is a 409 and changes nothing.
    response = client.post(url, {"action": "refuse", "answer": "改为不同意"})
    assert response.status_code == 409
    extension.refresh_from_db()
    assert extension.is_granted


def test_other_provinces_and_roles_get_404_or_403(
    shanxi, open_round, province_admin, other_province_admin, school_user
):
    end_round(open_round)
    extension = ask(open_round, school_user)
    url = f"/province/extensions/{extension.pk}/"
    assert client_for(other_province_admin).get(url).status_code == 404
    assert (
        client_for(other_province_admin).post(url, {"action": "grant", "until": day(3)}).status_code
        == 404
    )
    grant_url = f"/province/extensions/grant/{school_user.school.code}/"
    assert client_for(other_province_admin).get(grant_url).status_code == 404
    assert client_for(school_user).get(LIST_URL).status_code == 403
    assert client_for(MinistryUserFactory()).get(url).status_code == 403
    extension.refresh_from_db()
    assert extension.is_pending


def test_an_unasked_grant_from_the_list_and_the_review_page(shanxi, open_round, province_admin):
    school = school_in_state(shanxi, open_round, "submitted", province_admin, name="电话学院")
    end_round(open_round)
    client = client_for(province_admin)
    review = client.get(f"/province/schools/{school.code}/").content.decode()
    grant_url = f"/province/extensions/grant/{school.code}/"
    assert f'href="{grant_url}"' in review
    response = client.get(LIST_URL, {"school": school.code})
    assert response.status_code == 302 and response["Location"] == grant_url
    assert client.get(LIST_URL, {"school": "9999999999"}).status_code == 400
    response = client.post(grant_url, {"action": "grant", "until": day(5), "answer": "电话申请"})
    assert response.status_code == 302
    granted = Extension.objects.get()
    assert (granted.granted_until, granted.requested_at) == (TODAY + timedelta(days=5), None)
    response = client.post(grant_url, {"action": "grant", "until": "昨天"})
    assert response.status_code == 400 and "日期格式" in response.content.decode()


# -- 退回学校重新填报 after the end date ----------------------------------------------------------


def test_reopen_after_the_end_date_asks_for_the_date_and_grants_it(
    shanxi, open_round, province_admin
):
    school = school_in_state(shanxi, open_round, "reviewing", province_admin, name="退回学院")
    end_round(open_round)
    client = client_for(province_admin)
    page = client.get(f"/province/schools/{school.code}/").content.decode()
    assert 'name="until"' in page and "该校已截止" in page
    url = f"/province/schools/{school.code}/review/"
    # No date: refused before asking, the reason kept.
    response = client.post(url, {"action": "reopen", "reason": "学校申请调整"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "请填写新的截止日期" in html and "学校申请调整" in html
    # A date: the confirmation names it; nothing changes yet.
    response = client.post(url, {"action": "reopen", "reason": "学校申请调整", "until": day(6)})
    assert response.status_code == 200
    html = response.content.decode()
    assert "请确认" in html and f"该校填报截止时间改为{day(6)} 24:00" in html
    assert Declaration.objects.get(school=school).status == DeclarationStatus.SUBMITTED
    assert not Extension.objects.exists()
    response = client.post(
        url, {"action": "reopen", "reason": "学校申请调整", "until": day(6), "confirmed": "1"}
    )
    assert response.status_code == 302
    declaration = Declaration.objects.get(school=school)
    assert declaration.status == DeclarationStatus.DRAFT
    assert Extension.objects.get().granted_until == TODAY + timedelta(days=6)
    assert AuditEvent.objects.filter(action="extension_grant").count() == 1
    # The school's form is open again, until its own date.
    html = client_for(school.account).get("/school/commitments/").content.decode()
    assert 'value="save"' in html and f"本校延期至{day(6)} 24:00" in html


def test_reopen_before_the_end_date_shows_no_date_field(shanxi, open_round, province_admin):
    school = school_in_state(shanxi, open_round, "submitted", province_admin, name="未截止学院")
    page = client_for(province_admin).get(f"/province/schools/{school.code}/").content.decode()
    assert 'name="until"' not in page
