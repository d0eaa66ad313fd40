from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from tasks.choices import ItemScope
from tasks.models import Plan


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
