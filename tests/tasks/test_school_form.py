"""承接任务 through Django's client: what the school sees and every way a POST can go wrong."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client

from tasks.choices import AuditAction, DeclarationStatus, ReviewStatus
from tasks.models import AuditEvent, Commitment, Declaration
from tasks.transitions import beijing_today
from tests.html_checks import check_page
from tests.tasks.conftest import item
from tests.tasks.helpers import full_fields, post_data

pytestmark = pytest.mark.django_db
URL = "/school/commitments/"


@pytest.fixture
def client(client, school_user, open_round):
    client.force_login(school_user)
    return client


def saved(school_user):
    return Declaration.objects.filter(school=school_user.school).first()


def snapshot(school_user):
    """Everything a refused POST must leave as it was."""
    declaration = saved(school_user)
    if declaration is None:
        return None
    return (
        declaration.status,
        declaration.version,
        sorted(
            Commitment.objects.filter(declaration=declaration).values_list(
                "item__code",
                "undertaken",
                "quantity",
                "school_funds",
                "industry_funds",
                "sponsor_funds",
                "local_funds",
                "review_status",
            )
        ),
        AuditEvent.objects.count(),
    )


def field_error(html, code, name):
    pk = item(code).pk
    match = re.search(rf'id="id_i{pk}-{name}-error">([^<]*)<', html)
    return match.group(1) if match else None


@pytest.fixture
def draft(client, school_user):
    """A saved draft: 1 and 3.2 ticked and complete, 3.1 ticked without funding."""
    declaration = Declaration.for_school(
        school_user.school, school_user.school.province.rounds.get()
    )
    response = client.post(
        URL,
        post_data(
            declaration,
            {"1": full_fields("1"), "3.2": full_fields("3.2"), "3.1": {"undertaken": True}},
        ),
    )
    assert response.status_code == 302
    return saved(school_user)


# -- the page ------------------------------------------------------------------------------


def test_form_shows_the_manual_layout(client, school_user):
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    for text in [
        "保存",
        "提交",
        "导出承接任务情况",
        "本省申报要求",
        "开始日期",
        "结束日期",
        "说明",
        "平台管理联系人",
        "办公电话",
        "手机号",
        "任务数量",
        "汇总金额",
        "序号",
        "工作任务",
        "是否承接",
        "承接数量",
        "预计投入经费（单位：万元）",
        "汇总",
        "学校自筹",
        "行业企业投入",
        "举办方投入",
        "地市县投入",
        "2.勾选任务并填写有关信息",
    ]:
        assert text in html, text
    assert "省财政投入" not in html
    for label in ["3.2 承接数量", "3.2 学校自筹", "3.2 是否承接", "1 地市县投入"]:
        assert f'aria-label="{label}"' in html
    assert 'aria-label="1 承接数量"' not in html
    assert 'aria-label="1 不填写承接数量">-<' in html
    check_page(html, names=(school_user.username,))


def test_fifth_column_where_the_round_uses_it(client, open_round):
    open_round.uses_provincial_funds = True
    open_round.save()
    html = client.get(URL).content.decode()
    assert "省财政投入" in html and 'aria-label="3.2 省财政投入"' in html


@pytest.mark.parametrize("ticked", [0, 44])
def test_form_query_count_is_fixed(client, school_user, django_assert_max_num_queries, ticked):
    declaration = Declaration.for_school(
        school_user.school, school_user.school.province.rounds.get()
    )
    codes = list(declaration.round.items.values_list("code", flat=True))[:ticked]
    if codes:
        client.post(URL, post_data(declaration, {c: full_fields(c) for c in codes}))
    # The form, plus the header's unread notices, the menu's returned items, the reopen
    # banner's reason, the school's extension (延期) state and its own end date, and the
    # items the province requires of it (必选).
    with django_assert_max_num_queries(14):
        response = client.get(URL)
    assert response.status_code == 200


def test_save_keeps_an_incomplete_form(client, school_user, draft):
    assert draft.status == DeclarationStatus.DRAFT
    assert Commitment.objects.get(declaration=draft, item__code="3.1").school_funds is None
    response = client.get(URL)
    html = response.content.decode()
    assert "承接任务已保存，尚未提交。" in html
    # The summary and 汇总 are the server's: 1 and 3.2 have 1+2+3+4 each, 3.1 nothing.
    assert re.search(r'data-sum="count">3<', html)
    assert re.search(r'data-sum="total">20<', html)
    assert re.search(r'data-sum="school_funds">2<', html)


def test_submit_shows_the_preview(client, school_user, draft):
    data = post_data(draft, {"1": full_fields("1"), "3.2": full_fields("3.2")}, action="submit")
    response = client.post(URL, data)
    assert response.status_code == 302
    declaration = saved(school_user)
    assert declaration.status == DeclarationStatus.SUBMITTED
    assert not declaration.commitments.filter(item__code="3.1").exists()
    html = client.get(URL).content.decode()
    assert "本校任务情况预览" in html and "状态：<strong>已提交" in html
    assert "意向承接" in html and "已通过" in html and "待审核" in html
    assert "继续修改" in html
    check_page(html, names=(school_user.username,))


def test_incomplete_submit_saves_the_draft_and_marks_the_fields(client, school_user, draft):
    data = post_data(
        draft,
        {"1": full_fields("1"), "3.1": {"undertaken": True, "quantity": "1"}},
        action="submit",
    )
    response = client.post(URL, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "提交未成功" in html and "已保存为草稿" in html
    assert field_error(html, "3.1", "school_funds") == "请填写金额，无投入请填0。"
    assert field_error(html, "3.1", "quantity") is None
    declaration = saved(school_user)
    assert declaration.status == DeclarationStatus.DRAFT
    assert Commitment.objects.get(declaration=declaration, item__code="3.1").quantity == 1
    # The page carries the new version, so saving again from it works.
    assert f'name="version" value="{declaration.version}"' in html


def test_submit_with_nothing_ticked(client, school_user, draft):
    response = client.post(URL, post_data(draft, {}, action="submit"))
    assert response.status_code == 400
    assert "请至少勾选一项要承接的任务。" in response.content.decode()


def test_submit_needs_contacts(client, school_user, draft):
    response = client.post(
        URL,
        post_data(
            draft,
            {"1": full_fields("1")},
            action="submit",
            contacts={"contact_name": "", "office_phone": "", "mobile": ""},
        ),
    )
    assert response.status_code == 400
    assert "请填写手机号。" in response.content.decode()
    assert saved(school_user).status == DeclarationStatus.DRAFT


# -- bad input: a clear message, a 4xx, nothing changed ---------------------------------------


@pytest.mark.parametrize(
    ("code", "name", "value", "message"),
    [
        ("1", "school_funds", "十万", "请填写数字（单位：万元），无投入请填0。"),
        ("1", "school_funds", "abc", "请填写数字（单位：万元），无投入请填0。"),
        ("1", "industry_funds", "-1", "金额不能为负数。"),
        ("1", "sponsor_funds", "1.234", "金额最多保留2位小数。"),
        ("1", "local_funds", "100000000", "金额应小于100000000万元。"),
        ("1", "local_funds", "1e20", "金额应小于100000000万元。"),
        ("1", "school_funds", "NaN", "请填写数字（单位：万元），无投入请填0。"),
        ("1", "school_funds", "Infinity", "请填写数字（单位：万元），无投入请填0。"),
        ("1", "school_funds", "1,000", "请填写数字（单位：万元），无投入请填0。"),
        ("3.2", "quantity", "2.5", "承接数量应为整数。"),
        ("3.2", "quantity", "0", "承接数量应为不小于1的整数。"),
        ("3.2", "quantity", "-3", "承接数量应为不小于1的整数。"),
        ("3.2", "quantity", "两个", "承接数量应为整数。"),
        ("3.2", "quantity", "100001", "承接数量不能超过100000。"),
        # Decimal and int() read Arabic-Indic or Devanagari digits silently; refused instead.
        ("1", "school_funds", "٣", "请使用阿拉伯数字0-9填写。"),
        ("1", "local_funds", "१.५", "请使用阿拉伯数字0-9填写。"),
        ("3.2", "quantity", "٢", "请使用阿拉伯数字0-9填写。"),
        ("3.2", "quantity", "9" * 5000, "承接数量应为整数。"),
    ],
)
@pytest.mark.parametrize("action", ["save", "submit"])
def test_malformed_values_are_refused(
    client, school_user, draft, code, name, value, message, action
):
    before = snapshot(school_user)
    fields = full_fields(code, **{name: value})
    response = client.post(
        URL,
        post_data(
            draft,
            {code: fields, "1" if code != "1" else "3.2": {"undertaken": True}},
            action=action,
        ),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert field_error(html, code, name) == message
    assert "有填写错误，未保存" in html
    # What was typed is still on the page.
    assert f'value="{value}"' in html
    assert snapshot(school_user) == before


def test_full_width_digits_are_accepted(client, school_user, draft):
    data = post_data(draft, {"1": full_fields("1", school_funds="１２.５")})
    assert client.post(URL, data).status_code == 302
    assert Commitment.objects.get(declaration=draft, item__code="1").school_funds == Decimal("12.5")


def test_quantity_on_an_item_without_one(client, school_user, draft):
    before = snapshot(school_user)
    response = client.post(URL, post_data(draft, {"1": full_fields("1", quantity="3")}))
    assert response.status_code == 400
    assert "1不填写承接数量。" in response.content.decode()
    assert snapshot(school_user) == before


def test_fifth_source_when_the_round_does_not_use_it(client, school_user, draft):
    before = snapshot(school_user)
    response = client.post(URL, post_data(draft, {"1": full_fields("1", provincial_funds="5")}))
    assert response.status_code == 400
    assert "本省未启用“省财政投入”" in response.content.decode()
    assert snapshot(school_user) == before


@pytest.mark.parametrize("code", ["5", "36.1", "8"])
def test_item_not_offered_by_the_round(client, school_user, draft, code):
    before = snapshot(school_user)
    response = client.post(URL, post_data(draft, {code: full_fields(code)}))
    assert response.status_code == 400
    assert "包含本表没有的任务（项目）" in response.content.decode()
    assert snapshot(school_user) == before


def test_item_not_in_the_catalogue(client, school_user, draft):
    before = snapshot(school_user)
    data = post_data(draft, {"1": full_fields("1")})
    data["i987654-school_funds"] = "1"
    response = client.post(URL, data)
    assert response.status_code == 400
    assert snapshot(school_user) == before


def test_post_for_another_schools_declaration(
    client, school_user, other_school_user, draft, open_round
):
    other = Declaration.for_school(other_school_user.school, open_round)
    other_client = Client()
    other_client.force_login(other_school_user)
    other_client.post(URL, post_data(other, {"2": full_fields("2")}))
    other = Declaration.objects.get(school=other_school_user.school)
    before = snapshot(school_user), snapshot(other_school_user)
    # School A's session posts a page that was School B's form.
    response = client.post(URL, post_data(other, {"2": full_fields("2", school_funds="99")}))
    assert response.status_code == 403
    assert "不是本校当前的承接任务表" in response.content.decode()
    assert (snapshot(school_user), snapshot(other_school_user)) == before


def test_another_role_cannot_post(client, province_admin, draft, school_user):
    before = snapshot(school_user)
    other = Client()
    other.force_login(province_admin)
    assert other.post(URL, post_data(draft, {"1": full_fields("1")})).status_code == 403
    assert snapshot(school_user) == before


def test_post_after_the_end_date(client, school_user, draft, open_round):
    before = snapshot(school_user)
    open_round.end_date = beijing_today() - timedelta(days=1)
    open_round.start_date = beijing_today() - timedelta(days=9)
    open_round.save()
    response = client.post(URL, post_data(draft, {"1": full_fields("1", school_funds="7")}))
    assert response.status_code == 403
    html = response.content.decode()
    # What was typed stays on the page, as text: read-only looks read-only (no inputs that
    # look editable), and the school can still copy its figures.
    assert "截止" in html and 'data-read="school_funds">7<' in html
    assert not re.search(r"<input[^>]+type=\"(text|checkbox)\"|readonly|disabled", html)
    assert snapshot(school_user) == before


@pytest.mark.parametrize("action", ["save", "submit"])
def test_post_after_submission_changes_nothing(client, school_user, draft, action):
    client.post(URL, post_data(draft, {"1": full_fields("1")}, action="submit"))
    before = snapshot(school_user)
    # The old page's post (the back button) and a double click alike.
    response = client.post(
        URL, post_data(draft, {"1": full_fields("1", school_funds="8")}, action=action)
    )
    assert response.status_code == 409
    assert "本表已提交，本次操作没有做任何更改。" in response.content.decode()
    assert snapshot(school_user) == before


def test_stale_version_keeps_the_input(client, school_user, draft):
    stale = post_data(draft, {"1": full_fields("1", school_funds="6")})
    client.post(URL, post_data(draft, {"1": full_fields("1", school_funds="5")}))
    before = snapshot(school_user)
    response = client.post(URL, stale)
    assert response.status_code == 409
    html = response.content.decode()
    assert "已在其他窗口" in html
    assert 'value="6"' in html
    assert snapshot(school_user) == before


def test_page_loaded_before_the_first_save_is_stale(client, school_user, open_round):
    fresh = Declaration.for_school(school_user.school, open_round)
    first = post_data(fresh, {"1": full_fields("1", school_funds="5")})
    late = post_data(fresh, {"1": full_fields("1", school_funds="6")})
    assert late["declaration"] == "new"
    assert client.post(URL, first).status_code == 302
    before = snapshot(school_user)
    response = client.post(URL, late)
    assert response.status_code == 409
    html = response.content.decode()
    assert "已在其他窗口" in html and 'value="6"' in html and "data-unsaved" in html
    assert snapshot(school_user) == before


@pytest.mark.parametrize("version", ["", "abc", "²", "٣", "1" * 40])
def test_missing_version_is_refused(client, school_user, draft, version):
    before = snapshot(school_user)
    data = post_data(draft, {"1": full_fields("1")})
    data["version"] = version
    assert client.post(URL, data).status_code == 400
    assert snapshot(school_user) == before


@pytest.mark.parametrize("action", ["delete", "annual", "evidence:1", ""])
def test_unknown_action_is_refused_with_the_typed_values_kept(client, school_user, draft, action):
    before = snapshot(school_user)
    data = post_data(draft, {"1": full_fields("1", school_funds="77")}, action=action)
    response = client.post(URL, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "未知的操作" in html and 'value="77"' in html and "data-unsaved" in html
    assert snapshot(school_user) == before


@pytest.mark.parametrize(
    "token", [None, "forged-token-forged-token-forged-token-forged-token-0123"]
)
def test_missing_or_forged_csrf_token(school_user, draft, token):
    before = snapshot(school_user)
    client = Client(enforce_csrf_checks=True)
    client.force_login(school_user)
    client.get(URL)
    data = post_data(draft, {"1": full_fields("1", school_funds="9")})
    if token:
        data["csrfmiddlewaretoken"] = token
    response = client.post(URL, data)
    assert response.status_code == 403
    assert "页面已过期" in response.content.decode()
    assert snapshot(school_user) == before


def test_a_real_csrf_token_works(school_user, draft):
    client = Client(enforce_csrf_checks=True)
    client.force_login(school_user)
    html = client.get(URL).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    data = post_data(draft, {"1": full_fields("1", school_funds="9")})
    data["csrfmiddlewaretoken"] = token
    assert client.post(URL, data).status_code == 302


# -- withdraw ------------------------------------------------------------------------------


@pytest.fixture
def submitted(client, school_user, draft):
    client.post(
        URL, post_data(draft, {"1": full_fields("1"), "3.2": full_fields("3.2")}, action="submit")
    )
    return saved(school_user)


def test_withdraw_through_the_page(client, school_user, submitted):
    response = client.post("/school/commitments/withdraw/")
    assert response.status_code == 302
    assert saved(school_user).status == DeclarationStatus.DRAFT
    html = client.get(URL).content.decode()
    assert "已撤回提交" in html and 'value="save"' in html


def test_withdraw_after_review_points_to_the_province(
    client, school_user, submitted, province_admin
):
    submitted.commitments.get(item__code="1").approve(by=province_admin)
    html = client.get(URL).content.decode()
    assert "省厅已开始审核，不能自行撤回" in html
    assert 'href="/school/province-contacts/"' in html
    assert ">继续修改</button>" not in html
    response = client.post("/school/commitments/withdraw/")
    assert response.status_code == 409
    assert saved(school_user).status == DeclarationStatus.SUBMITTED


def test_withdraw_needs_post(client, submitted):
    assert client.get("/school/commitments/withdraw/").status_code == 405


# -- outside the window and without a round ---------------------------------------------------


def test_closed_round_is_read_only_and_says_why(client, school_user, draft, open_round):
    open_round.start_date = beijing_today() - timedelta(days=9)
    open_round.end_date = beijing_today() - timedelta(days=1)
    open_round.save()
    html = client.get(URL).content.decode()
    assert "本省申报已于" in html and "截止，现在只能查看和导出" in html and "本表未提交" in html
    assert 'value="save"' not in html
    assert "导出承接任务情况" in html


def test_round_not_started(client, open_round):
    open_round.start_date = beijing_today() + timedelta(days=2)
    open_round.end_date = beijing_today() + timedelta(days=9)
    open_round.save()
    html = client.get(URL).content.decode()
    assert "本省申报将于" in html and 'value="save"' not in html


def test_no_round_in_the_province(reference_data, school_user):
    from tasks.models import Round

    Round.objects.all().delete()
    client = Client()
    client.force_login(school_user)
    for path in [URL, "/school/returned/", "/school/commitments/export/"]:
        response = client.get(path)
        assert response.status_code == 200
        assert "本省尚未开放" in response.content.decode()
    assert "尚未公布" in client.get("/school/province-contacts/").content.decode()


def test_province_contacts_page(client):
    html = client.get("/school/province-contacts/").content.decode()
    for text in [
        "省厅联系人：",
        "张少龙",
        "联系电话：",
        "0351-3046505",
        "省厅联系人2：",
        "李老师",
        "13811111111",
        "在填报中如果遇到问题，直接根据此联系电话咨询。",
    ]:
        assert text in html


def test_school_home_is_the_commitment_form(client):
    assert client.get("/").url == URL


# -- 需修改的任务 -----------------------------------------------------------------------------

RETURNED_URL = "/school/returned/"


@pytest.fixture
def returned(submitted, province_admin):
    submitted.commitments.get(item__code="3.2").return_for_changes(
        by=province_admin, comment="数量请按实际填写"
    )
    submitted.commitments.get(item__code="1").approve(by=province_admin)
    submitted.refresh_from_db()
    return submitted


def returned_post(declaration, fields, action="submit", select=("3.2",)):
    data = post_data(declaration, {"3.2": fields}, action=action)
    for name in ("contact_name", "office_phone", "mobile"):
        data.pop(name)
    data["resubmit"] = [str(item(code).pk) for code in select]
    return data


def test_returned_page_lists_returned_items_with_comments(client, school_user, returned):
    html = client.get(RETURNED_URL).content.decode()
    assert "数量请按实际填写" in html and "退回修改" in html
    assert 'aria-label="3.2 选择提交"' in html and 'aria-label="3.2 承接数量"' in html
    assert 'aria-label="1 学校自筹"' not in html
    check_page(html, names=(school_user.username,))
    preview = client.get(URL).content.decode()
    assert "修改意见：数量请按实际填写" in preview


def test_fix_and_resubmit(client, school_user, returned):
    response = client.post(RETURNED_URL, returned_post(returned, full_fields("3.2", quantity="1")))
    assert response.status_code == 302
    c = Commitment.objects.get(declaration=returned, item__code="3.2")
    assert (c.quantity, c.review_status) == (1, ReviewStatus.PENDING)
    assert Commitment.objects.get(declaration=returned, item__code="1").review_status == (
        ReviewStatus.APPROVED
    )
    assert "没有需修改的任务" in client.get(RETURNED_URL).content.decode()


def test_save_returned_without_resubmitting(client, school_user, returned):
    data = returned_post(returned, full_fields("3.2", quantity="1"), action="save", select=())
    assert client.post(RETURNED_URL, data).status_code == 302
    c = Commitment.objects.get(declaration=returned, item__code="3.2")
    assert (c.quantity, c.review_status) == (1, ReviewStatus.RETURNED)


def test_resubmit_needs_a_selection(client, school_user, returned):
    before = snapshot(school_user)
    response = client.post(RETURNED_URL, returned_post(returned, full_fields("3.2"), select=()))
    assert response.status_code == 400
    assert "请在左侧勾选要提交的任务" in response.content.decode()
    assert snapshot(school_user) == before


def test_resubmit_refuses_bad_values(client, school_user, returned):
    before = snapshot(school_user)
    response = client.post(RETURNED_URL, returned_post(returned, full_fields("3.2", quantity="-1")))
    assert response.status_code == 400
    assert snapshot(school_user) == before


def test_resubmit_refuses_incomplete_rows(client, school_user, returned):
    before = snapshot(school_user)
    response = client.post(
        RETURNED_URL, returned_post(returned, full_fields("3.2", local_funds=""))
    )
    assert response.status_code == 400
    assert field_error(response.content.decode(), "3.2", "local_funds")
    assert snapshot(school_user) == before


def test_returned_post_for_an_item_that_is_not_returned(client, school_user, returned):
    before = snapshot(school_user)
    data = returned_post(returned, full_fields("3.2"))
    data.update({f"i{item('1').pk}-school_funds": "9"})
    assert client.post(RETURNED_URL, data).status_code == 400
    assert snapshot(school_user) == before


def test_stale_returned_page(client, school_user, returned, province_admin):
    page_version = returned.version
    returned.commitments.get(item__code="3.2").undo_review(by=province_admin)
    before = snapshot(school_user)
    data = returned_post(returned, full_fields("3.2"), select=("3.2",))
    data["version"] = str(page_version)
    response = client.post(RETURNED_URL, data)
    assert response.status_code in {400, 409}
    assert snapshot(school_user) == before


def test_audit_trail_of_the_school(client, school_user, returned):
    actions = list(AuditEvent.objects.for_subject(returned).values_list("action", flat=True))
    assert actions[:2] == [AuditAction.SAVE, AuditAction.SUBMIT]
    event = AuditEvent.objects.filter(action=AuditAction.SUBMIT).get()
    assert event.user == school_user and event.ip == "127.0.0.1"


# -- fixed query counts ----------------------------------------------------------------------


def _all_codes(school_user):
    round_ = school_user.school.province.rounds.get()
    return list(round_.items.values_list("code", flat=True))


@pytest.mark.parametrize("ticked", [2, 44])
def test_save_and_submit_query_counts_are_fixed(
    client, school_user, open_round, django_assert_max_num_queries, ticked
):
    declaration = Declaration.for_school(school_user.school, open_round)
    codes = _all_codes(school_user)[:ticked]
    data = post_data(declaration, {c: full_fields(c) for c in codes})
    # +1: the school's own end date (延期), read under the declaration's lock.
    with django_assert_max_num_queries(21):
        response = client.post(URL, data)
    assert response.status_code == 302
    declaration = saved(school_user)
    data = post_data(
        declaration, {c: full_fields(c, school_funds="7") for c in codes}, action="submit"
    )
    with django_assert_max_num_queries(25):
        response = client.post(URL, data)
    assert response.status_code == 302
    assert saved(school_user).commitments.filter(school_funds=7).count() == ticked


@pytest.mark.parametrize("ticked", [2, 44])
def test_preview_and_returned_query_counts_are_fixed(
    client, school_user, open_round, province_admin, django_assert_max_num_queries, ticked
):
    declaration = Declaration.for_school(school_user.school, open_round)
    codes = _all_codes(school_user)[:ticked]
    client.post(URL, post_data(declaration, {c: full_fields(c) for c in codes}, action="submit"))
    declaration = saved(school_user)
    for c in declaration.commitments.all():
        c.return_for_changes(by=province_admin, comment="请核实")
    for path in (URL, RETURNED_URL, "/school/province-contacts/"):
        # +1: the school's extension (延期) state.
        with django_assert_max_num_queries(15):
            response = client.get(path)
        assert response.status_code == 200
    html = client.get(RETURNED_URL).content.decode()
    assert html.count("选择提交") == ticked


def test_other_school_pages_are_chinese_and_labelled(client, school_user, draft):
    for path in ("/school/province-contacts/", "/school/returned/"):
        check_page(client.get(path).content.decode(), names=(school_user.username,))
    response = client.post(URL, post_data(draft, {"1": full_fields("1", school_funds="x")}))
    check_page(response.content.decode(), names=(school_user.username,))


# -- every error at once (issue 14) ---------------------------------------------------------


def summary_links(html):
    """The error summary's links, as (target id, text)."""
    found = re.search(r'<div[^>]*id="error-summary".*?</div>', html, re.S)
    assert found, "no error summary"
    return re.findall(r'<a href="#([^"]+)">([^<]+)</a>', found.group(0))


def test_submit_shows_format_and_completeness_errors_in_one_pass(client, school_user, declaration):
    i31, i32 = item("3.1").pk, item("3.2").pk
    data = post_data(
        declaration,
        {
            "3.2": full_fields("3.2", school_funds="abc", quantity="1.5"),
            "3.1": {"undertaken": True},
        },
        action="submit",
        contacts={"contact_name": "", "office_phone": "0351-3046505", "mobile": "12345"},
    )
    response = client.post(URL, data)
    assert response.status_code == 400
    html = response.content.decode()
    links = summary_links(html)
    targets = {target for target, _text in links}
    # Malformed: 3.2's amount and quantity, the mobile.
    assert f"id_i{i32}-school_funds" in targets and f"id_i{i32}-quantity" in targets
    assert "id_mobile" in targets
    # Missing, in the same response: 3.1's quantity and every amount, the contact's name.
    for name in ("quantity", "school_funds", "industry_funds", "sponsor_funds", "local_funds"):
        assert f"id_i{i31}-{name}" in targets, name
    assert "id_contact_name" in targets
    # One message per field: a malformed value is not also "missing".
    assert len(targets) == len(links)
    assert ("id_contact_name", "平台管理联系人：请填写平台管理联系人。") in links
    assert any("手机号应为11位数字" in text for target, text in links if target == "id_mobile")
    assert f"共有 {len(links)} 处需要修改" in html
    assert "有填写错误，未保存" in html and "提交还需要填写完整所有标红的项目" in html
    # Each marked at its field too.
    assert f'id="id_i{i31}-local_funds-error"' in html
    assert f'id="id_i{i32}-school_funds-error"' in html
    # Nothing saved, and what was typed is on the page.
    assert saved(school_user) is None or not saved(school_user).commitments.exists()
    assert 'value="abc"' in html and 'value="12345"' in html


def test_submit_with_only_format_errors_and_no_ticked_row_says_both(client, declaration):
    data = post_data(
        declaration,
        {"3.2": {"school_funds": "-1"}},
        action="submit",
    )
    html = client.post(URL, data).content.decode()
    assert "金额不能为负数。" in html and "请至少勾选一项要承接的任务。" in html


def test_returned_submit_shows_format_and_completeness_errors_in_one_pass(
    client, school_user, returned
):
    fields = full_fields("3.2", school_funds="x", local_funds="")
    response = client.post(RETURNED_URL, returned_post(returned, fields))
    assert response.status_code == 400
    html = response.content.decode()
    pk = item("3.2").pk
    targets = {target for target, _text in summary_links(html)}
    assert {f"id_i{pk}-school_funds", f"id_i{pk}-local_funds"} <= targets
    assert commitment_status(returned, "3.2") == ReviewStatus.RETURNED


def commitment_status(declaration, code):
    return declaration.commitments.get(item__code=code).review_status
