"""Issue 14 part 6: no critical or serious axe-core violation on any page, in any state.

Every page the URL confs expose (less Django's admin and 目录维护, which has its own owner) is
opened as the role it belongs to, in each state worth seeing: empty and filled lists, forms with
their errors shown, declarations submitted, returned, approved and closed, the confirmation pages
the server shows, the error pages. axe-core is the copy vendored in tests/e2e/vendor."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import Page, Response

from review.models import ExportJob, ExportStatus
from schools.models import Province, School, User
from tasks.choices import ReportProgress
from tasks.models import (
    ChangeRequest,
    Declaration,
    Extension,
    Plan,
    ReportingYear,
    Round,
    UnitReport,
)
from tasks.models.reporting import RowFigures
from tasks.transitions import beijing_today
from tests.e2e.conftest import sign_in_by_cookie
from tests.factories import MinistryUserFactory, ProvinceAdminFactory, SchoolUserFactory
from tests.review.helpers import open_round_for, school_in_state
from tests.samples import PDF
from tests.tasks.conftest import item
from tests.tasks.helpers import full_row

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
# Off by default in axe (experimental), on here: visible text that is not part of a control's
# accessible name breaks speech input ("click 审核").
OPTIONS = {
    "resultTypes": ["violations"],
    "rules": {"label-content-name-mismatch": {"enabled": True}},
}
BLOCKING = {"critical", "serious"}


# -- the data ---------------------------------------------------------------------------------


def make(factory: Any, **fields: Any) -> User:
    """A user from a factory, typed as one (factory_boy's calls are not)."""
    user: User = factory(**fields)
    return user


def school_of(user: User) -> School:
    assert user.school is not None
    return user.school


def build_world() -> SimpleNamespace:
    """山西 (14): an open round with a school in each state, a change request, notices, a
    reporting year with a submitted and a draft report, export jobs in every state.
    河南 (41): a round that has ended, a school asking for more time. 北京 (11): no round."""
    sx = open_round_for("14")
    sx_admin = make(ProvinceAdminFactory, province=sx.province, username="sx_axe")
    schools = {
        state: school_in_state(sx.province, sx, state, sx_admin, name=f"山西{label}职业学院")
        for state, label in [
            ("not_started", "未填报"),
            ("filling", "填报中"),
            ("submitted", "已提交"),
            ("reviewing", "审核中"),
            ("returned", "需修改"),
            ("approved", "已通过"),
        ]
    }
    # A change request pending on the approved school's 3.2.
    changed = school_in_state(sx.province, sx, "approved", sx_admin, name="山西变更职业学院")
    declaration = Declaration.objects.get(school=changed)
    change = ChangeRequest.propose(
        declaration,
        by=changed.account,
        rows={item("3.2").pk: full_row(item("3.2"), quantity=5)},
        reason="招生计划调整",
        version=declaration.version,
    )

    # 河南: the round ended yesterday; one school saved a draft, another asks for time.
    today = beijing_today()
    hn_round = Round.objects.create(
        plan_id=1,
        province=Province.objects.get(code="41"),
        start_date=today - timedelta(days=10),
        end_date=today,
    )
    hn_round.items.set(hn_round.default_items())
    hn_admin = make(ProvinceAdminFactory, province=hn_round.province, username="hn_axe")
    closed = make(
        SchoolUserFactory, school__province=hn_round.province, school__name="河南截止职业学院"
    )
    Declaration.for_school(school_of(closed), hn_round).save_draft(
        by=closed, rows={item("1").pk: full_row(item("1"))}, contacts=None, version=0
    )
    late = make(
        SchoolUserFactory, school__province=hn_round.province, school__name="河南延期职业学院"
    )
    Round.objects.filter(pk=hn_round.pk).update(end_date=today - timedelta(days=1))
    hn_round.refresh_from_db()
    extension = Extension.request(
        hn_round,
        school_of(late),
        by=late,
        reason="校园网络改造，数据需重新整理",
        wanted_until=today + timedelta(days=5),
    )
    no_round = make(
        SchoolUserFactory,
        school__province=Province.objects.get(code="11"),
        school__name="北京无申报职业学院",
    )

    # 年度绩效 2021: the approved school submitted, the reviewing one was returned, the returned
    # one has a draft.
    year = ReportingYear.objects.create(plan_id=1, year=2021, deadline=today + timedelta(days=10))
    for state in ("approved", "reviewing"):
        submit_report(UnitReport.for_school(schools[state], year))
    UnitReport.objects.get(school=schools["reviewing"]).return_for_changes(
        by=sx_admin, comment="佐证材料不足"
    )
    UnitReport.for_school(schools["returned"], year).save_draft(
        by=schools["returned"].account, rows={}, version=0
    )
    bj_admin = make(ProvinceAdminFactory, province=school_of(no_round).province, username="bj_axe")
    first_time = make(SchoolUserFactory, school__province=sx.province, must_change_password=True)

    ministry = make(MinistryUserFactory, username="moe_axe")
    plan = Plan.objects.get(code="tzpy-2020")
    now = timezone.now()
    jobs = {
        status: ExportJob.objects.create(
            plan=plan, requested_by=ministry, status=status, rows_total=200, rows_done=done
        )
        for status, done in [
            (ExportStatus.PENDING, 0),
            (ExportStatus.RUNNING, 120),
            (ExportStatus.DONE, 200),
            (ExportStatus.FAILED, 0),
        ]
    }
    ExportJob.objects.filter(pk=jobs[ExportStatus.DONE].pk).update(finished_at=now)
    ExportJob.objects.filter(pk=jobs[ExportStatus.FAILED].pk).update(error="磁盘已满")
    return SimpleNamespace(
        sx=sx,
        hn=hn_round,
        users={
            "sx": sx_admin,
            "hn": hn_admin,
            "bj": bj_admin,
            "first_time": first_time,
            "moe": ministry,
            "closed": closed,
            "late": late,
            "no_round": no_round,
            "changed": changed.account,
            **{state: school.account for state, school in schools.items()},
        },
        schools={**schools, "changed": changed, "late": school_of(late)},
        change=change,
        extension=extension,
        year=year,
        jobs=jobs,
    )


def submit_report(report: UnitReport) -> None:
    """Every approved row reported, the annual report attached, submitted."""
    user = report.school.account
    report.attach_annual_report(by=user, upload=SimpleUploadedFile("年度工作报告.pdf", PDF))
    figures = {
        c.pk: RowFigures(
            progress=ReportProgress.IN_PROGRESS,
            quantity=1 if c.item.has_quantity else None,
            narrative="进展顺利",
            spent_school_funds=Decimal(1),
            spent_industry_funds=Decimal(1),
            spent_sponsor_funds=Decimal(1),
            spent_local_funds=Decimal(1),
        )
        for c in report.approved_commitments()
    }
    report.refresh_from_db()
    report.submit(by=user, rows=figures, version=report.version)


# -- what a case does before axe looks --------------------------------------------------------


def without_validation(page: Page) -> None:
    """Let the server's errors show: the browser's own required-field bubbles would stop the
    form first (they are not what axe checks)."""
    page.evaluate("document.querySelectorAll('form').forEach(f => f.noValidate = true)")


def press(
    button: str | re.Pattern[str], fill: dict[str, str] | None = None, check: tuple[str, ...] = ()
):
    """Fill fields by label, tick boxes, press the first button of that name."""

    def act(page: Page, world: SimpleNamespace) -> Response:
        without_validation(page)
        for label, value in (fill or {}).items():
            page.get_by_label(label).first.fill(value)
        for label in check:
            page.get_by_label(label, exact=True).first.check()
        with page.expect_navigation() as navigation:
            page.get_by_role("button", name=button, exact=isinstance(button, str)).first.click()
        return navigation.value

    return act


def unconfirmed(button: str | re.Pattern[str]):
    """The server's own confirmation page (what a browser without JavaScript gets)."""

    def act(page: Page, world: SimpleNamespace) -> Response:
        page.evaluate(
            "document.querySelectorAll('[data-confirm]')"
            ".forEach(b => b.removeAttribute('data-confirm'))"
        )
        with page.expect_navigation() as navigation:
            page.get_by_role("button", name=button, exact=isinstance(button, str)).first.click()
        return navigation.value

    return act


def task_pk(number: int) -> int:
    from tasks.models import Task

    return Task.objects.get(plan_id=1, number=number).pk


def save_empty(page: Page, world: SimpleNamespace) -> Response:
    """目录维护's add form sent empty: every error at its field and listed at the top."""
    for box in page.locator("form input[type=text], form input[type=number]").all():
        box.fill("")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="保存").click()
    return navigation.value


def press_delete(page: Page, world: SimpleNamespace) -> Response:
    """删除 on an item nobody undertook, confirmed: back on the plan's page, with the message."""
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name=re.compile("^删除")).click()
    return navigation.value


def wrong_captcha(page: Page, world: SimpleNamespace) -> Response:
    page.get_by_label("用户名").fill(world.users["filling"].username)
    page.get_by_label("密码").fill("Wrong1234")
    page.get_by_label("验证码").fill("XXXX")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="登录").click()
    return navigation.value


def locked_out(page: Page, world: SimpleNamespace) -> Response:
    """Five wrong passwords (with the right captcha) lock the account out."""
    from captcha.models import CaptchaStore

    for _ in range(5):
        page.get_by_label("用户名").fill(world.users["filling"].username)
        page.get_by_label("密码").fill("Wrong1234")
        key = page.locator('input[name="captcha_0"]').get_attribute("value")
        page.get_by_label("验证码").fill(CaptchaStore.objects.get(hashkey=key).response)
        with page.expect_navigation() as navigation:
            page.get_by_role("button", name="登录").click()
    return navigation.value


def csrf_expired(page: Page, world: SimpleNamespace) -> Response:
    """A form sent after its CSRF cookie went (a browser that dropped it, a day-old tab)."""
    page.context.clear_cookies(name="csrftoken")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="保存", exact=True).first.click()
    return navigation.value


@dataclass(frozen=True)
class Case:
    id: str
    user: str | None  # a key of world.users; None: signed out
    path: str | Callable[[SimpleNamespace], str]
    act: Callable[[Page, SimpleNamespace], Response | None] | None = None
    status: int = 200
    extra: dict[str, Any] = field(default_factory=dict)


def school_code(state: str) -> Callable[[SimpleNamespace], str]:
    return lambda w: w.schools[state].code


CASES = [
    # Signed out.
    Case("home-signed-out", None, "/"),
    Case("login-school", None, "/login/school/"),
    Case("login-province", None, "/login/province/"),
    Case("login-ministry", None, "/login/ministry/"),
    Case("login-wrong-captcha", None, "/login/school/", wrong_captcha, 400),
    Case("catalogue-signed-out", None, "/catalogue/"),
    Case("help-signed-out", None, "/help/"),
    Case("404", None, "/no-such-page/", status=404),
    Case("login-locked-out", None, "/login/school/", locked_out, 429),
    # The school.
    Case("school-403", "filling", "/ministry/", status=403),
    Case("school-404", "filling", "/school/reporting/999999/", status=404),
    Case("school-catalogue", "filling", "/catalogue/"),
    Case("school-help", "filling", "/help/"),
    Case("school-commitments-empty", "not_started", "/school/commitments/"),
    Case("school-commitments-draft", "filling", "/school/commitments/"),
    Case(
        "school-commitments-errors",
        "filling",
        "/school/commitments/",
        press("提交", fill={"1 学校自筹": "-1", "办公电话": "123"}, check=("3.2 是否承接",)),
        400,
    ),
    Case("school-commitments-submitted", "submitted", "/school/commitments/"),
    Case("school-commitments-reviewing", "reviewing", "/school/commitments/"),
    Case("school-commitments-returned", "returned", "/school/commitments/"),
    Case("school-commitments-approved", "approved", "/school/commitments/"),
    Case("school-commitments-closed", "closed", "/school/commitments/"),
    Case("school-commitments-no-round", "no_round", "/school/commitments/"),
    Case("school-withdrawn", "submitted", "/school/commitments/", press("继续修改")),
    Case("school-returned-rows", "returned", "/school/returned/"),
    Case(
        "school-returned-errors",
        "returned",
        "/school/returned/",
        press("提交", fill={"3.2 学校自筹": "abc"}, check=("3.2 选择提交",)),
        400,
    ),
    Case("school-returned-empty", "approved", "/school/returned/"),
    Case("school-changes-form", "approved", "/school/changes/"),
    Case("school-changes-errors", "approved", "/school/changes/", press("提交变更申请"), 400),
    Case("school-changes-pending", "changed", "/school/changes/"),
    Case("school-changes-not-approved", "filling", "/school/changes/"),
    Case("school-extension-open", "filling", "/school/extension/"),
    Case("school-extension-form", "closed", "/school/extension/"),
    Case("school-extension-errors", "closed", "/school/extension/", press("提交延期申请"), 400),
    Case("school-extension-pending", "late", "/school/extension/"),
    Case("school-province-contacts", "filling", "/school/province-contacts/"),
    Case("school-reporting-years", "approved", "/school/reporting/"),
    Case("school-reporting-none", "filling", "/school/reporting/"),
    Case("school-report-draft", "returned", lambda w: f"/school/reporting/{w.year.pk}/"),
    Case(
        "school-report-errors",
        "returned",
        lambda w: f"/school/reporting/{w.year.pk}/",
        press("提交", fill={"1 学校自筹（本年实际）": "-5"}),
        400,
    ),
    Case("school-report-returned", "reviewing", lambda w: f"/school/reporting/{w.year.pk}/"),
    Case("school-report-submitted", "approved", lambda w: f"/school/reporting/{w.year.pk}/"),
    Case("school-profile", "filling", "/school/profile/"),
    Case(
        "school-profile-errors",
        "filling",
        "/school/profile/",
        press("保存", fill={"平台管理联系人": "", "办公电话": "x", "手机号": "1"}),
    ),
    Case("school-profile-csrf-403", "filling", "/school/profile/", csrf_expired, 403),
    Case("school-first-sign-in-password", "first_time", "/account/password/"),
    Case("school-password", "filling", "/account/password/"),
    Case("school-password-errors", "filling", "/account/password/", press("提交")),
    Case("school-notices", "returned", "/notices/"),
    Case("school-mail-settings", "returned", "/notices/settings/"),
    # The province.
    Case("province-home", "sx", "/province/"),
    Case("province-help", "sx", "/help/"),
    Case("province-home-closed", "hn", "/province/"),
    Case("province-home-no-round", "bj", "/province/"),
    Case("province-by-item-no-round", "bj", "/province/by-item/"),
    Case("province-own-no-round", "bj", "/province/own/"),
    Case("province-round", "sx", "/province/round/"),
    Case(
        "province-round-errors",
        "sx",
        "/province/round/",
        press("保存", fill={"开始日期": "2099-01-01", "结束日期": "2000-01-01"}),
        400,
    ),
    Case("province-requirement", "sx", "/province/round/required/"),
    Case("province-requirement-errors", "sx", "/province/round/required/", press("保存"), 400),
    Case("province-accounts", "sx", "/province/accounts/"),
    Case(
        "province-reset-password-confirm",
        "sx",
        "/province/accounts/",
        unconfirmed(re.compile("重置密码$")),
    ),
    Case(
        "province-reset-password-done", "sx", "/province/accounts/", press(re.compile("重置密码$"))
    ),
    Case("province-add-school", "sx", "/province/accounts/add/"),
    Case("province-add-school-errors", "sx", "/province/accounts/add/", press("添加"), 400),
    Case("province-import", "sx", "/province/accounts/import/"),
    Case("province-import-errors", "sx", "/province/accounts/import/", press("导入"), 400),
    Case("province-queue", "sx", "/province/queue/"),
    Case("province-queue-empty", "hn", "/province/queue/"),
    Case("province-by-item", "sx", "/province/by-item/"),
    Case("province-by-item-chosen", "sx", "/province/by-item/?item=3.2"),
    Case(
        "province-by-item-errors",
        "sx",
        "/province/by-item/?item=3.2",
        press("批量退回修改"),
        400,
    ),
    Case(
        "province-review-submitted",
        "sx",
        lambda w: f"/province/schools/{w.schools['submitted'].code}/",
    ),
    Case(
        "province-review-returned",
        "sx",
        lambda w: f"/province/schools/{w.schools['returned'].code}/",
    ),
    Case(
        "province-review-approved",
        "sx",
        lambda w: f"/province/schools/{w.schools['approved'].code}/",
    ),
    Case(
        "province-review-change", "sx", lambda w: f"/province/schools/{w.schools['changed'].code}/"
    ),
    Case(
        "province-review-not-started",
        "sx",
        lambda w: f"/province/schools/{w.schools['not_started'].code}/",
    ),
    Case(
        "province-review-confirm",
        "sx",
        lambda w: f"/province/schools/{w.schools['submitted'].code}/",
        unconfirmed("全部通过"),
    ),
    Case(
        "province-review-errors",
        "sx",
        lambda w: f"/province/schools/{w.schools['submitted'].code}/",
        press("3.2 退回修改"),
        400,
    ),
    Case("province-changes", "sx", "/province/changes/"),
    Case("province-changes-empty", "hn", "/province/changes/"),
    Case("province-own", "sx", "/province/own/"),
    Case("province-own-errors", "sx", "/province/own/", press("提交"), 400),
    Case("province-extensions", "hn", "/province/extensions/"),
    Case("province-extensions-empty", "sx", "/province/extensions/"),
    Case("province-extension", "hn", lambda w: f"/province/extensions/{w.extension.pk}/"),
    Case(
        "province-extension-errors",
        "hn",
        lambda w: f"/province/extensions/{w.extension.pk}/",
        press("不同意"),
        400,
    ),
    Case(
        "province-extension-grant",
        "hn",
        lambda w: f"/province/extensions/grant/{w.schools['late'].code}/",
    ),
    Case("province-audit", "sx", "/province/audit/"),
    Case("province-reporting", "sx", "/province/reporting/"),
    Case("province-reporting-year", "sx", lambda w: f"/province/reporting/{w.year.pk}/"),
    Case("province-reporting-summary", "sx", lambda w: f"/province/reporting/{w.year.pk}/summary/"),
    Case(
        "province-reporting-summary-errors",
        "sx",
        lambda w: f"/province/reporting/{w.year.pk}/summary/",
        press("上传"),
        400,
    ),
    Case(
        "province-report-submitted",
        "sx",
        lambda w: f"/province/reporting/{w.year.pk}/schools/{w.schools['approved'].code}/",
    ),
    Case(
        "province-report-evaluate-errors",
        "sx",
        lambda w: f"/province/reporting/{w.year.pk}/schools/{w.schools['approved'].code}/",
        press("评价"),
        400,
    ),
    Case(
        "province-report-return-errors",
        "sx",
        lambda w: f"/province/reporting/{w.year.pk}/schools/{w.schools['approved'].code}/",
        press("退回修改"),
        400,
    ),
    Case(
        "province-report-returned",
        "sx",
        lambda w: f"/province/reporting/{w.year.pk}/schools/{w.schools['reviewing'].code}/",
    ),
    Case(
        "province-report-draft",
        "sx",
        lambda w: f"/province/reporting/{w.year.pk}/schools/{w.schools['returned'].code}/",
    ),
    Case("province-notices", "sx", "/notices/"),
    Case("province-403", "sx", "/school/commitments/", status=403),
    # The ministry.
    Case("ministry-home", "moe", "/ministry/"),
    Case("ministry-table-provinces", "moe", "/ministry/tables/provinces/"),
    Case("ministry-table-items", "moe", "/ministry/tables/items/"),
    Case("ministry-exports", "moe", "/ministry/exports/"),
    Case("ministry-export-pending", "moe", lambda w: f"/ministry/exports/{w.jobs['pending'].pk}/"),
    Case("ministry-export-running", "moe", lambda w: f"/ministry/exports/{w.jobs['running'].pk}/"),
    Case("ministry-export-done", "moe", lambda w: f"/ministry/exports/{w.jobs['done'].pk}/"),
    Case("ministry-export-failed", "moe", lambda w: f"/ministry/exports/{w.jobs['failed'].pk}/"),
    Case("ministry-province", "moe", "/ministry/provinces/14/"),
    Case("ministry-province-no-round", "moe", "/ministry/provinces/11/"),
    Case(
        "ministry-school",
        "moe",
        lambda w: f"/ministry/provinces/14/schools/{w.schools['returned'].code}/",
    ),
    Case("ministry-province-own", "moe", "/ministry/provinces/14/own/"),
    Case("ministry-audit", "moe", "/ministry/audit/"),
    # 目录维护.
    Case("catalogue-index", "moe", "/ministry/catalogue/"),
    Case("catalogue-plan", "moe", "/ministry/catalogue/plans/1/"),
    Case("catalogue-plan-edit", "moe", "/ministry/catalogue/plans/1/edit/"),
    Case("catalogue-plan-add-errors", "moe", "/ministry/catalogue/plans/add/", save_empty, 400),
    Case("catalogue-task-edit", "moe", lambda w: f"/ministry/catalogue/tasks/{task_pk(3)}/edit/"),
    Case(
        "catalogue-item-edit", "moe", lambda w: f"/ministry/catalogue/items/{item('3.2').pk}/edit/"
    ),
    Case(
        "catalogue-item-deleted",
        "moe",
        lambda w: f"/ministry/catalogue/items/{item('3.3').pk}/edit/",
        press_delete,
    ),
    Case("ministry-admins", "moe", "/ministry/admins/"),
    Case(
        "ministry-admin-reset-confirm",
        "moe",
        "/ministry/admins/",
        unconfirmed(re.compile("重置密码$")),
    ),
    Case("ministry-admin-reset-done", "moe", "/ministry/admins/", press(re.compile("重置密码$"))),
    Case("ministry-admin-new", "moe", "/ministry/admins/new/"),
    Case("ministry-admin-new-errors", "moe", "/ministry/admins/new/", press("新建"), 400),
    Case("ministry-reporting", "moe", "/ministry/reporting/"),
    Case("ministry-reporting-errors", "moe", "/ministry/reporting/", press("开放"), 400),
    Case("ministry-reporting-year", "moe", lambda w: f"/ministry/reporting/{w.year.pk}/"),
    Case(
        "ministry-report",
        "moe",
        lambda w: f"/ministry/reporting/{w.year.pk}/schools/{w.schools['approved'].code}/",
    ),
    Case("ministry-notices-empty", "moe", "/notices/"),
    Case("ministry-mail-settings", "moe", "/notices/settings/"),
]


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"][:10]:
            lines.append(f"    {' > '.join(map(str, node['target']))}")
        if len(v["nodes"]) > 10:
            lines.append(f"    … and {len(v['nodes']) - 10} more")
    return "\n".join(lines)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_no_serious_violations(live_server, browser, reference_data, case):
    world = build_world()
    context = browser.new_context(locale="zh-CN")
    context.set_default_timeout(10_000)
    # axe comes in as an init script (through the browser's debugging protocol), not a <script>
    # tag: the page keeps its Content-Security-Policy, which allows no inline script.
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    try:
        if case.user:
            sign_in_by_cookie(page, live_server, world.users[case.user])
        path = case.path(world) if callable(case.path) else case.path
        response = page.goto(live_server.url + path)
        assert response is not None
        if case.act:
            response = case.act(page, world)
            assert response is not None
        assert response.status == case.status, f"{path}: {response.status}"
        results = page.evaluate("options => axe.run(document, options)", OPTIONS)
        blocking = [v for v in results["violations"] if v["impact"] in BLOCKING]
        assert not blocking, f"{case.id} ({page.url}):\n{describe(blocking)}"
    finally:
        context.close()
