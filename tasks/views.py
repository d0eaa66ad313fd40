from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from schools.access import PortalRequest, school_required
from schools.models import School
from tasks.choices import DeclarationStatus, ItemScope, ReviewStatus
from tasks.exports import school_workbook_response
from tasks.files import display_name, open_file
from tasks.forms import CommitmentForm, ReportForm, UploadForm
from tasks.models import (
    Commitment,
    Declaration,
    EvidenceFile,
    Plan,
    ProvinceSummaryReport,
    ReportingYear,
    Round,
    UnitReport,
)
from tasks.transitions import TransitionError, beijing_today
from tizhi.lib.http import client_ip


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
    return render(
        request,
        "tasks/commitments_form.html",
        {
            "form": form,
            "declaration": declaration,
            "round": declaration.round,
            "school": declaration.school,
            "error": error,
            "editable": declaration.can_edit(request.user),
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
            if declaration.status == DeclarationStatus.SUBMITTED
            else None,
            "error": error,
        },
        status=status,
    )


@school_required
@require_http_methods(["GET", "POST"])
def commitments(request: PortalRequest) -> HttpResponse:
    """承接任务: the school's form while it is a draft, its preview once submitted."""
    round_, declaration = _school_round(request)
    if round_ is None or declaration is None:
        return _no_round(request)
    if request.method == "GET":
        if declaration.status == DeclarationStatus.SUBMITTED or not round_.is_open():
            return _preview_page(request, declaration)
        return _form_page(request, CommitmentForm(declaration, declaration.form_items()))

    action = request.POST.get("action")
    if action not in {"save", "submit"}:
        return HttpResponseBadRequest("未知的操作。".encode())
    if declaration.status == DeclarationStatus.SUBMITTED:
        # A second click on 提交, the back button, or a tab left open: nothing changes.
        return _preview_page(request, declaration, 409, "本表已提交，本次操作没有做任何更改。")
    form = CommitmentForm(declaration, declaration.form_items(), request.POST)
    outcome = post_commitment_form(
        request,
        form,
        action,
        other_page="这个页面不是本校当前的承接任务表（可能是在其他账号下打开的旧页面），"
        "未保存。请刷新页面后重新填写。",
    )
    if outcome.done:
        messages.success(request, "已保存。" if action == "save" else "已提交，等待省厅审核。")
        return redirect("tasks:commitments")
    return _form_page(request, form, outcome.status, outcome.error)


@dataclass
class PostOutcome:
    """What became of a posted commitment form: done, or a status and the message to show."""

    done: bool
    status: int = 200
    error: str | None = None


def post_commitment_form(
    request: PortalRequest, form: CommitmentForm, action: str, other_page: str
) -> PostOutcome:
    """保存 or 提交 a commitment form (a school's or the province's own), the views' one path.

    A post whose version or declaration does not match is refused (`other_page` says why);
    malformed values save nothing; 提交 with something missing saves the draft and marks it.
    """
    declaration = form.declaration
    version = form.posted_version()
    if version is None or not form.targets_this_declaration():
        return PostOutcome(False, 403 if version is not None else 400, other_page)
    if not form.is_well_formed():
        return PostOutcome(False, 400, "有填写错误，未保存。请按标红的提示修改后再保存。")
    by, rows, contacts, ip = (
        request.user,
        form.row_values(),
        form.contact_values(),
        client_ip(request),
    )
    try:
        if action == "submit" and form.require_complete():
            declaration.submit(by=by, rows=rows, contacts=contacts, version=version, ip=ip)
            return PostOutcome(True)
        declaration.save_draft(by=by, rows=rows, contacts=contacts, version=version, ip=ip)
    except TransitionError as exc:
        return PostOutcome(False, exc.status, exc.message)
    if action == "submit":
        # Not complete: what was typed is kept as the draft, the missing fields are marked.
        return PostOutcome(
            False, 400, "提交未成功：还有未填写完整的项目（见标红处）。已填写的内容已保存为草稿。"
        )
    return PostOutcome(True)


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
        form = CommitmentForm(declaration, items, returned_only=True)
        return _returned_page(request, form)
    action = request.POST.get("action")
    if action not in {"save", "submit"}:
        return HttpResponseBadRequest("未知的操作。".encode())
    form = CommitmentForm(declaration, items, request.POST, returned_only=True)
    version = form.posted_version()
    if version is None or not form.targets_this_declaration():
        return _returned_page(
            request, form, 400, "这个页面已过期或不属于本校，未保存。请刷新页面后重新填写。"
        )
    if not form.is_well_formed():
        return _returned_page(request, form, 400, "有填写错误，未保存。请按标红的提示修改。")
    by, ip = request.user, client_ip(request)
    try:
        if action == "save":
            declaration.save_returned(by=by, rows=form.row_values(), version=version, ip=ip)
            messages.success(request, "已保存。修改完成后请勾选任务并点击“提交”。")
            return redirect("tasks:returned")
        selected = form.selected()
        chosen_rows = [row for row in form.rows if row.item.pk in selected]
        if not selected:
            return _returned_page(request, form, 400, "请在左侧勾选要提交的任务。")
        if not form.require_complete(chosen_rows):
            return _returned_page(
                request, form, 400, "提交未成功：勾选的任务还有未填写完整的项目（见标红处）。"
            )
        declaration.resubmit(
            by=by, rows=form.row_values(), selected=selected, version=version, ip=ip
        )
    except TransitionError as exc:
        return _returned_page(request, form, exc.status, exc.message)
    messages.success(request, "已重新提交，等待省厅审核。")
    return redirect("tasks:returned")


def _returned_page(
    request: PortalRequest, form: CommitmentForm, status: int = 200, error: str | None = None
) -> HttpResponse:
    return render(
        request,
        "tasks/returned.html",
        {"form": form, "declaration": form.declaration, "round": form.round, "error": error},
        status=status,
    )


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
            "upload_form": UploadForm(),
        },
        status=status,
    )


@school_required
@require_http_methods(["GET", "POST"])
def report(request: PortalRequest, year_id: int) -> HttpResponse:
    """One year's report: a block per approved commitment, 保存 and 提交."""
    unit_report = _report_for(request, year_id)
    if request.method == "GET":
        return _report_page(request, ReportForm(unit_report))
    action = request.POST.get("action")
    if action not in {"save", "submit"}:
        return HttpResponseBadRequest("未知的操作。".encode())
    form = ReportForm(unit_report, request.POST)
    version = form.posted_version()
    if version is None or not form.targets_this_report():
        return _report_page(
            request, form, 400, "这个页面已过期或不属于本校，未保存。请刷新页面后重新填写。"
        )
    if not form.is_well_formed():
        return _report_page(request, form, 400, "有填写错误，未保存。请按标红的提示修改后再保存。")
    by, ip = request.user, client_ip(request)
    try:
        if action == "submit" and form.require_complete():
            unit_report.submit(by=by, rows=form.row_values(), version=version, ip=ip)
            messages.success(request, "年度绩效已提交，等待省级评价。")
            return redirect("tasks:report", year_id=year_id)
        unit_report.save_draft(by=by, rows=form.row_values(), version=version, ip=ip)
    except TransitionError as exc:
        return _report_page(request, form, exc.status, exc.message)
    if action == "submit":
        return _report_page(
            request, form, 400, "提交未成功：还有未填写完整的项目（见标红处）。已填写的内容已保存。"
        )
    messages.success(request, "已保存。")
    return redirect("tasks:report", year_id=year_id)


@school_required
@require_POST
def report_upload(request: PortalRequest, year_id: int) -> HttpResponse:
    """Upload the 年度工作报告 or a row's 佐证材料."""
    unit_report = _report_for(request, year_id)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        error = "；".join(str(e) for errors in form.errors.values() for e in errors)
        return _report_page(request, ReportForm(unit_report), 400, error)
    upload = form.cleaned_data["file"]
    by, ip = request.user, client_ip(request)
    try:
        if form.cleaned_data["commitment"]:
            unit_report.add_evidence(
                by=by, commitment_id=form.cleaned_data["commitment"], upload=upload, ip=ip
            )
        else:
            unit_report.attach_annual_report(by=by, upload=upload, ip=ip)
    except TransitionError as exc:
        return _report_page(request, ReportForm(unit_report), exc.status, exc.message)
    messages.success(request, f"已上传“{display_name(upload.name or '')}”。")
    return redirect("tasks:report", year_id=year_id)


@school_required
@require_POST
def report_file_delete(request: PortalRequest, year_id: int, file_id: int) -> HttpResponse:
    unit_report = _report_for(request, year_id)
    try:
        unit_report.remove_evidence(by=request.user, evidence_id=file_id, ip=client_ip(request))
    except TransitionError as exc:
        return _report_page(request, ReportForm(unit_report), exc.status, exc.message)
    messages.success(request, "已删除佐证材料。")
    return redirect("tasks:report", year_id=year_id)


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
