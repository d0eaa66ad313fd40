"""操作记录: the audit trail, a province's own or every province's for the ministry."""

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from review.forms import AuditFilterForm
from schools.access import PortalRequest, ministry_required, province_required
from schools.models import Province
from tasks.models import AuditEvent

PAGE_SIZE = 50


def _audit_page(
    request: PortalRequest, form: AuditFilterForm, province: Province | None
) -> HttpResponse:
    """The records matching the filters, newest first, 50 a page; invalid filters show
    their errors and no records (400)."""
    events = AuditEvent.objects.none()
    status = 200
    if form.is_valid():
        data = form.cleaned_data
        events = AuditEvent.objects.matching(
            province=province.code if province else data.get("province", ""),
            school=data["school"],
            user=data["user"].strip(),
            action=data["action"],
            since=data["since"],
            until=data["until"],
        )
    else:
        status = 400
    page = Paginator(events.order_by("-at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "review/audit_log.html",
        {"form": form, "page": page, "province": province},
        status=status,
    )


@province_required
@require_GET
def province_audit(request: PortalRequest) -> HttpResponse:
    province = request.user.province
    assert province is not None
    return _audit_page(request, AuditFilterForm(request.GET), province)


@ministry_required
@require_GET
def ministry_audit(request: PortalRequest) -> HttpResponse:
    provinces = list(Province.objects.all())
    return _audit_page(request, AuditFilterForm(request.GET, provinces=provinces), None)
