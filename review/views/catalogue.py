"""目录维护: the ministry's pages that add, change and remove plans, categories, tasks and items.

Every change goes through `CatalogueEntry.save_entry` or `CatalogueEntry.remove` (tasks.models.
catalogue); these views only read the form, call the method and show the result.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.db.models import Count, Max
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from review.catalogue_forms import CategoryForm, EntryForm, ItemForm, PlanForm, TaskForm
from schools.access import PortalRequest, ministry_required
from tasks.models import Category, Item, Plan, Task
from tasks.models.catalogue import CatalogueEntry
from tasks.transitions import TransitionError
from tizhi.lib.confirm import ask, confirmed
from tizhi.lib.http import client_ip


def _plan_url(plan_id: int, anchor: str = "") -> str:
    url = reverse("catalogue:plan", args=[plan_id])
    return f"{url}#{anchor}" if anchor else url


@ministry_required
def index(request: PortalRequest) -> HttpResponse:
    """The plans, each with the size of its catalogue."""
    plans = Plan.objects.annotate(
        category_count=Count("categories", distinct=True),
        task_count=Count("tasks", distinct=True),
        item_count=Count("tasks__items", distinct=True),
    ).order_by("-is_current", "-start_year", "code")
    return render(request, "review/catalogue/index.html", {"plans": plans})


@ministry_required
def plan(request: PortalRequest, pk: int) -> HttpResponse:
    """One plan's whole catalogue, with a link to change each entry."""
    shown = get_object_or_404(Plan.objects.with_catalogue(), pk=pk)
    return render(request, "review/catalogue/plan.html", {"plan": shown})


def _edit(
    request: PortalRequest,
    form: EntryForm,
    *,
    title: str,
    trail: list[tuple[str, str]],
    done: str,
    then: Callable[[Any], str],
    removal: dict[str, Any] | None = None,
) -> HttpResponse:
    """The add or change page of one entry: on a valid POST, `save_entry`; a refusal is shown
    at its field (or at the top) with everything typed kept."""
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            entry: CatalogueEntry = form.instance
            try:
                entry.save_entry(by=request.user, ip=client_ip(request))
            except TransitionError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                status = exc.status
            else:
                messages.success(request, done.format(entry=form.instance))
                return redirect(then(form.instance))
    return render(
        request,
        "review/catalogue/form.html",
        {
            "form": form,
            "title": title,
            "trail": trail,
            "back": trail[-1][1] if trail else reverse("catalogue:index"),
            "removal": removal,
        },
        status=status,
    )


def _removal(entry: CatalogueEntry, url: str, label: str) -> dict[str, Any]:
    """The change page's 删除 section: the button, or why the entry cannot be removed."""
    return {"url": url, "label": label, "refusal": entry.removal_refusal()}


def _remove(
    request: PortalRequest,
    entry: CatalogueEntry,
    *,
    title: str,
    summary: str,
    details: list[str],
    back: str,
    done: str,
    next_url: str,
) -> HttpResponse:
    """删除 asks first (tizhi.lib.confirm), then `remove`; a refusal is a page with its reason."""
    refusal = entry.removal_refusal()
    if not refusal:
        if not confirmed(request):
            return ask(request, title=title, summary=summary, details=details, back=back)
        try:
            entry.remove(by=request.user, ip=client_ip(request))
        except TransitionError as exc:
            refusal = exc.message
            status = exc.status
        else:
            messages.success(request, done)
            return redirect(next_url)
    else:
        status = 409
    return render(
        request,
        "review/catalogue/refused.html",
        {"title": title, "message": refusal, "back": back},
        status=status,
    )


# -- plans ----------------------------------------------------------------------------------


@ministry_required
@require_http_methods(["GET", "POST"])
def plan_add(request: PortalRequest) -> HttpResponse:
    form = PlanForm(request.POST or None, instance=Plan())
    return _edit(
        request,
        form,
        title="添加行动计划",
        trail=[],
        done="已添加行动计划：{entry}。请继续添加类别和重点任务。",
        then=lambda entry: _plan_url(entry.pk),
    )


@ministry_required
@require_http_methods(["GET", "POST"])
def plan_edit(request: PortalRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(Plan, pk=pk)
    form = PlanForm(request.POST or None, instance=entry)
    return _edit(
        request,
        form,
        title="修改计划信息",
        trail=[(entry.name, _plan_url(entry.pk))],
        done="已保存行动计划的修改：{entry}。",
        then=lambda saved: _plan_url(saved.pk),
        removal=_removal(entry, reverse("catalogue:plan_delete", args=[pk]), "删除此行动计划"),
    )


@ministry_required
@require_POST
def plan_delete(request: PortalRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(Plan, pk=pk)
    items = Item.objects.filter(task__plan=entry).count()
    return _remove(
        request,
        entry,
        title="删除行动计划",
        summary=f"将删除行动计划“{entry.name}”及其全部类别、重点任务和子项"
        f"（共{items}个子项），不能恢复。",
        details=[],
        back=reverse("catalogue:plan_edit", args=[pk]),
        done=f"已删除行动计划：{entry.name}。",
        next_url=reverse("catalogue:index"),
    )


# -- categories -----------------------------------------------------------------------------


@ministry_required
@require_http_methods(["GET", "POST"])
def category_add(request: PortalRequest, plan_id: int) -> HttpResponse:
    owner = get_object_or_404(Plan, pk=plan_id)
    last = owner.categories.aggregate(last=Max("number"))["last"] or 0
    form = CategoryForm(
        request.POST or None, instance=Category(plan=owner), initial={"number": last + 1}
    )
    return _edit(
        request,
        form,
        title="添加类别",
        trail=[(owner.name, _plan_url(owner.pk))],
        done="已添加类别：{entry}。",
        then=lambda entry: _plan_url(owner.pk, f"category-{entry.pk}"),
    )


@ministry_required
@require_http_methods(["GET", "POST"])
def category_edit(request: PortalRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(Category.objects.select_related("plan"), pk=pk)
    form = CategoryForm(request.POST or None, instance=entry)
    return _edit(
        request,
        form,
        title=f"修改类别：{entry.name}",
        trail=[(entry.plan.name, _plan_url(entry.plan_id))],
        done="已保存类别的修改：{entry}。",
        then=lambda saved: _plan_url(saved.plan_id, f"category-{pk}"),
        removal=_removal(entry, reverse("catalogue:category_delete", args=[pk]), "删除此类别"),
    )


@ministry_required
@require_POST
def category_delete(request: PortalRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(Category.objects.select_related("plan"), pk=pk)
    return _remove(
        request,
        entry,
        title="删除类别",
        summary=f"将从“{entry.plan.name}”中删除类别“{entry.name}”。",
        details=[],
        back=reverse("catalogue:category_edit", args=[pk]),
        done=f"已删除类别：{entry.name}。",
        next_url=_plan_url(entry.plan_id),
    )


# -- tasks ----------------------------------------------------------------------------------


@ministry_required
@require_http_methods(["GET", "POST"])
def task_add(request: PortalRequest, plan_id: int) -> HttpResponse:
    owner = get_object_or_404(Plan, pk=plan_id)
    last = owner.tasks.aggregate(last=Max("number"))["last"] or 0
    form = TaskForm(
        request.POST or None,
        instance=Task(plan=owner),
        initial={"number": last + 1, "on_platform": True},
        plan=owner,
    )
    return _edit(
        request,
        form,
        title="添加重点任务",
        trail=[(owner.name, _plan_url(owner.pk))],
        done="已添加重点任务{entry.number}。请为它添加子项：不拆分的任务添加一个与任务相同的子项。",
        then=lambda entry: reverse("catalogue:item_add", args=[entry.pk]),
    )


@ministry_required
@require_http_methods(["GET", "POST"])
def task_edit(request: PortalRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(Task.objects.select_related("plan"), pk=pk)
    form = TaskForm(request.POST or None, instance=entry, plan=entry.plan)
    return _edit(
        request,
        form,
        title=f"修改重点任务{entry.number}",
        trail=[(entry.plan.name, _plan_url(entry.plan_id))],
        done="已保存重点任务{entry.number}的修改。",
        then=lambda saved: _plan_url(saved.plan_id, f"task-{pk}"),
        removal=_removal(entry, reverse("catalogue:task_delete", args=[pk]), "删除此重点任务"),
    )


@ministry_required
@require_POST
def task_delete(request: PortalRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(Task.objects.select_related("plan"), pk=pk)
    codes = [item.code for item in entry.items.all()]
    return _remove(
        request,
        entry,
        title="删除重点任务",
        summary=f"将从“{entry.plan.name}”中删除重点任务{entry.number}及其子项"
        f"{'、'.join(codes) if codes else '（无）'}；已开放该任务的省份不再提供这些子项。",
        details=[entry.text],
        back=reverse("catalogue:task_edit", args=[pk]),
        done=f"已删除重点任务{entry.number}。",
        next_url=_plan_url(entry.plan_id),
    )


# -- items ----------------------------------------------------------------------------------


@ministry_required
@require_http_methods(["GET", "POST"])
def item_add(request: PortalRequest, task_id: int) -> HttpResponse:
    owner = get_object_or_404(Task.objects.select_related("plan"), pk=task_id)
    last = owner.items.aggregate(last=Max("sub_number"))["last"]
    # The first item of a task is the task itself (3, sub-item 0); later ones are 3.1, 3.2 …
    sub = 0 if last is None else last + 1
    initial = (
        {"sub_number": 0, "code": str(owner.number), "text": owner.text}
        if sub == 0
        else {"sub_number": sub, "code": f"{owner.number}.{sub}"}
    )
    form = ItemForm(request.POST or None, instance=Item(task=owner), initial=initial)
    return _edit(
        request,
        form,
        title=f"为重点任务{owner.number}添加子项",
        trail=[(owner.plan.name, _plan_url(owner.plan_id))],
        done="已添加子项{entry.code}。",
        then=lambda entry: _plan_url(owner.plan_id, f"item-{entry.pk}"),
    )


@ministry_required
@require_http_methods(["GET", "POST"])
def item_edit(request: PortalRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(Item.objects.select_related("task__plan"), pk=pk)
    form = ItemForm(request.POST or None, instance=entry)
    return _edit(
        request,
        form,
        title=f"修改子项{entry.code}",
        trail=[(entry.task.plan.name, _plan_url(entry.task.plan_id))],
        done="已保存子项{entry.code}的修改。",
        then=lambda saved: _plan_url(saved.task.plan_id, f"item-{pk}"),
        removal=_removal(entry, reverse("catalogue:item_delete", args=[pk]), "删除此子项"),
    )


@ministry_required
@require_POST
def item_delete(request: PortalRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(
        Item.objects.select_related("task__plan").annotate(offers=Count("rounds")), pk=pk
    )
    offered = getattr(entry, "offers", 0)
    return _remove(
        request,
        entry,
        title="删除子项",
        summary=f"将从重点任务{entry.task.number}中删除子项{entry.code}。"
        + (f"已有{offered}个省级单位开放了此子项，删除后不再提供。" if offered else ""),
        details=[entry.text],
        back=reverse("catalogue:item_edit", args=[pk]),
        done=f"已删除子项{entry.code}。",
        next_url=_plan_url(entry.task.plan_id, f"task-{entry.task_id}"),
    )
