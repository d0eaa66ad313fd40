"""The province admin's pages: progress, 本省申报要求, school accounts, review, 省级承接, export."""

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, F, Q
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from review.exports import province_workbook_response
from review.figures.province import (
    QUEUE_SORTS,
    SORTS,
    funding_totals,
    item_counts,
    item_lines,
    kind_counts,
    province_cities,
    review_queue,
    schools_with_progress,
    status_counts,
)
from review.figures.reporting import status_counts as reporting_status_counts
from review.figures.reporting import units as reporting_units
from review.forms import (
    ImportForm,
    ReasonForm,
    RequirementForm,
    RoundForm,
    SchoolAddForm,
    TypedReview,
)
from schools.access import PortalRequest, province_required
from schools.choices import SchoolKind
from schools.imports import import_schools
from schools.models import (
    Province,
    School,
    SchoolImportError,
    SchoolRow,
    User,
    code_problems,
)
from tasks.choices import FUND_FIELDS, ReviewStatus, SchoolStatus
from tasks.forms import CommitmentForm
from tasks.models import (
    AuditEvent,
    ChangeRequest,
    Commitment,
    Declaration,
    Extension,
    Plan,
    ReportingYear,
    Round,
)
from tasks.transitions import InvalidInput, InvalidState, TransitionError, beijing_today
from tasks.views import post_declaration_form, with_comparisons
from tizhi.lib.confirm import ask, confirmed
from tizhi.lib.http import RefusedRequest, client_ip, search_text
from tizhi.lib.text import parse_id

PAGE_SIZE = 50
SORT_CHOICES = [
    ("code", "学校标识码"),
    ("name", "学校名称"),
    ("status", "填报状态"),
    ("city", "所在地市"),
    ("kind", "学校类型"),
    ("-items", "承接任务数（多到少）"),
    ("-total", "汇总金额（多到少）"),
    ("items", "承接任务数（少到多）"),
    ("total", "汇总金额（少到多）"),
]


def _province(request: PortalRequest) -> Province:
    province = request.user.province
    assert province is not None
    return province


def _round(request: PortalRequest) -> Round | None:
    return Round.current_for(_province(request).code)


def _school(request: PortalRequest, code: str) -> School:
    """A school of the admin's own province; any other code is a 404."""
    return get_object_or_404(School, code=code, province=_province(request))


# -- progress ---------------------------------------------------------------------------------


@province_required
def home(request: PortalRequest) -> HttpResponse:
    """The province's progress: counts by status and kind, funding, and the school list."""
    return progress_page(request, _province(request))


def progress_page(
    request: PortalRequest, province: Province, readonly: bool = False
) -> HttpResponse:
    """本省进度 of `province`; the ministry opens it read-only."""
    round_ = Round.current_for(province.code)
    schools = schools_with_progress(province, round_)
    listed = schools
    query = search_text(request)
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    sort = request.GET.get("sort", "code")
    cities = province_cities(province.code)
    city = request.GET.get("city", "")
    city = city if city in cities else ""  # an unknown city means 全部, as elsewhere
    if city:
        listed = listed.filter(city=city)
    if query:
        listed = listed.filter(Q(code__startswith=query) | Q(name__contains=query))
    if status in SchoolStatus.values:
        listed = listed.filter(status=status)  # type: ignore[misc]  # an annotation
    if kind in SchoolKind.values:
        listed = listed.filter(kind=kind)
    key = SORTS.get(sort.lstrip("-"), "code")
    ordering = [f"-{key}" if sort.startswith("-") else key, "code"]
    page = Paginator(listed.order_by(*ordering), PAGE_SIZE).get_page(request.GET.get("page"))
    totals = funding_totals(round_) if round_ else []
    return render(
        request,
        "review/province_home.html",
        {
            "province": province,
            "round": round_,
            "statuses": status_counts(schools),
            "kinds": kind_counts(schools),
            "totals": totals,
            "fund_labels": [label for _name, label in FUND_FIELDS],
            "page": page,
            "query": query,
            "status": status,
            "kind": kind,
            "sort": sort,
            "kind_choices": SchoolKind.choices,
            "status_choices": SchoolStatus.choices,
            "sort_choices": SORT_CHOICES,
            "cities": cities,
            "city": city,
            "readonly": readonly,
            # Yearly reporting under way: how far the province's units are.
            "reporting": [
                (year, reporting_status_counts(reporting_units(year, province.code)))
                for year in ReportingYear.open_years()
            ],
        },
    )


# -- 本省申报要求 -------------------------------------------------------------------------------


@province_required
@require_http_methods(["GET", "POST"])
def round_settings(request: PortalRequest) -> HttpResponse:
    """The province's call: dates, instructions, contacts, the offer, the fifth column."""
    province = _province(request)
    plan = Plan.objects.filter(is_current=True).first()
    if plan is None:
        raise Http404("尚未导入任务目录。")
    round_ = Round.objects.filter(plan=plan, province=province).first()
    instance = round_ or Round(plan=plan, province=province)
    initial = {} if round_ else {"items": list(instance.default_items())}
    form = RoundForm(
        request.POST if request.method == "POST" else None,
        instance=instance,
        plan=plan,
        initial=initial,
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                Round.configure(
                    plan, province, by=request.user, ip=client_ip(request), **form.configuration()
                )
            except TransitionError as exc:
                form.add_error(exc.field, exc.message)
                status = exc.status
            else:
                messages.success(request, "本省申报要求已保存。")
                return redirect("review:round_settings")
        # Removing items that schools have filled asks for confirmation: not an error.
        elif _only_needs_confirmation(form):
            status = 200
        else:
            status = 400
    return render(
        request,
        "review/round_settings.html",
        {
            "form": form,
            "round": round_,
            "plan": plan,
            "province": province,
            "requirements": round_.requirements() if round_ else [],
        },
        status=status,
    )


@province_required
@require_http_methods(["GET", "POST"])
def requirement(request: PortalRequest) -> HttpResponse:
    """必选任务: require an offered item of school kinds or named schools (or change that);
    ?item=<code> opens an existing rule to change it."""
    round_ = _round(request)
    if round_ is None:
        messages.warning(request, "请先保存本省申报要求，再设置必选任务。")
        return redirect("review:round_settings")
    items = list(round_.offered_items())
    form = RequirementForm(
        request.POST if request.method == "POST" else None,
        items=items,
        initial=_requirement_initial(round_, request.GET.get("item", "")),
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            item = next(i for i in items if i.pk == form.cleaned_data["item"])
            try:
                round_.set_requirement(
                    item,
                    kinds=form.cleaned_data["kinds"],
                    school_codes=form.cleaned_data["schools"],
                    by=request.user,
                    ip=client_ip(request),
                )
            except TransitionError as exc:
                form.add_error(exc.field, exc.message)
                status = exc.status
            else:
                messages.success(request, f"已设置{item.code}为必选任务。")
                return redirect("review:round_settings")
    return render(
        request,
        "review/requirement_form.html",
        {"form": form, "round": round_, "province": round_.province},
        status=status,
    )


def _requirement_initial(round_: Round, code: str) -> dict[str, Any]:
    for rule in round_.requirements() if code else []:
        if rule.item.code == code:
            return {
                "item": rule.item.pk,
                "kinds": rule.kinds,
                "schools": "\n".join(school.code for school in rule.schools),
            }
    return {}


@province_required
@require_POST
def remove_requirement(request: PortalRequest) -> HttpResponse:
    """移除 a 必选 rule from the round's page."""
    round_ = _round(request)
    item_id = parse_id(request.POST.get("item"))
    item = round_.items.filter(pk=item_id).first() if round_ and item_id else None
    if round_ is None or item is None:
        raise RefusedRequest("所选任务（项目）不是本省开放承接的任务，没有移除任何要求。")
    try:
        round_.remove_requirement(item, by=request.user, ip=client_ip(request))
    except TransitionError as exc:
        # Nothing was typed here: the error page with the reason is all there is to show.
        raise RefusedRequest(exc.message) from exc
    messages.success(request, f"已移除{item.code}的必选要求。")
    return redirect("review:round_settings")


def _only_needs_confirmation(form: RoundForm) -> bool:
    errors = form.errors.as_data()
    return list(errors) == ["__all__"] and all(e.code == "confirm" for e in errors["__all__"])


# -- school accounts --------------------------------------------------------------------------


@province_required
def accounts(request: PortalRequest) -> HttpResponse:
    """学校账号: the list with 重置密码 and 停用/启用 per school; 添加学校 and 批量导入 are pages of
    their own, so no button on this page can drop what is typed in another form."""
    province = _province(request)
    schools = School.objects.filter(province=province).select_related("account")
    query = search_text(request)
    if query:
        schools = schools.filter(Q(code__startswith=query) | Q(name__contains=query))
    cities = province_cities(province.code)
    city = request.GET.get("city", "")
    city = city if city in cities else ""
    if city:
        schools = schools.filter(city=city)
    state = request.GET.get("state", "")
    if state in ACCOUNT_STATES:
        schools = schools.filter(ACCOUNT_STATES[state][1])
    sort = request.GET.get("sort", "")
    ordering = ACCOUNT_SORTS.get(sort, ACCOUNT_SORTS["code"])[1]
    page = Paginator(schools.order_by(*ordering), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "review/accounts.html",
        {
            "province": province,
            "page": page,
            "query": query,
            "cities": cities,
            "city": city,
            "state": state if state in ACCOUNT_STATES else "",
            "states": [(key, label) for key, (label, _q) in ACCOUNT_STATES.items()],
            "sort": sort if sort in ACCOUNT_SORTS else "code",
            "sorts": [(key, label) for key, (label, _o) in ACCOUNT_SORTS.items()],
        },
    )


# 学校账号's filters by account state: what a province chases by phone.
ACCOUNT_STATES = {
    "never": ("未登录过", Q(account__last_login__isnull=True, account__is_active=True)),
    "initial": ("仍为初始密码", Q(account__must_change_password=True, account__is_active=True)),
    "inactive": ("已停用", Q(account__is_active=False)),
    "none": ("无账号", Q(account__isnull=True)),
}
_LAST_LOGIN = F("account__last_login")
ACCOUNT_SORTS: dict[str, tuple[str, tuple[Any, ...]]] = {
    "code": ("学校标识码", ("code",)),
    "name": ("学校名称", ("name", "code")),
    "city": ("所在地市", ("city", "code")),
    "kind": ("学校类型", ("kind", "code")),
    "last_login": ("最近登录（从未登录的在前）", (_LAST_LOGIN.asc(nulls_first=True), "code")),
    "-last_login": ("最近登录（最近的在前）", (_LAST_LOGIN.desc(nulls_last=True), "code")),
}


@province_required
@require_http_methods(["GET", "POST"])
def add_school(request: PortalRequest) -> HttpResponse:
    province = _province(request)
    if request.method == "GET":
        return render(
            request, "review/accounts_add.html", {"province": province, "add_form": SchoolAddForm()}
        )
    form = SchoolAddForm(request.POST)
    errors: list[str] = []
    # Every field in one pass: the code's registry checks run even while the name is missing.
    form.is_valid()
    code = form.cleaned_data.get("code")
    for problem in code_problems(code, province) if code else []:
        form.add_error("code", problem)
    if form.is_valid():
        data = form.cleaned_data
        row = SchoolRow(
            line=1,
            code=data["code"],
            name=data["name"].strip(),
            kind=SchoolKind(data["kind"]).label,
            city=data["city"].strip(),
        )
        try:
            School.register([row], province, by=request.user, ip=client_ip(request), new_only=True)
        except SchoolImportError as exc:
            errors = [e.removeprefix("第1行：") for e in exc.errors]
        if not errors:
            messages.success(
                request, f"已添加{row.name}（{row.code}），账号为学校标识码，初始密码123456。"
            )
            return redirect("review:accounts")
    return render(
        request,
        "review/accounts_add.html",
        {"province": province, "add_form": form, "errors": errors},
        status=400,
    )


@province_required
@require_http_methods(["GET", "POST"])
def import_accounts(request: PortalRequest) -> HttpResponse:
    province = _province(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    errors: list[str] = []
    omitted = 0
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = import_schools(
                    upload, upload.name, province, by=request.user, ip=client_ip(request)
                )
            except SchoolImportError as exc:
                errors, omitted = exc.errors, exc.omitted
            else:
                messages.success(
                    request,
                    f"导入完成：新增学校 {len(result.created)} 所，更新 {len(result.updated)} 所，"
                    f"未变 {len(result.unchanged)} 所；新建学校账号 {result.accounts_created} 个"
                    "（初始密码123456，首次登录须修改）。",
                )
                return redirect("review:accounts")
        return render(
            request,
            "review/accounts_import.html",
            {
                "province": province,
                "import_form": form,
                "errors": errors,
                "omitted": omitted,
                "total": len(errors) + omitted,
            },
            status=400,
        )
    return render(
        request, "review/accounts_import.html", {"province": province, "import_form": form}
    )


def _account(request: PortalRequest, code: str) -> User:
    school = _school(request, code)
    account = User.objects.filter(school=school).select_related("school").first()
    if account is None:
        raise Http404("该学校没有账号。")
    return account


@province_required
@require_POST
def reset_password(request: PortalRequest, code: str) -> HttpResponse:
    account = _account(request, code)
    if not confirmed(request):
        return ask(
            request,
            title="重置密码",
            summary=f"将为{account.school}（{code}）生成新的临时密码，原密码立即失效；"
            "临时密码只显示这一次，请告知学校，学校登录后须修改。",
            back=_back(request, "review:accounts"),
        )
    password = account.reset_password(by=request.user, ip=client_ip(request))
    messages.success(
        request,
        f"已重置{account.school}的密码，临时密码：{password}"
        "（只显示这一次，请告知学校；学校登录后须修改）。",
    )
    return redirect(_back(request, "review:accounts"))


@province_required
@require_POST
def set_active(request: PortalRequest, code: str) -> HttpResponse:
    account = _account(request, code)
    active = request.POST.get("active")
    if active not in {"0", "1"}:
        return HttpResponseBadRequest("参数错误。".encode())
    if active == "0" and not confirmed(request):
        return ask(
            request,
            title="停用账号",
            summary=f"将停用{account.school}（{code}）的账号：停用后立即退出登录且不能再登录，"
            "已填报的数据保留，可随时重新启用。",
            back=_back(request, "review:accounts"),
        )
    account.set_active(active == "1", by=request.user, ip=client_ip(request))
    verb = "启用" if active == "1" else "停用"
    messages.success(request, f"已{verb}{account.school}的账号。")
    return redirect(_back(request, "review:accounts"))


def _back(request: PortalRequest, default: str) -> str:
    target = request.POST.get("next", "")
    return target if target.startswith("/province/") else reverse(default)


# -- review -----------------------------------------------------------------------------------


@province_required
def queue(request: PortalRequest) -> HttpResponse:
    """待审核: the province's schools with items awaiting review, longest-waiting first."""
    province = _province(request)
    cities = province_cities(province.code)
    city = request.GET.get("city", "")
    kind = request.GET.get("kind", "")
    city = city if city in cities else ""
    kind = kind if kind in SchoolKind.values else ""
    query = search_text(request)
    sort = request.GET.get("sort", "")
    sort = sort if sort in QUEUE_SORTS else "waiting"
    rows = review_queue(province.code, city=city, kind=kind, query=query, sort=sort)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    listed = [
        {
            "code": row["declaration__school_id"],
            "name": row["declaration__school__name"],
            "kind": SchoolKind(row["declaration__school__kind"]).label,
            "city": row["declaration__school__city"],
            "waiting": row["waiting"],
            "since": row["since"],
            "days": (now - row["since"]).days if row["since"] else None,
        }
        for row in page.object_list
    ]
    return render(
        request,
        "review/queue.html",
        {
            "page": page,
            "rows": listed,
            "cities": cities,
            "kinds": SchoolKind.choices,
            "city": city,
            "kind": kind,
            "query": query,
            "sort": sort,
            "sorts": [(key, label) for key, (label, _o) in QUEUE_SORTS.items()],
            "filtered": bool(city or kind or query),
        },
    )


ITEM_STATUSES = {
    "pending": ReviewStatus.PENDING,
    "approved": ReviewStatus.APPROVED,
    "returned": ReviewStatus.RETURNED,
}


@province_required
@require_http_methods(["GET", "POST"])
def by_item(request: PortalRequest) -> HttpResponse:
    """按任务审核: one item across every school of the province that undertook it, with the
    item's totals; approve or return several rows at once with one comment."""
    round_ = _round(request)
    if round_ is None:
        return render(request, "review/by_item.html", {"round": None})
    items = list(round_.items.select_related("task").order_by("task__number", "sub_number"))
    counts = item_counts(round_)
    chosen = next((i for i in items if i.code == request.GET.get("item", "")), None)
    context: dict[str, Any] = {
        "round": round_,
        "items": [(i, *counts.get(i.pk, (0, 0))) for i in items],
        "item": chosen,
    }
    if chosen is None:
        return render(request, "review/by_item.html", context)
    back = f"{reverse('review:by_item')}?item={chosen.code}"
    comment = request.POST.get("comment", "").strip()  # cleaned on the way in (middleware)
    selected = {pk for raw in request.POST.getlist("rows") if (pk := parse_id(raw)) is not None}
    status, error, error_field = 200, None, None
    if request.method == "POST":
        verb = request.POST.get("action", "")
        try:
            if verb not in {"approve", "return"}:
                raise InvalidInput("未知的操作。")
            if not selected:
                raise InvalidInput("请勾选要审核的学校。", "rows")
            if verb == "return" and not comment:
                raise InvalidInput("批量退回修改须填写修改意见。", "comment")
            # Only ticked rows of this item in this province's round count.
            own = Commitment.objects.filter(
                pk__in=selected, declaration__round=round_, item=chosen
            ).order_by("declaration__school_id")
            if not confirmed(request):
                names = list(own.values_list("declaration__school__name", flat=True))
                label = "通过" if verb == "approve" else "退回修改"
                return ask(
                    request,
                    title=f"批量{label}",
                    summary=f"将{label}{len(names)}所学校的任务（项目）{chosen.code}，"
                    f"共{len(names)}项，每所学校都会收到通知。",
                    details=[*([f"修改意见：{comment}"] if comment else []), "、".join(names)],
                    back=back,
                )
            if own.count() != len(selected):
                raise InvalidState("勾选的行已不属于本任务（可能已被修改），请刷新页面后重试。")
            done = Commitment.review_many(
                own.values_list("pk", flat=True),
                by=request.user,
                approve=verb == "approve",
                comment=comment,
                ip=client_ip(request),
            )
        except TransitionError as exc:
            status, error, error_field = exc.status, exc.message, exc.field
        else:
            label = "通过" if verb == "approve" else "退回修改"
            messages.success(request, f"已{label}{len(done)}所学校的{chosen.code}。")
            return redirect(back)
    filter_status = ITEM_STATUSES.get(request.GET.get("status", ""), "")
    rows = (
        Commitment.objects.filter(declaration__round=round_, item=chosen)
        .intended()
        .of_schools()
        .select_related("declaration__school")
        .order_by("declaration__school_id")
    )
    if filter_status:
        rows = rows.filter(review_status=filter_status)
    names = [name for name, _label in round_.fund_fields]
    context.update(
        {
            "rows": [(c, [getattr(c, n) for n in names]) for c in rows],
            "fund_labels": [label for _name, label in round_.fund_fields],
            "lines": item_lines(round_, chosen.pk),
            "status": request.GET.get("status", "") if filter_status else "",
            "selected": selected,
            "comment": comment,
            "error": error,
            "error_field": error_field,
        }
    )
    return render(request, "review/by_item.html", context, status=status)


def _review_page(
    request: PortalRequest,
    school: School,
    status: int = 200,
    error: str | None = None,
    typed: TypedReview | None = None,
    reason_form: ReasonForm | None = None,
    readonly: bool = False,
    row_errors: dict[int, str] | None = None,
) -> HttpResponse:
    """The review page, with what the admin typed and has not sent (after a refused action, or
    kept across the redirect after another button). The ministry opens it read-only."""
    typed = typed or TypedReview()
    row_errors = row_errors or {}
    round_ = Round.current_for(school.province_id)
    declaration = Declaration.for_school(school, round_) if round_ else None
    reviewable = not readonly and declaration is not None and declaration.can_review(request.user)
    rows, events, summaries, unplaced = [], [], [], []
    changes: list[ChangeRequest] = []
    if declaration is not None and declaration.pk:
        names = [name for name, _label in declaration.fund_fields]
        for c in (
            declaration.commitments.filter(undertaken=True)
            .select_related("item")
            .order_by("item__task__number", "item__sub_number")
        ):
            comment = typed.comments.get(c.pk, "")
            if comment and not (reviewable and c.is_pending):
                # Its row no longer has a comment box (someone reviewed it meanwhile).
                unplaced.append((c.item.code, comment))
            # 修改对比: a resubmitted item against its values when returned; a returned one
            # only once the school has saved a change.
            comparison = c.since_return(declaration.fund_fields, c.item)
            if comparison and c.is_returned and not comparison.changed:
                comparison = None
            rows.append(
                (c, [getattr(c, n) for n in names], comment, comparison, row_errors.get(c.pk))
            )
        events = list(AuditEvent.objects.for_subject(declaration).order_by("-at", "-pk"))
        changes = list(declaration.change_requests.order_by("-proposed_at", "-pk"))
        with_comparisons(declaration, changes)
        for label, approved in (("意向承接", False), ("已通过", True)):
            sums = declaration.summary(approved)
            summaries.append((label, sums["count"], sums["total"], [sums[n] for n in names]))
    # Finished with this school: lead on to the longest-waiting one left in 待审核.
    next_in_queue = None
    if reviewable and not any(c.is_pending for c, *_rest in rows):
        next_in_queue = (
            review_queue(school.province_id)
            .values("declaration__school_id", "declaration__school__name")
            .first()
        )
    return render(
        request,
        "review/school_review.html",
        {
            "school": school,
            "round": round_,
            "declaration": declaration,
            "rows": rows,
            "events": events,
            "summaries": summaries,
            "reviewable": reviewable,
            "readonly": readonly,
            "has_pending": any(c.is_pending for c, *_rest in rows),
            "pending_count": sum(1 for c, *_rest in rows if c.is_pending),
            "reason_form": reason_form
            or ReasonForm(initial={"reason": typed.reason, "until": typed.until}),
            "typed": typed,
            "unplaced": unplaced,
            "error": error,
            # The top message links to each row marked (the rows still showing a comment box).
            "error_links": [
                (f"comment-{c.pk}", f"{c.item.code} 修改意见：{row_error}")
                for c, _values, _comment, _comparison, row_error in rows
                if row_error and reviewable and c.is_pending
            ],
            "next_in_queue": next_in_queue,
            "pending_change": next((r for r in changes if r.is_pending), None),
            "past_changes": [r for r in changes if not r.is_pending],
            "decides_changes": not readonly
            and declaration is not None
            and declaration.pk is not None
            and declaration._reviewer_refusal(request.user) is None,
            "change_comment": typed.change_comment,
            "school_open": declaration.is_open() if declaration is not None else False,
            "extension": (
                Extension.objects.filter(round=round_, school=school).order_by("-pk").first()
                if round_
                else None
            ),
        },
        status=status,
    )


@province_required
def school_review(request: PortalRequest, code: str) -> HttpResponse:
    """A school's declaration with a control per item, and its timeline."""
    school = _school(request, code)
    return _review_page(request, school, typed=TypedReview.take(request.session, school.code))


ROW_ACTIONS = {"approve", "return", "undo"}
COMMENTED_ROW = "已填写修改意见：请点击本行的“退回修改”，或清空修改意见。"


@province_required
@require_POST
def review(request: PortalRequest, code: str) -> HttpResponse:
    """The review page's one form. Its buttons name the action and the item: "approve:<id>",
    "return:<id>", "undo:<id>", "approve_all", "reopen". Every button posts all that is typed,
    so a comment typed in one row survives a button pressed in another."""
    school = _school(request, code)
    typed = TypedReview.from_post(request.POST)
    verb, colon, raw = request.POST.get("action", "").partition(":")
    reason_form = ReasonForm(request.POST) if verb == "reopen" else None
    try:
        if verb in ROW_ACTIONS and colon:
            done, anchor = _review_item(request, school, verb, parse_id(raw), typed)
        elif verb == "approve_all" and not colon:
            if not confirmed(request) and (question := _ask_approve_all(request, school, typed)):
                return question
            done, anchor = _approve_all(request, school, typed), ""
        elif verb == "reopen" and not colon and reason_form is not None:
            if not confirmed(request):
                return _ask_reopen(request, school, reason_form)
            done, anchor = _reopen(request, school, reason_form, typed), ""
        else:
            return _review_page(request, school, 400, "未知的操作。", typed)
    except TransitionError as exc:
        # A row's comment refused (missing, too long, typed beside 通过) is shown at that row
        # as well as at the top.
        at_row = parse_id(raw) if verb in ROW_ACTIONS and exc.field == "comment" else None
        row_errors = {at_row: exc.message} if at_row else {}
        if verb == "approve_all" and exc.field == "comment":
            # 全部通过 refused for rows with a comment typed: each of them is marked.
            row_errors = {pk: COMMENTED_ROW for pk in typed.comments}
        return _review_page(
            request, school, exc.status, exc.message, typed, reason_form, row_errors=row_errors
        )
    typed.keep(request.session, school.code)
    messages.success(request, done)
    return redirect(reverse("review:school_review", args=[school.code]) + anchor)


@province_required
@require_POST
def decide_change(request: PortalRequest, code: str, pk: int) -> HttpResponse:
    """同意变更 / 不同意 a school's 变更申请, with the comment the school will see. Approving
    more than one item asks first."""
    school = _school(request, code)
    change = get_object_or_404(
        ChangeRequest.objects.select_related("declaration__round", "declaration__school"),
        pk=pk,
        declaration__school=school,
    )
    typed = TypedReview.from_post(request.POST)
    verb = request.POST.get("action", "")
    comment = typed.change_comment
    by, ip = request.user, client_ip(request)
    try:
        if verb == "approve":
            codes = [c.code for c in change.comparisons()]
            if len(codes) > 1 and not confirmed(request) and change.is_pending:
                return ask(
                    request,
                    title="同意变更",
                    summary=f"将按{school.name}的变更申请修改{len(codes)}项已通过的任务，"
                    "同意后各统计表按变更后的内容计算，并通知学校。",
                    details=[f"任务（项目）：{'、'.join(codes)}", f"变更原因：{change.reason}"],
                    back=reverse("review:school_review", args=[school.code]) + "#changes",
                )
            change.approve(by=by, comment=comment, ip=ip)
            done = f"已同意变更：{'、'.join(codes)}。"
        elif verb == "refuse":
            change.refuse(by=by, comment=comment, ip=ip)
            done = "已不同意该变更申请，原已通过的内容保持不变。"
        else:
            return _review_page(request, school, 400, "未知的操作。", typed)
    except TransitionError as exc:
        return _review_page(request, school, exc.status, exc.message, typed)
    typed.change_comment = ""
    typed.keep(request.session, school.code)
    messages.success(request, done)
    return redirect(reverse("review:school_review", args=[school.code]) + "#changes")


@province_required
def changes(request: PortalRequest) -> HttpResponse:
    """变更申请: the province's schools' pending change requests, oldest first."""
    province = _province(request)
    pending = (
        ChangeRequest.objects.pending()
        .filter(declaration__round__province=province)
        .select_related("declaration__school")
        .order_by("proposed_at", "pk")
    )
    page = Paginator(pending, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "review/changes.html",
        {
            "page": page,
        },
    )


def _review_item(
    request: PortalRequest, school: School, verb: str, pk: int | None, typed: TypedReview
) -> tuple[str, str]:
    """通过 / 退回修改 / 撤销审核 of one item; the message and the row to go back to."""
    if pk is None:
        raise InvalidInput("缺少要审核的任务，或页面数据有误。请刷新页面后重试。")
    commitment = get_object_or_404(
        Commitment.objects.select_related("item", "declaration"),
        pk=pk,
        declaration__school=school,
        declaration__round__province=_province(request),
    )
    code, comment = commitment.item.code, typed.comments.get(pk, "")
    by, ip = request.user, client_ip(request)
    if verb == "approve":
        if comment:
            raise InvalidInput(
                f"{code} 填写了修改意见。如要退回，请点击该行的“退回修改”；"
                "如要通过，请先清空该行的修改意见。",
                "comment",
            )
        commitment.approve(by=by, ip=ip)
        done = f"任务（项目）{code} 已通过。"
    elif verb == "return":
        commitment.return_for_changes(by=by, comment=comment, ip=ip)
        typed.comments.pop(pk, None)
        done = f"已将任务（项目）{code}退回修改，学校会收到修改意见。"
    else:
        commitment.undo_review(by=by, ip=ip)
        done = f"已撤销任务（项目）{code}的审核，该项重新待审核。"
    # "任务（项目）1 已通过" rather than "1 已通过", which reads as a count.
    return done, f"#c{commitment.pk}"


def _declaration(request: PortalRequest, school: School) -> Declaration:
    found = Declaration.objects.filter(round=_round(request), school=school).first()
    if found is None:
        raise InvalidState("该学校尚未填报。")
    return found


def _pending_codes(declaration: Declaration) -> list[str]:
    return list(
        declaration.commitments.filter(review_status=ReviewStatus.PENDING)
        .order_by("item__task__number", "item__sub_number")
        .values_list("item__code", flat=True)
    )


def _ask_approve_all(
    request: PortalRequest, school: School, typed: TypedReview
) -> HttpResponse | None:
    """The question before 全部通过, or None when there is nothing to ask (the action's own
    refusal then says why)."""
    declaration = _declaration(request, school)
    _refuse_commented(declaration, typed)
    codes = _pending_codes(declaration)
    if not codes or not declaration.can_review(request.user):
        return None
    return ask(
        request,
        title="全部通过",
        summary=f"将通过{school.name}的全部{len(codes)}项待审核任务，并通知学校。",
        details=[f"任务（项目）：{'、'.join(codes)}"],
        back=reverse("review:school_review", args=[school.code]),
    )


def _ask_reopen(request: PortalRequest, school: School, form: ReasonForm) -> HttpResponse:
    """The question before 退回学校重新填报: the whole declaration and every review of it, and
    after the school's end date the new end date granted with it."""
    declaration = _declaration(request, school)
    if not form.is_valid():
        raise InvalidInput(form.problem())
    until = form.cleaned_data["until"]
    # Refused before asking: a missing or impossible date needs no question.
    if until is None and not declaration.is_open():
        raise InvalidInput(
            f"该校的申报已于{declaration.end_date:%Y-%m-%d} 24:00截止，"
            "请填写新的截止日期（延期至），退回时一并批准延期。"
        )
    if until is not None:
        Extension.check_until(declaration.round, until)
    reviewed = dict(
        declaration.commitments.exclude(review_status=ReviewStatus.PENDING)
        .values_list("review_status")
        .annotate(n=Count("pk"))
    )
    approved = reviewed.get(ReviewStatus.APPROVED, 0)
    returned = reviewed.get(ReviewStatus.RETURNED, 0)
    extension = (
        [
            f"同时批准该校延期：该校填报截止时间改为{until:%Y-%m-%d} 24:00"
            f"（本省结束日期{declaration.round.end_date:%Y-%m-%d}）。"
        ]
        if until
        else []
    )
    return ask(
        request,
        title="退回学校重新填报",
        summary=f"将把{school.name}已提交的承接任务（{declaration.item_count}项）整体退回学校重新填报，"
        "学校修改后须重新提交，全部任务重新审核。",
        details=[
            f"退回原因：{form.cleaned_data['reason']}",
            *extension,
            f"已作出的审核结果将被清除：已通过{approved}项、退回修改{returned}项。",
            "学校将收到通知，并在承接任务页面看到退回原因。",
        ],
        back=reverse("review:school_review", args=[school.code]),
    )


def _refuse_commented(declaration: Declaration, typed: TypedReview) -> None:
    # An item with a comment typed for it was about to be returned: 全部通过 must not approve
    # it and drop the comment.
    commented = [
        c.item.code
        for c in declaration.commitments.filter(
            pk__in=list(typed.comments), review_status=ReviewStatus.PENDING
        )
        .select_related("item")
        .order_by("item__task__number", "item__sub_number")
    ]
    if commented:
        raise InvalidInput(
            f"{'、'.join(commented)} 填写了修改意见但尚未退回。请先点击这些任务的“退回修改”，"
            "或清空修改意见后再点击“全部通过”。",
            "comment",
        )


def _approve_all(request: PortalRequest, school: School, typed: TypedReview) -> str:
    declaration = _declaration(request, school)
    _refuse_commented(declaration, typed)
    count = declaration.approve_all(by=request.user, ip=client_ip(request))
    return f"已通过全部 {count} 项待审核任务。"


def _reopen(request: PortalRequest, school: School, form: ReasonForm, typed: TypedReview) -> str:
    """退回学校重新填报, at the school's request; after the end date with a new end date."""
    declaration = _declaration(request, school)
    if not form.is_valid():
        raise InvalidInput(form.problem())
    until = form.cleaned_data["until"]
    declaration.reopen(
        by=request.user, reason=form.cleaned_data["reason"], until=until, ip=client_ip(request)
    )
    # The items are the school's to edit again: comments typed for them no longer apply.
    dropped = "各任务填写的修改意见没有发送。" if typed.comments else ""
    typed.comments.clear()
    typed.reason = typed.until = ""
    extended = f"该校延期至{until:%Y-%m-%d} 24:00。" if until else ""
    return f"已退回学校重新填报，学校可以修改后重新提交。{extended}{dropped}"


# -- 省级承接 ----------------------------------------------------------------------------------


def _own_page(
    request: PortalRequest, form: CommitmentForm, status: int = 200, error: str | None = None
) -> HttpResponse:
    declaration = form.declaration
    if declaration.is_submitted:
        return _own_preview(request, declaration, status, error)
    return render(
        request,
        "review/own_form.html",
        {
            "form": form,
            "declaration": declaration,
            "round": declaration.round,
            "editable": declaration.can_edit(request.user),
            "error": error,
        },
        status=status,
    )


def _own_preview(
    request: PortalRequest,
    declaration: Declaration,
    status: int = 200,
    error: str | None = None,
    readonly: bool = False,
) -> HttpResponse:
    names = [name for name, _label in declaration.fund_fields]
    # The ministry may look before the province has saved anything: no rows yet, not a 500.
    saved = declaration.commitments.all() if declaration.pk else []
    commitments = {c.item_id: c for c in saved}
    rows = []
    for item in declaration.form_items():
        c = commitments.get(item.pk)
        rows.append((item, c, [getattr(c, n) for n in names] if c else []))
    sums = declaration.summary()
    return render(
        request,
        "review/own_preview.html",
        {
            "declaration": declaration,
            "round": declaration.round,
            "rows": rows,
            "summaries": [("省级承接", sums["count"], sums["total"], [sums[n] for n in names])],
            "error": error,
            "readonly": readonly,
        },
        status=status,
    )


@province_required
@require_http_methods(["GET", "POST"])
def own(request: PortalRequest) -> HttpResponse:
    """省级承接: the province undertakes the province-level items itself."""
    round_ = _round(request)
    if round_ is None:
        return render(request, "review/no_round.html", status=200)
    declaration = Declaration.for_province(round_)
    if request.method == "GET":
        return _own_page(request, CommitmentForm(declaration, declaration.form_items()))
    action = request.POST.get("action")
    if action == "withdraw":
        try:
            declaration.withdraw(by=request.user, ip=client_ip(request))
        except TransitionError as exc:
            return _own_preview(request, declaration, exc.status, exc.message)
        messages.success(request, "已撤回省级承接的提交，可以继续修改。")
        return redirect("review:own")
    if declaration.is_submitted:
        return _own_preview(request, declaration, 409, "省级承接已提交，本次操作没有做任何更改。")
    form = CommitmentForm(declaration, declaration.form_items(), request.POST)
    return post_declaration_form(
        request,
        form,
        submitted="省级承接已提交。",
        saved="省级承接已保存，尚未提交。",
        page=lambda status, error: _own_page(request, form, status, error),
        success_url=reverse("review:own"),
    )


# -- export -----------------------------------------------------------------------------------


@province_required
def export(request: PortalRequest) -> HttpResponseBase:
    round_ = _round(request)
    if round_ is None:
        return render(request, "review/no_round.html")
    return province_workbook_response(round_, beijing_today())
