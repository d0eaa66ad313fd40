"""The province's 延期申请: the list (pending requests first), one request's page (批准延期 /
不同意), and 批准延期 for a school that did not ask (after a phone call)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from review.forms import ExtensionForm
from review.views.province import PAGE_SIZE, _province, _round, _school
from schools.access import PortalRequest, province_required
from schools.models import School
from tasks.models import Declaration, Extension, Round
from tasks.transitions import InvalidInput, TransitionError
from tizhi.lib.http import client_ip
from tizhi.lib.text import clean_digits


@province_required
def extensions(request: PortalRequest) -> HttpResponse:
    """延期申请: every request and grant of the province's round, pending first. A school code
    typed in the box leads to 批准延期 for a school that did not ask."""
    round_ = _round(request)
    error = None
    if round_ is not None and "school" in request.GET:
        code = clean_digits(request.GET.get("school", "").strip())[:20]
        if School.objects.filter(code=code, province=_province(request)).exists():
            return redirect("review:extension_grant", code=code)
        error = "没有找到本省的这所学校，请输入10位学校标识码。"
    page = Paginator(
        Extension.objects.filter(round=round_).for_list() if round_ else Extension.objects.none(),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "review/extensions.html",
        {
            "round": round_,
            "page": page,
            "error": error,
            "code": request.GET.get("school", "")[:20],
        },
        status=400 if error else 200,
    )


def _decision_page(
    request: PortalRequest,
    round_: Round,
    school: School,
    form: ExtensionForm,
    extension: Extension | None = None,
    status: int = 200,
    error: str | None = None,
) -> HttpResponse:
    declaration = Declaration.for_school(school, round_)
    history = list(
        Extension.objects.filter(round=round_, school=school)
        .select_related("requested_by", "decided_by")
        .order_by("-pk")
    )
    return render(
        request,
        "review/extension.html",
        {
            "round": round_,
            "school": school,
            "declaration": declaration,
            "extension": extension,
            "pending": next((e for e in history if e.is_pending), None),
            "history": history,
            "form": form,
            "latest_date": Extension.latest_date(round_),
            "error": error,
        },
        status=status,
    )


@province_required
@require_http_methods(["GET", "POST"])
def extension(request: PortalRequest, pk: int) -> HttpResponse:
    """One request: 批准延期 (the date, an optional note) or 不同意 (the reason), buttons of one
    form so neither drops what was typed for the other."""
    found = get_object_or_404(
        Extension.objects.select_related("round", "school"),
        pk=pk,
        round__province=_province(request),
    )
    if request.method == "GET":
        initial = {"until": found.wanted_until} if found.is_pending else {}
        form = ExtensionForm(initial=initial)
        return _decision_page(request, found.round, found.school, form, found)
    form = ExtensionForm(request.POST)
    verb = request.POST.get("action", "")
    if verb not in {"grant", "refuse"}:
        return _decision_page(request, found.round, found.school, form, found, 400, "未知的操作。")
    if not form.is_valid():
        return _decision_page(
            request, found.round, found.school, form, found, 400, "有填写错误，未处理。"
        )
    data, by, ip = form.cleaned_data, request.user, client_ip(request)
    try:
        if verb == "grant":
            found.grant(by=by, until=data["until"], note=data["answer"], ip=ip)
            done = f"已批准{found.school.name}延期至{found.granted_until:%Y-%m-%d}。"
        else:
            found.refuse(by=by, answer=data["answer"], ip=ip)
            done = f"已答复{found.school.name}：不同意延期。"
    except TransitionError as exc:
        if exc.field in form.fields:
            form.add_error(exc.field, exc.message)
        return _decision_page(
            request, found.round, found.school, form, found, exc.status, exc.message
        )
    messages.success(request, done)
    return redirect("review:extensions")


@province_required
@require_http_methods(["GET", "POST"])
def extension_grant(request: PortalRequest, code: str) -> HttpResponse:
    """批准延期 for a school of the province, asked or not (an open request is answered by it)."""
    school = _school(request, code)
    round_ = _round(request)
    if round_ is None:
        return render(request, "review/no_round.html", status=404)
    if request.method == "GET":
        return _decision_page(request, round_, school, ExtensionForm())
    form = ExtensionForm(request.POST)
    if not form.is_valid():
        return _decision_page(request, round_, school, form, None, 400, "有填写错误，未处理。")
    try:
        if request.POST.get("action", "") != "grant":
            raise InvalidInput("未知的操作。")
        granted = Extension.grant_unasked(
            round_,
            school,
            by=request.user,
            until=form.cleaned_data["until"],
            note=form.cleaned_data["answer"],
            ip=client_ip(request),
        )
    except TransitionError as exc:
        if exc.field in form.fields:
            form.add_error(exc.field, exc.message)
        return _decision_page(request, round_, school, form, None, exc.status, exc.message)
    messages.success(request, f"已批准{school.name}延期至{granted.granted_until:%Y-%m-%d}。")
    back = request.POST.get("next", "")
    return redirect(back if back.startswith("/province/") else reverse("review:extensions"))
