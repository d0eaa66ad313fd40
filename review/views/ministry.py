"""The ministry's pages: the national overview, the two published tables, the national
export, read-only province pages, province admin accounts."""

import math
import re
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from review.exports import province_workbook_response, published_table_response
from review.figures.national import (
    APPROVED,
    BASES,
    Filters,
    item_rows,
    province_rows,
    provinces_by_item,
    provinces_table,
    provincial_line,
    total_row,
)
from review.forms import ProvinceAdminForm
from review.models import ExportJob, ExportStatus
from review.views.province import _own_preview, _review_page, progress_page
from schools.access import PortalRequest, ministry_required
from schools.choices import Role, SchoolKind
from schools.models import Province, School, User, one_time_password
from tasks.choices import FUND_FIELDS, FUND_NAMES, SchoolStatus
from tasks.models import Declaration, Plan, Round
from tasks.transitions import TransitionError, beijing_today
from tizhi.lib.confirm import ask, confirmed
from tizhi.lib.converters import ProvinceCode
from tizhi.lib.http import client_ip

FUND_LABELS = [label for _name, label in FUND_FIELDS]


def _filters(request: PortalRequest) -> tuple[Filters, list[Plan]]:
    """The overview's filters from the query string; unknown values mean 全部."""
    params = request.GET if request.method == "GET" else request.POST
    plans = list(Plan.objects.order_by("-is_current", "-start_year"))
    if not plans:
        raise Http404("尚未导入任务目录。")
    plan = next((p for p in plans if p.code == params.get("plan")), plans[0])
    province = params.get("province", "")
    kind = params.get("kind", "")
    status = params.get("status", "")
    return (
        Filters(
            plan=plan,
            province=province
            if re.fullmatch(ProvinceCode.regex, province)
            and Province.objects.filter(code=province).exists()
            else "",
            kind=kind if kind in SchoolKind.values else "",
            status=status if status in SchoolStatus.values else "",
        ),
        plans,
    )


def _filter_context(filters: Filters, plans: list[Plan]) -> dict[str, Any]:
    return {
        "filters": filters,
        "plans": plans,
        "provinces": list(Province.objects.all()),
        "kind_choices": SchoolKind.choices,
        "status_choices": SchoolStatus.choices,
        "fund_labels": FUND_LABELS,
        "query": _query(filters),
    }


def _query(filters: Filters) -> str:
    from urllib.parse import urlencode

    return urlencode(
        {
            "plan": filters.plan.code,
            "province": filters.province,
            "kind": filters.kind,
            "status": filters.status,
        }
    )


@ministry_required
def home(request: PortalRequest) -> HttpResponse:
    """全国概况: per province, per item and per source, with charts beside the tables."""
    if not Plan.objects.exists():
        return render(request, "review/no_catalogue.html")
    filters, plans = _filters(request)
    rows = province_rows(filters)
    totals = total_row(rows)
    items = item_rows(filters)
    # By source, nationally: the schools' rows and the provinces' own (省级承接) together.
    sources = [
        (label, totals[f"i_{n}"] + totals[f"o_{n}"], totals[f"a_{n}"] + totals[f"o_{n}"])
        for n, label in FUND_FIELDS
    ]
    source_totals = (totals["i_total"] + totals["o_total"], totals["a_total"] + totals["o_total"])
    charts = {
        "provinces": [r["province"].name for r in rows],
        "sources": FUND_LABELS,
        "intendedBySource": [[float(r[f"i_{n}"]) for r in rows] for n in FUND_NAMES],
        "approvedTotal": [float(r["a_total"]) for r in rows],
        "units": [r["units"] for r in rows],
        "submitted": [r["submitted"] for r in rows],
        "sourceIntended": [float(i) for _l, i, _a in sources],
        "sourceApproved": [float(a) for _l, _i, a in sources],
    }
    return render(
        request,
        "review/ministry_home.html",
        {
            **_filter_context(filters, plans),
            "rows": rows,
            "totals": totals,
            "items": items,
            "sources": sources,
            "source_totals": source_totals,
            "charts": charts,
        },
    )


# -- the two published tables -----------------------------------------------------------------


def _basis(request: PortalRequest) -> str:
    basis = request.GET.get("basis", APPROVED)
    return basis if basis in BASES else APPROVED


@ministry_required
def provinces_table_view(request: PortalRequest) -> HttpResponseBase:
    """分省承接任务（项目）数量汇总表."""
    filters, plans = _filters(request)
    basis = _basis(request)
    rows = provinces_table(filters, basis)
    keys = ["s_units", "s_count", "s_total", *[f"s_{n}" for n in FUND_NAMES]]
    total = {key: sum(r[key] for r in rows) for key in keys}
    own = provincial_line(filters, basis)
    if request.GET.get("format") == "xlsx":
        return published_table_response(
            "分省承接任务（项目）数量汇总表",
            _subtitle(filters, basis),
            [
                "序号",
                "省份",
                "承接单位数",
                "承接任务（项目）数",
                "预计投入经费合计（万元）",
                *[f"{label}（万元）" for label in FUND_LABELS],
            ],
            [
                [index, r["province"].name, *[r[k] for k in keys]]
                for index, r in enumerate(rows, start=1)
            ],
            ["", "合计", *[total[k] for k in keys]],
            [6, 22, 12, 16, 18, *[16] * 5],
            beijing_today(),
            note=["", "其中：省级承接", *[own[k] for k in keys]],
        )
    return render(
        request,
        "review/table_provinces.html",
        {
            **_filter_context(filters, plans),
            "rows": rows,
            "total": total,
            "own": own,
            "basis": basis,
            "bases": BASES,
            "keys": keys,
        },
    )


@ministry_required
def items_table_view(request: PortalRequest) -> HttpResponseBase:
    """分任务（项目）承接省份一览表."""
    filters, plans = _filters(request)
    basis = _basis(request)
    rows = provinces_by_item(filters, basis)
    if request.GET.get("format") == "xlsx":
        return published_table_response(
            "分任务（项目）承接省份一览表",
            _subtitle(filters, basis),
            ["序号", "工作任务", "承接省份数", "承接省份", "承接单位数", "承接数量"],
            [
                [
                    r["item"].code,
                    r["item"].text,
                    r["province_count"],
                    "、".join(r["provinces"]),
                    r["units"],
                    r["quantity"] if r["quantity"] is not None else "-",
                ]
                for r in rows
            ],
            None,
            [7, 46, 10, 60, 10, 10],
            beijing_today(),
        )
    return render(
        request,
        "review/table_items.html",
        {**_filter_context(filters, plans), "rows": rows, "basis": basis, "bases": BASES},
    )


def _subtitle(filters: Filters, basis: str) -> str:
    parts = [filters.plan.name, f"口径：{BASES[basis]}"]
    if filters.province:
        parts.append(Province.objects.get(code=filters.province).name)
    if filters.kind:
        parts.append(SchoolKind(filters.kind).label)
    if filters.status:
        parts.append(SchoolStatus(filters.status).label)
    parts.append(f"数据截至{beijing_today():%Y-%m-%d}")
    return "；".join(parts)


# -- the national detail export ---------------------------------------------------------------


@ministry_required
@require_http_methods(["GET", "POST"])
def exports(request: PortalRequest) -> HttpResponse:
    """全国承接明细: start an export and see the recent ones."""
    filters, plans = _filters(request)
    if request.method == "POST":
        job = ExportJob.request(
            plan=filters.plan,
            filters={"province": filters.province, "kind": filters.kind, "status": filters.status},
            requested_by=request.user,
        )
        return redirect("review:export_job", pk=job.pk)
    jobs = list(ExportJob.objects.select_related("plan", "requested_by", "reporting_year")[:20])
    names = dict(Province.objects.values_list("code", "name"))
    for job in jobs:
        job.filters_text = job.filters_label(names)  # type: ignore[attr-defined]
    return render(request, "review/exports.html", {**_filter_context(filters, plans), "jobs": jobs})


@ministry_required
def export_job(request: PortalRequest, pk: int) -> HttpResponse:
    """How far an export is, as of this request; the page offers a 刷新 link, no script."""
    job = get_object_or_404(ExportJob.objects.select_related("plan", "reporting_year"), pk=pk)
    return render(
        request,
        "review/export_job.html",
        {
            "job": job,
            "filters_text": job.filters_label(),
            "heartbeat_timeout_minutes": max(1, math.ceil(settings.JOB_HEARTBEAT_TIMEOUT / 60)),
            "max_attempts": settings.EXPORT_MAX_ATTEMPTS,
        },
    )


@ministry_required
def export_download(request: PortalRequest, pk: int) -> HttpResponseBase:
    job = get_object_or_404(
        ExportJob.objects.select_related("plan", "reporting_year"), pk=pk, status=ExportStatus.DONE
    )
    try:
        stream = job.open_file()
    except FileNotFoundError:
        raise Http404("文件已清理，请重新生成。") from None
    return FileResponse(stream, as_attachment=True, filename=job.download_name)


# -- read-only province pages -----------------------------------------------------------------


def _province_or_404(code: str) -> Province:
    return get_object_or_404(Province, code=code)


@ministry_required
def province_view(request: PortalRequest, code: str) -> HttpResponse:
    return progress_page(request, _province_or_404(code), readonly=True)


@ministry_required
def school_view(request: PortalRequest, code: str, school: str) -> HttpResponse:
    found = get_object_or_404(School, code=school, province=_province_or_404(code))
    return _review_page(request, found, readonly=True)


@ministry_required
def province_own_view(request: PortalRequest, code: str) -> HttpResponse:
    round_ = Round.current_for(_province_or_404(code).code)
    if round_ is None:
        raise Http404("该省尚未开放申报。")
    return _own_preview(request, Declaration.for_province(round_), readonly=True)


@ministry_required
def province_export_view(request: PortalRequest, code: str) -> HttpResponseBase:
    round_ = Round.current_for(_province_or_404(code).code)
    if round_ is None:
        raise Http404("该省尚未开放申报。")
    return province_workbook_response(round_, beijing_today())


# -- province admin accounts ------------------------------------------------------------------


@ministry_required
def admins(request: PortalRequest) -> HttpResponse:
    """省级管理员账号: the list with 重置密码 and 停用/启用; 新建 is a page of its own, so no
    button here can drop what is typed in another form."""
    accounts = (
        User.objects.filter(role=Role.PROVINCE)
        .select_related("province")
        .order_by("province__code", "username")
    )
    page = Paginator(accounts, 100).get_page(request.GET.get("page"))
    counts = dict(
        User.objects.filter(role=Role.PROVINCE, is_active=True)
        .values_list("province")
        .annotate(n=Count("pk"))
        .values_list("province", "n")
    )
    missing = [p for p in Province.objects.all() if not counts.get(p.code)]
    return render(request, "review/admins.html", {"page": page, "missing": missing})


@ministry_required
@require_http_methods(["GET", "POST"])
def admin_new(request: PortalRequest) -> HttpResponse:
    """新建省级管理员: a password the ministry chooses, or one generated and shown once."""
    form = ProvinceAdminForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        password = form.cleaned_data["password"] or one_time_password()
        try:
            user = User.create_account(
                username=form.cleaned_data["username"],
                role=Role.PROVINCE,
                province=form.cleaned_data["province"],
                password=password,
                by=request.user,
                ip=client_ip(request),
                email=form.cleaned_data["email"],
            )
        except TransitionError as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(
                request,
                f"已创建{user.province}省级管理员账号 {user.username}，初始密码：{password}"
                "（请告知对方，首次登录须修改）。",
            )
            return redirect("review:admins")
    return render(
        request,
        "review/admin_new.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


def _province_admin(pk: int) -> User:
    return get_object_or_404(User, pk=pk, role=Role.PROVINCE)


@ministry_required
@require_POST
def admin_reset(request: PortalRequest, pk: int) -> HttpResponse:
    account = _province_admin(pk)
    if not confirmed(request):
        return ask(
            request,
            title="重置密码",
            summary=f"将为省级管理员 {account.username}（{account.province}）生成新的临时密码，"
            "原密码立即失效，对方登录后须修改。",
            back=reverse("review:admins"),
        )
    password = account.reset_password(by=request.user, ip=client_ip(request))
    messages.success(
        request,
        f"已重置 {account.username} 的密码，临时密码：{password}（请告知对方，登录后须修改）。",
    )
    return redirect("review:admins")


@ministry_required
@require_POST
def admin_active(request: PortalRequest, pk: int) -> HttpResponse:
    account = _province_admin(pk)
    active = request.POST.get("active")
    if active not in {"0", "1"}:
        return HttpResponseBadRequest("参数错误。".encode())
    if active == "0" and not confirmed(request):
        return ask(
            request,
            title="停用账号",
            summary=f"将停用省级管理员 {account.username}（{account.province}）："
            "停用后立即退出登录且不能再登录，可随时重新启用。",
            back=reverse("review:admins"),
        )
    account.set_active(active == "1", by=request.user, ip=client_ip(request))
    messages.success(request, f"已{'启用' if active == '1' else '停用'} {account.username}。")
    return redirect("review:admins")
