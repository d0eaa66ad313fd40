"""年度绩效 for the province (its units' reports, evaluation, 省级总结报告, its deadline) and the
ministry (opening years, progress by province, the exports)."""

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import F, Q
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from review.exports import reporting_workbook_response
from review.figures.province import province_cities
from review.figures.reporting import grade_counts, progress_by_province, status_counts, units
from review.forms import (
    EvaluationForm,
    ProvinceDeadlineForm,
    ReportingYearForm,
    ReportReturnForm,
    SummaryUploadForm,
)
from review.models import ExportJob, ExportKind
from schools.access import PortalRequest, ministry_required, province_required
from schools.models import School
from tasks.choices import Grade, ReportStatus
from tasks.forms import ReportForm
from tasks.models import (
    AuditEvent,
    ProvinceDeadline,
    ProvinceSummaryReport,
    ReportingYear,
    Task,
    UnitReport,
)
from tasks.transitions import TransitionError, beijing_today
from tizhi.lib.http import client_ip, search_text
from tizhi.lib.text import parse_id

PAGE_SIZE = 50


def _province_code(request: PortalRequest) -> str:
    assert request.user.province_id is not None
    return request.user.province_id


# -- the province ---------------------------------------------------------------------------


@province_required
def province_index(request: PortalRequest) -> HttpResponse:
    code = _province_code(request)
    years = list(ReportingYear.objects.for_province(code).select_related("plan"))
    rows = [(year, year.deadline_for(code), year.is_open_for(code)) for year in years]
    return render(request, "review/reporting_province_index.html", {"rows": rows})


def _province_year_page(
    request: PortalRequest,
    year: ReportingYear,
    status: int = 200,
    deadline_form: ProvinceDeadlineForm | None = None,
    error: str | None = None,
) -> HttpResponse:
    code = _province_code(request)
    schools = units(year, code)
    listed = schools
    wanted = request.GET.get("status", "")
    if wanted in ReportStatus.values:
        listed = listed.filter(report_status=wanted)  # type: ignore[misc]  # an annotation
    query = search_text(request)
    if query:
        listed = listed.filter(Q(code__startswith=query) | Q(name__contains=query))
    cities = province_cities(code)
    city = request.GET.get("city", "")
    city = city if city in cities else ""
    if city:
        listed = listed.filter(city=city)
    sort = request.GET.get("sort", "")
    sort = sort if sort in UNIT_SORTS else "code"
    ordering = UNIT_SORTS[sort][1]
    page = Paginator(listed.order_by(*ordering), PAGE_SIZE).get_page(request.GET.get("page"))
    summaries = {
        s.task_id: s
        for s in ProvinceSummaryReport.objects.filter(reporting_year=year, province_id=code)
    }
    tasks = [
        (task, summaries.get(task.pk))
        for task in Task.objects.filter(plan=year.plan, on_platform=True).order_by("number")
    ]
    own = ProvinceDeadline.objects.filter(reporting_year=year, province_id=code).first()
    return render(
        request,
        "review/reporting_province.html",
        {
            "year": year,
            "deadline": year.deadline_for(code),
            "statuses": status_counts(schools),
            "grades": grade_counts(schools),
            "page": page,
            "status": wanted,
            "status_choices": ReportStatus.choices,
            "query": query,
            "cities": cities,
            "city": city,
            "sort": sort,
            "sorts": [(key, label) for key, (label, _o) in UNIT_SORTS.items()],
            "tasks": tasks,
            "deadline_form": deadline_form
            or ProvinceDeadlineForm(initial={"deadline": own.deadline if own else None}),
            "error": error,
        },
        status=status,
    )


UNIT_SORTS: dict[str, tuple[str, tuple[Any, ...]]] = {
    "code": ("学校标识码", ("code",)),
    "name": ("单位名称", ("name", "code")),
    "kind": ("单位类型", ("kind", "code")),
    "submitted": ("提交时间（早到晚）", (F("report_submitted_at").asc(nulls_last=True), "code")),
}


@province_required
def province_year(request: PortalRequest, year_id: int) -> HttpResponse:
    """One year: the province's deadline, its units' progress and list, its summary reports."""
    year = get_object_or_404(ReportingYear.objects.select_related("plan"), pk=year_id)
    return _province_year_page(request, year)


@province_required
@require_POST
def province_deadline(request: PortalRequest, year_id: int) -> HttpResponse:
    year = get_object_or_404(ReportingYear, pk=year_id)
    form = ProvinceDeadlineForm(request.POST)
    if not form.is_valid():
        return _province_year_page(request, year, 400, deadline_form=form)
    deadline = form.cleaned_data["deadline"]
    try:
        year.set_province_deadline(by=request.user, deadline=deadline, ip=client_ip(request))
    except TransitionError as exc:
        form.add_error(exc.field, exc.message)
        return _province_year_page(request, year, exc.status, deadline_form=form)
    if deadline:
        messages.success(request, f"本省截止日期已设为{deadline:%Y-%m-%d}。")
    else:
        messages.success(request, "本省使用教育部的截止日期。")
    return redirect("review:reporting_province_year", year_id=year.pk)


@province_required
@require_http_methods(["GET", "POST"])
def province_summary(request: PortalRequest, year_id: int) -> HttpResponse:
    """上传省级总结报告: upload (or replace) the report of one task, on a page of its own so no
    other button drops the chosen file."""
    year = get_object_or_404(ReportingYear.objects.select_related("plan"), pk=year_id)
    if request.method == "GET":
        initial = {"task": parse_id(request.GET.get("task"))}
        form = SummaryUploadForm(plan=year.plan, initial=initial)
        return _summary_page(request, year, form)
    form = SummaryUploadForm(request.POST, request.FILES, plan=year.plan)
    if not form.is_valid():
        return _summary_page(request, year, form, 400)
    try:
        summary = ProvinceSummaryReport.upload(
            by=request.user,
            year=year,
            task=form.cleaned_data["task"],
            upload=form.cleaned_data["file"],
            ip=client_ip(request),
        )
    except TransitionError as exc:
        return _summary_page(request, year, form, exc.status, exc.message)
    messages.success(
        request, f"已上传任务{summary.task.number}的省级总结报告“{summary.original_name}”。"
    )
    return redirect("review:reporting_province_year", year_id=year.pk)


def _summary_page(
    request: PortalRequest,
    year: ReportingYear,
    form: SummaryUploadForm,
    status: int = 200,
    error: str | None = None,
) -> HttpResponse:
    return render(
        request,
        "review/reporting_summary.html",
        {"year": year, "form": form, "error": error},
        status=status,
    )


def _report_page(
    request: PortalRequest,
    report: UnitReport,
    status: int = 200,
    error: str | None = None,
    evaluation: EvaluationForm | None = None,
    return_form: ReportReturnForm | None = None,
    readonly: bool = False,
) -> HttpResponse:
    events = (
        list(AuditEvent.objects.for_subject(report).order_by("-at", "-pk")) if report.pk else []
    )
    return render(
        request,
        "review/reporting_report.html",
        {
            "report": report,
            "year": report.reporting_year,
            "school": report.school,
            "form": ReportForm(report),
            "events": events,
            "evaluation": evaluation or EvaluationForm(),
            "return_form": return_form or ReportReturnForm(),
            "reviewable": not readonly and report.can_review(request.user),
            "readonly": readonly,
            "error": error,
            # Shown again after a refused 评价 or 退回: what is in the boxes was not sent.
            "typed": request.method == "POST",
        },
        status=status,
    )


def _school_report(request: PortalRequest, year_id: int, code: str) -> UnitReport:
    year = get_object_or_404(ReportingYear.objects.select_related("plan"), pk=year_id)
    school = get_object_or_404(School, code=code, province_id=_province_code(request))
    return UnitReport.for_school(school, year)


@province_required
def province_report(request: PortalRequest, year_id: int, code: str) -> HttpResponse:
    return _report_page(request, _school_report(request, year_id, code))


def _typed_evaluation(request: PortalRequest) -> EvaluationForm:
    """The 评价 box as typed, shown again when 退回修改 was refused."""
    data = request.POST
    return EvaluationForm(
        initial={"grade": data.get("grade", ""), "comment": data.get("comment", "")}
    )


def _typed_return(request: PortalRequest) -> ReportReturnForm:
    """The 退回修改 box as typed, shown again when 评价 was refused."""
    return ReportReturnForm(initial={"return_comment": request.POST.get("return_comment", "")})


@province_required
@require_http_methods(["POST"])
def province_evaluate(request: PortalRequest, year_id: int, code: str) -> HttpResponse:
    report = _school_report(request, year_id, code)
    form, other = EvaluationForm(request.POST), _typed_return(request)
    if not form.is_valid():
        return _report_page(request, report, 400, "请选择评价等级并填写评价意见。", form, other)
    try:
        report.evaluate(
            by=request.user,
            grade=form.cleaned_data["grade"],
            comment=form.cleaned_data["comment"],
            ip=client_ip(request),
        )
    except TransitionError as exc:
        return _report_page(request, report, exc.status, exc.message, form, other)
    grade = Grade(report.grade).label
    messages.success(request, f"已评价{report.school.name}的年度绩效：{grade}。")
    return redirect("review:reporting_province_report", year_id=year_id, code=code)


@province_required
@require_http_methods(["POST"])
def province_return(request: PortalRequest, year_id: int, code: str) -> HttpResponse:
    report = _school_report(request, year_id, code)
    form, other = ReportReturnForm(request.POST), _typed_evaluation(request)
    if not form.is_valid():
        return _report_page(request, report, 400, "请填写退回意见。", other, form)
    try:
        report.return_for_changes(
            by=request.user, comment=form.cleaned_data["return_comment"], ip=client_ip(request)
        )
    except TransitionError as exc:
        return _report_page(request, report, exc.status, exc.message, other, form)
    messages.success(request, f"已将{report.school.name}的年度绩效退回修改，单位会收到退回意见。")
    return redirect("review:reporting_province_report", year_id=year_id, code=code)


# -- the ministry ---------------------------------------------------------------------------


@ministry_required
@require_http_methods(["GET", "POST"])
def ministry_index(request: PortalRequest) -> HttpResponse:
    """Open a reporting year; see the years."""
    form = ReportingYearForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            year = ReportingYear.open(
                form.cleaned_data["plan"],
                form.cleaned_data["year"],
                deadline=form.cleaned_data["deadline"],
                by=request.user,
                ip=client_ip(request),
            )
        except TransitionError as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(request, f"已开放{year}，截止日期{year.deadline:%Y-%m-%d}。")
            return redirect("review:reporting_ministry_year", year_id=year.pk)
    years = list(ReportingYear.objects.select_related("plan"))
    return render(
        request,
        "review/reporting_ministry_index.html",
        {"form": form, "years": years, "today": beijing_today()},
        status=400 if request.method == "POST" else 200,
    )


@ministry_required
def ministry_year(request: PortalRequest, year_id: int) -> HttpResponse:
    """Reporting progress by province."""
    year = get_object_or_404(ReportingYear.objects.select_related("plan"), pk=year_id)
    rows = progress_by_province(year)
    keys = [
        "expected",
        "handed_in",
        "evaluated",
        "returned",
        "drafting",
        *[f"g_{g}" for g in Grade.values],
    ]
    totals = {k: sum(r[k] for r in rows) for k in keys}
    return render(
        request,
        "review/reporting_ministry.html",
        {"year": year, "rows": rows, "totals": totals, "grades": Grade.choices},
    )


@ministry_required
def ministry_export(request: PortalRequest, year_id: int) -> HttpResponseBase:
    """Planned against completed, per item nationally and by province."""
    year = get_object_or_404(ReportingYear.objects.select_related("plan"), pk=year_id)
    return reporting_workbook_response(year, beijing_today())


@ministry_required
@require_POST
def ministry_rows_export(request: PortalRequest, year_id: int) -> HttpResponse:
    """Every unit's report rows: a background export with its progress page."""
    year = get_object_or_404(ReportingYear.objects.select_related("plan"), pk=year_id)
    job = ExportJob.request(
        kind=ExportKind.REPORT_ROWS,
        plan=year.plan,
        reporting_year=year,
        requested_by=request.user,
    )
    return redirect("review:export_job", pk=job.pk)


@ministry_required
def ministry_report(request: PortalRequest, year_id: int, code: str) -> HttpResponse:
    """A unit's report, read-only."""
    year = get_object_or_404(ReportingYear.objects.select_related("plan"), pk=year_id)
    school = get_object_or_404(School, code=code)
    report = UnitReport.for_school(school, year)
    if not report.pk:
        raise Http404("该单位尚未填报。")
    return _report_page(request, report, readonly=True)
