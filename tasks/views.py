from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from schools.access import PortalRequest, school_required
from schools.models import School
from tasks.choices import ItemScope, ReviewStatus
from tasks.exports import school_workbook_response
from tasks.files import display_name, open_file
from tasks.forms import (
    ChangeForm,
    CommitmentForm,
    ExtensionRequestForm,
    ReportForm,
    ReturnedForm,
    RowTable,
)
from tasks.models import (
    ChangeRequest,
    Commitment,
    Declaration,
    EvidenceFile,
    Extension,
    Item,
    Plan,
    ProvinceSummaryReport,
    ReportingYear,
    Round,
    UnitReport,
)
from tasks.transitions import TransitionError, beijing_today
from tizhi.lib.http import client_ip
from tizhi.lib.text import parse_id


def catalogue(request: HttpRequest) -> HttpResponse:
    """重点任务（项目）一览表: public, the 附表's layout with each task's items."""
    plans = list(Plan.objects.order_by("-is_current", "-start_year"))
    if not plans:
        raise Http404("尚未导入任务目录。")
    code = request.GET.get("plan")
    chosen = next((p for p in plans if p.code == code), None) if code else plans[0]
    if chosen is None:
        raise Http404("没有这个行动计划。")
    plan = Plan.objects.with_catalogue().get(pk=chosen.pk)
    tasks = [t for c in plan.categories.all() for t in c.tasks.all()]
    offered = [i for t in tasks if t.on_platform for i in t.items.all()]
    summary = {
        "categories": len(plan.categories.all()),
        "tasks": len(tasks),
        "on_platform": sum(t.on_platform for t in tasks),
        "items": len(offered),
        "school_items": sum(i.scope == ItemScope.SCHOOL for i in offered),
        "province_items": sum(i.scope == ItemScope.PROVINCE for i in offered),
    }
    return render(
        request, "tasks/catalogue.html", {"plan": plan, "plans": plans, "summary": summary}
    )


def _school_round(request: PortalRequest) -> tuple[Round | None, Declaration | None]:
    school = request.user.school
    assert school is not None
    round_ = Round.current_for(school.province_id)
    if round_ is None:
        return None, None
    return round_, Declaration.for_school(school, round_)


def _no_round(request: PortalRequest) -> HttpResponse:
    return render(request, "tasks/no_round.html", {"here": "承接任务"})


def _form_page(
    request: PortalRequest,
    form: CommitmentForm,
    status: int = 200,
    error: str | None = None,
) -> HttpResponse:
    declaration = form.declaration
    assert declaration.school is not None
    required = list(declaration.round.required_items_for(declaration.school))
    return render(
        request,
        "tasks/commitments_form.html",
        {
            "form": form,
            "declaration": declaration,
            "round": declaration.round,
            "school": declaration.school,
            "required": required,
            "required_ids": {item.pk for item in required},
            "error": error,
            "editable": declaration.can_edit(request.user),
            "reopen_reason": declaration.reopen_reason(),
            "latest_extension": _latest_extension(declaration),
        },
        status=status,
    )


def _preview_page(
    request: PortalRequest, declaration: Declaration, status: int = 200, error: str | None = None
) -> HttpResponse:
    round_ = declaration.round
    items = declaration.form_items()
    commitments = {c.item_id: c for c in declaration.commitments.all()} if declaration.pk else {}
    names = [name for name, _label in declaration.fund_fields]
    rows = []
    for item in items:
        c = commitments.get(item.pk)
        rows.append((item, c, [getattr(c, name) for name in names] if c else []))
    summaries = []
    for label, sums in (
        ("意向承接", declaration.summary()),
        ("已通过", declaration.summary(approved=True)),
    ):
        summaries.append((label, sums["count"], sums["total"], [sums[name] for name in names]))
    return render(
        request,
        "tasks/commitments_preview.html",
        {
            "declaration": declaration,
            "round": round_,
            "school": declaration.school,
            "rows": rows,
            "summaries": summaries,
            "withdraw_refusal": declaration.withdraw_refusal(request.user)
            if declaration.is_submitted
            else None,
            "error": error,
            "reopen_reason": declaration.reopen_reason(),
            "latest_extension": _latest_extension(declaration),
        },
        status=status,
    )


def _latest_extension(declaration: Declaration) -> Extension | None:
    """The school's last request or grant, for the state shown on 承接任务 (None on the
    province's own form)."""
    if declaration.is_provincial:
        return None
    return (
        Extension.objects.filter(round_id=declaration.round_id, school_id=declaration.school_id)
        .order_by("-pk")
        .first()
    )


@school_required
@require_http_methods(["GET", "POST"])
def commitments(request: PortalRequest) -> HttpResponse:
    """承接任务: the school's form while it is a draft, its preview once submitted."""
    round_, declaration = _school_round(request)
    if round_ is None or declaration is None:
        return _no_round(request)
    if request.method == "GET":
        if declaration.is_submitted or not declaration.is_open():
            return _preview_page(request, declaration)
        return _form_page(request, CommitmentForm(declaration, declaration.form_items()))
    if declaration.is_submitted:
        # A second click on 提交, the back button, or a tab left open: nothing changes.
        return _preview_page(request, declaration, 409, "本表已提交，本次操作没有做任何更改。")
    form = CommitmentForm(declaration, declaration.form_items(), request.POST)
    return post_declaration_form(
        request,
        form,
        submitted="已提交，等待省厅审核。",
        page=lambda status, error: _form_page(request, form, status, error),
        success_url=reverse("tasks:commitments"),
    )


# -- the one POST path of the row tables ------------------------------------------------------

NOT_UNDERSTOOD = "未知的操作，未保存。请刷新页面后重试。"


@dataclass(frozen=True)
class FileAction:
    """A button of a row-table page that changes a file once what is typed has been saved.

    `run` gets the id the button names (None for a button that names none), does it through a
    model method (raising TransitionError when refused) and says what it did; `not_done` is
    what the page says when it did not happen.
    """

    run: Callable[[int | None], str]
    not_done: str
    names_target: bool = True


def post_row_table(
    request: PortalRequest,
    form: RowTable[Any],
    *,
    save: Callable[[int], object],
    submit: Callable[[int], object],
    done: Mapping[str, str],
    page: Callable[[int, str | None], HttpResponse],
    success_url: str,
    files: Mapping[str, FileAction] | None = None,
) -> HttpResponse:
    """The one POST path of the row-table pages (承接任务, 需修改的任务, 省级承接, 年度绩效).

    The pressed button is `action`: "save", "submit", or a file action "<name>[:<id>]". Each
    page passes its model calls (`save` and `submit` get the posted version) and how to show
    itself again (`page(status, error)`). Whatever happens, nothing typed is lost: a refusal
    shows the page again with the typed values, and a file action first saves what is typed.
    """
    action = request.POST.get("action", "")
    name, colon, raw = action.partition(":")
    file_action = (files or {}).get(name)
    target = parse_id(raw) if colon else None
    not_done = f"，{file_action.not_done}" if file_action else ""
    if file_action is None and action not in {"save", "submit"}:
        return _refused(form, page, 400, NOT_UNDERSTOOD)
    if file_action is not None and (target is not None) != file_action.names_target:
        return _refused(form, page, 400, NOT_UNDERSTOOD)
    version = form.posted_version()
    if version is None or not form.targets_this_page():
        status = 400 if version is None else 403
        also = f"{file_action.not_done}。" if file_action else ""
        return _refused(form, page, status, f"{form.other_page_message}{also}")
    if not form.is_well_formed():
        return _refused(form, page, 400, _malformed_message(form, action, not_done))
    if file_action is not None:
        return _save_then_file(request, form, version, save, file_action, target, page, success_url)
    try:
        if action == "save":
            save(version)
            return _done(request, form, done["save"], success_url)
        refusal = form.submit_refusal()
        if refusal is None:
            submit(version)
            return _done(request, form, done["submit"], success_url)
        if not form.saves_when_incomplete:
            return _refused(form, page, 400, refusal)
        save(version)
    except TransitionError as exc:
        return _refused(form, page, exc.status, exc.message)
    return page(400, f"{refusal}已填写的内容已保存为草稿。{_left_behind(form)}")


def _malformed_message(form: RowTable[Any], action: str, not_done: str) -> str:
    """The page's message for a post with malformed values. On 提交 the completeness check runs
    too, so every error is marked in one pass: a school that fixes the formats does not then
    meet a second list of what is missing."""
    message = f"有填写错误，未保存{not_done}。请按标红的提示修改。"
    if action != "submit":
        return message
    refusal = form.submit_refusal()
    if refusal is None:
        return message
    if refusal == form.incomplete_message:
        return f"{message}提交还需要填写完整所有标红的项目。"
    return f"{message}另外，{refusal}"


def _save_then_file(
    request: PortalRequest,
    form: RowTable[Any],
    version: int,
    save: Callable[[int], object],
    file_action: FileAction,
    target: int | None,
    page: Callable[[int, str | None], HttpResponse],
    success_url: str,
) -> HttpResponse:
    """A file button: save what is typed (when it differs from what is stored), then the file
    action. A refused save does not touch the file; a refused file keeps the save."""
    saved = form.has_changes()
    if saved:
        try:
            save(version)
        except TransitionError as exc:
            return _refused(form, page, exc.status, f"{exc.message}{file_action.not_done}。")
    try:
        message = file_action.run(target)
    except TransitionError as exc:
        kept = "已填写的内容已保存，但" if saved else ""
        return page(exc.status, f"{kept}{file_action.not_done}：{exc.message}{_left_behind(form)}")
    return _done(request, form, f"已保存填写的内容。{message}" if saved else message, success_url)


def _refused(
    form: RowTable[Any], page: Callable[[int, str | None], HttpResponse], status: int, error: str
) -> HttpResponse:
    """The page again with what was typed, none of it saved."""
    form.unsaved = True
    return page(status, f"{error}{_left_behind(form)}")


def _done(request: PortalRequest, form: RowTable[Any], message: str, url: str) -> HttpResponse:
    messages.success(request, message)
    left = _left_behind(form)
    if left:
        messages.warning(request, left)
    return redirect(url)


def _left_behind(form: RowTable[Any]) -> str:
    chosen = form.files_left_behind()
    if not chosen:
        return ""
    return f"以下所选文件没有上传：{'、'.join(chosen)}。请重新选择，再点击其旁边的“上传”。"


def post_declaration_form(
    request: PortalRequest,
    form: CommitmentForm,
    *,
    submitted: str,
    page: Callable[[int, str | None], HttpResponse],
    success_url: str,
    saved: str = "承接任务已保存，尚未提交。",
) -> HttpResponse:
    """保存 or 提交 a declaration's form: a school's 承接任务 or the province's 省级承接."""
    declaration, by, ip = form.declaration, request.user, client_ip(request)
    return post_row_table(
        request,
        form,
        save=lambda version: declaration.save_draft(
            by=by, rows=form.row_values(), contacts=form.contact_values(), version=version, ip=ip
        ),
        submit=lambda version: declaration.submit(
            by=by, rows=form.row_values(), contacts=form.contact_values(), version=version, ip=ip
        ),
        done={"save": saved, "submit": submitted},
        page=page,
        success_url=success_url,
    )


@school_required
@require_POST
def withdraw(request: PortalRequest) -> HttpResponse:
    """继续修改: take the submission back, if the province has not started reviewing."""
    round_, declaration = _school_round(request)
    if round_ is None or declaration is None:
        return _no_round(request)
    try:
        declaration.withdraw(by=request.user, ip=client_ip(request))
    except TransitionError as exc:
        return _preview_page(request, declaration, exc.status, exc.message)
    messages.success(request, "已撤回提交，可以继续修改。修改完成后请重新提交。")
    return redirect("tasks:commitments")


def _extension_page(
    request: PortalRequest,
    declaration: Declaration,
    form: ExtensionRequestForm,
    status: int = 200,
    error: str | None = None,
) -> HttpResponse:
    round_ = declaration.round
    school = declaration.school
    assert school is not None
    extensions = list(Extension.objects.filter(round=round_, school=school).order_by("-pk"))
    return render(
        request,
        "tasks/extension.html",
        {
            "round": round_,
            "declaration": declaration,
            "form": form,
            "extensions": extensions,
            "pending": next((e for e in extensions if e.is_pending), None),
            "latest_date": Extension.latest_date(round_),
            "error": error,
        },
        status=status,
    )


@school_required
@require_http_methods(["GET", "POST"])
def extension(request: PortalRequest) -> HttpResponse:
    """申请延期: ask the province for more time, and see every request and its outcome."""
    round_, declaration = _school_round(request)
    if round_ is None or declaration is None or declaration.school is None:
        return _no_round(request)
    if request.method == "GET":
        return _extension_page(request, declaration, ExtensionRequestForm())
    form = ExtensionRequestForm(request.POST)
    if not form.is_valid():
        return _extension_page(request, declaration, form, 400, "有填写错误，未提交。")
    try:
        Extension.request(
            round_,
            declaration.school,
            by=request.user,
            reason=form.cleaned_data["reason"],
            wanted_until=form.cleaned_data["wanted_until"],
            ip=client_ip(request),
        )
    except TransitionError as exc:
        if exc.field in form.fields:
            form.add_error(exc.field, exc.message)
        return _extension_page(request, declaration, form, exc.status, exc.message)
    messages.success(request, "延期申请已提交，省厅处理后会通知本校。")
    return redirect("tasks:extension")


@school_required
@require_http_methods(["GET", "POST"])
def returned(request: PortalRequest) -> HttpResponse:
    """需修改的任务: the returned items with the province's comments, editable."""
    round_, declaration = _school_round(request)
    if round_ is None or declaration is None:
        return _no_round(request)
    items = (
        [
            c.item
            for c in declaration.commitments.filter(review_status=ReviewStatus.RETURNED)
            .select_related("item__task")
            .order_by("item__task__number", "item__sub_number")
        ]
        if declaration.pk
        else []
    )
    if request.method == "GET":
        return _returned_page(request, ReturnedForm(declaration, items))
    form = ReturnedForm(declaration, items, request.POST)
    by, ip = request.user, client_ip(request)
    return post_row_table(
        request,
        form,
        save=lambda version: declaration.save_returned(
            by=by, rows=form.row_values(), version=version, ip=ip
        ),
        submit=lambda version: declaration.resubmit(
            by=by, rows=form.row_values(), selected=form.selected(), version=version, ip=ip
        ),
        done={
            "save": "需修改的任务已保存，尚未重新提交。修改完成后请勾选任务并点击“提交”。",
            "submit": "已重新提交，等待省厅审核。",
        },
        page=lambda status, error: _returned_page(request, form, status, error),
        success_url=reverse("tasks:returned"),
    )


def _returned_page(
    request: PortalRequest, form: CommitmentForm, status: int = 200, error: str | None = None
) -> HttpResponse:
    declaration = form.declaration
    assert declaration.school is not None
    required = declaration.round.required_items_for(declaration.school).values_list("pk", flat=True)
    return render(
        request,
        "tasks/returned.html",
        {
            "form": form,
            "declaration": declaration,
            "round": form.round,
            "error": error,
            # A returned required item may be fixed, not dropped (Declaration.resubmit).
            "required_ids": set(required),
        },
        status=status,
    )


@school_required
@require_http_methods(["GET", "POST"])
def changes(request: PortalRequest) -> HttpResponse:
    """变更申请: propose changes to approved items (or new items), see and withdraw the
    pending proposal, and read the province's answers to earlier ones."""
    round_, declaration = _school_round(request)
    if round_ is None or declaration is None:
        return _no_round(request)
    if request.method == "GET":
        return _changes_page(request, declaration, ChangeForm(declaration))
    by, ip = request.user, client_ip(request)
    action = request.POST.get("action", "")
    if action == "withdraw" and declaration.pk:
        found = declaration.change_requests.filter(
            pk=parse_id(request.POST.get("request", "")) or 0
        ).first()
        if found is None:
            return _changes_page(request, declaration, ChangeForm(declaration), 404, NO_CHANGE)
        try:
            found.withdraw(by=by, ip=ip)
        except TransitionError as exc:
            return _changes_page(
                request, declaration, ChangeForm(declaration), exc.status, exc.message
            )
        messages.success(request, "已撤回变更申请。")
        return redirect("tasks:changes")
    form = ChangeForm(declaration, request.POST)
    form.unsaved = True  # until the proposal is made, nothing typed is stored
    if action != "propose":
        return _changes_page(request, declaration, form, 400, NOT_UNDERSTOOD)
    version = form.posted_version()
    if version is None or not form.targets_this_page():
        return _changes_page(
            request, declaration, form, 400 if version is None else 403, form.other_page_message
        )
    if not form.is_well_formed():
        # Completeness is checked in the same pass, so every error is marked at once.
        form.submit_refusal()
        return _changes_page(
            request, declaration, form, 400, "有填写错误，未提交。请按标红的提示修改。"
        )
    refusal = form.submit_refusal()
    if refusal:
        return _changes_page(request, declaration, form, 400, refusal)
    try:
        ChangeRequest.propose(
            declaration, by=by, rows=form.row_values(), reason=form.reason, version=version, ip=ip
        )
    except TransitionError as exc:
        return _changes_page(request, declaration, form, exc.status, exc.message)
    messages.success(request, "变更申请已提交，等待省厅审核。省厅同意之前，已通过的内容保持不变。")
    return redirect("tasks:changes")


NO_CHANGE = "没有这份变更申请，可能已处理。请刷新页面。"


def _changes_page(
    request: PortalRequest,
    declaration: Declaration,
    form: ChangeForm,
    status: int = 200,
    error: str | None = None,
) -> HttpResponse:
    requests = (
        list(declaration.change_requests.order_by("-proposed_at", "-pk")) if declaration.pk else []
    )
    with_comparisons(declaration, requests)
    pending = next((r for r in requests if r.is_pending), None)
    return render(
        request,
        "tasks/changes.html",
        {
            "declaration": declaration,
            "round": declaration.round,
            "form": form,
            "pending": pending,
            "history": [r for r in requests if not r.is_pending],
            "refusal": ChangeRequest._proposal_refusal(declaration)
            if declaration.pk
            else "本校尚未填报承接任务。",
            "error": error,
        },
        status=status,
    )


def with_comparisons(declaration: Declaration, requests: list[ChangeRequest]) -> None:
    """Give each request its 修改对比 (`shown`), reading the items of all of them at once."""
    keys = {int(pk) for r in requests for pk in r.proposed}
    items = Item.objects.select_related("task").in_bulk(list(keys)) if keys else {}
    for r in requests:
        r.declaration = declaration
        r.shown = r.comparisons(items)  # type: ignore[attr-defined]


@school_required
def province_contacts(request: PortalRequest) -> HttpResponse:
    """省级平台联系人: whom to call with questions."""
    round_, _declaration = _school_round(request)
    return render(request, "tasks/province_contacts.html", {"round": round_})


@school_required
def export(request: PortalRequest) -> HttpResponse:
    """导出承接任务情况: the school's sheet as .xlsx."""
    round_, declaration = _school_round(request)
    if round_ is None or declaration is None:
        return _no_round(request)
    return school_workbook_response(declaration, beijing_today())


# -- 年度绩效 (yearly performance reports) ----------------------------------------------------


def _reporting_years(school: School) -> list[ReportingYear]:
    """Years the school reports in: those of plans in which it has reportable commitments."""
    plans = (
        Commitment.objects.approved()
        .of_schools()
        .filter(declaration__school=school)
        .values("declaration__round__plan")
    )
    return list(
        ReportingYear.objects.filter(plan__in=plans)
        .for_province(school.province_id)
        .select_related("plan")
        .order_by("-year")
    )


def _report_for(request: PortalRequest, year_id: int) -> UnitReport:
    school = request.user.school
    assert school is not None
    year = get_object_or_404(ReportingYear.objects.select_related("plan"), pk=year_id)
    if year not in _reporting_years(school):
        raise Http404("本校在该年度没有需要填报绩效的承接任务。")
    return UnitReport.for_school(school, year)


@school_required
def reporting(request: PortalRequest) -> HttpResponse:
    """年度绩效: the years the school reports in, with their deadlines and states."""
    school = request.user.school
    assert school is not None
    years = _reporting_years(school)
    reports = {
        r.reporting_year_id: r
        for r in UnitReport.objects.filter(school=school, reporting_year__in=years)
    }
    rows = [(year, reports.get(year.pk), year.deadline_for(school.province_id)) for year in years]
    return render(request, "tasks/reporting_index.html", {"rows": rows})


def _report_page(
    request: PortalRequest, form: ReportForm, status: int = 200, error: str | None = None
) -> HttpResponse:
    report = form.report
    return render(
        request,
        "tasks/report_form.html",
        {
            "form": form,
            "report": report,
            "year": report.reporting_year,
            "editable": report.can_edit(request.user),
            "error": error,
        },
        status=status,
    )


@school_required
@require_http_methods(["GET", "POST"])
def report(request: PortalRequest, year_id: int) -> HttpResponse:
    """One year's report: a block per approved commitment, 保存 and 提交, and the file buttons
    (年度工作报告, each row's 佐证材料 and 删除), all in the one form so that every button posts
    what is typed."""
    unit_report = _report_for(request, year_id)
    if request.method == "GET":
        return _report_page(request, ReportForm(unit_report))
    form = ReportForm(unit_report, request.POST, request.FILES)
    by, ip = request.user, client_ip(request)
    return post_row_table(
        request,
        form,
        save=lambda version: unit_report.save_draft(
            by=by, rows=form.row_values(), version=version, ip=ip
        ),
        submit=lambda version: unit_report.submit(
            by=by, rows=form.row_values(), version=version, ip=ip
        ),
        done={"save": "年度绩效已保存，尚未提交。", "submit": "年度绩效已提交，等待省级评价。"},
        page=lambda status, error: _report_page(request, form, status, error),
        success_url=reverse("tasks:report", args=[year_id]),
        files=_report_files(request, form),
    )


def _report_files(request: PortalRequest, form: ReportForm) -> dict[str, FileAction]:
    """The 年度绩效 page's file buttons: "annual", "evidence:<commitment>", "delete:<file>"."""
    unit_report, by, ip = form.report, request.user, client_ip(request)

    def annual(_none: int | None) -> str:
        upload = form.take_file(form.ANNUAL)
        unit_report.attach_annual_report(by=by, upload=upload, ip=ip)
        return f"已上传“{display_name(upload.name or '')}”。"

    def evidence(commitment_id: int | None) -> str:
        assert commitment_id is not None  # post_row_table checks that the button names one
        upload = form.take_file(form.evidence_input(commitment_id))
        unit_report.add_evidence(by=by, commitment_id=commitment_id, upload=upload, ip=ip)
        return f"已上传“{display_name(upload.name or '')}”。"

    def delete(file_id: int | None) -> str:
        assert file_id is not None
        unit_report.remove_evidence(by=by, evidence_id=file_id, ip=ip)
        return "已删除佐证材料。"

    return {
        "annual": FileAction(annual, "文件未上传", names_target=False),
        "evidence": FileAction(evidence, "文件未上传"),
        "delete": FileAction(delete, "佐证材料未删除"),
    }


# -- files: served only to those allowed ------------------------------------------------------


def _serve(stored: str, filename: str) -> FileResponse:
    try:
        handle = open_file(stored)
    except FileNotFoundError as exc:
        raise Http404("文件不存在。") from exc
    return FileResponse(handle, as_attachment=True, filename=filename)


@login_required
def annual_report_file(request: PortalRequest, report_id: int) -> FileResponse:
    found = get_object_or_404(UnitReport.objects.select_related("school"), pk=report_id)
    if not found.annual_report or not found.can_read(request.user):
        raise Http404("文件不存在。")
    return _serve(found.annual_report, found.annual_report_name)


@login_required
def evidence_file(request: PortalRequest, file_id: int) -> FileResponse:
    found = get_object_or_404(
        EvidenceFile.objects.select_related("row__report__school"), pk=file_id
    )
    if not found.row.report.can_read(request.user):
        raise Http404("文件不存在。")
    return _serve(found.stored_name, found.original_name)


@login_required
def summary_file(request: PortalRequest, file_id: int) -> FileResponse:
    found = get_object_or_404(ProvinceSummaryReport, pk=file_id)
    if not found.can_read(request.user):
        raise Http404("文件不存在。")
    return _serve(found.stored_name, found.original_name)
