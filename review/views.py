from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from schools.access import PortalRequest, ministry_required, province_required
from schools.choices import Role, SchoolKind
from schools.models import Province, School, User

PAGE_SIZE = 50


def _account_counts() -> dict[str, Count]:
    return {
        "school_count": Count("code"),
        "activated": Count(
            "code", filter=Q(account__is_active=True, account__must_change_password=False)
        ),
        "deactivated": Count("code", filter=Q(account__is_active=False)),
    }


@province_required
def province_home(request: PortalRequest) -> HttpResponse:
    """The province's schools with their account state, searchable and paginated."""
    province = request.user.province
    schools = School.objects.filter(province=province)
    totals = schools.aggregate(**_account_counts())
    query = request.GET.get("q", "").strip()
    kind = request.GET.get("kind", "")
    if query:
        schools = schools.filter(Q(code__startswith=query) | Q(name__contains=query))
    if kind in SchoolKind.values:
        schools = schools.filter(kind=kind)
    page = Paginator(schools.select_related("account").order_by("code"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "review/province_home.html",
        {
            "province": province,
            "totals": totals,
            "page": page,
            "query": query,
            "kind": kind,
            "kinds": SchoolKind.choices,
        },
    )


@ministry_required
def ministry_home(request: HttpRequest) -> HttpResponse:
    """Every provincial unit with its schools, activated accounts and province admins."""
    by_province = {
        row["province"]: row
        for row in School.objects.values("province").annotate(**_account_counts())
    }
    admins = dict(
        User.objects.filter(role=Role.PROVINCE, is_active=True)
        .values_list("province")
        .annotate(n=Count("id"))
        .values_list("province", "n")
    )
    rows = []
    for province in Province.objects.all():
        counts = by_province.get(province.code, {})
        rows.append(
            {
                "province": province,
                "school_count": counts.get("school_count", 0),
                "activated": counts.get("activated", 0),
                "deactivated": counts.get("deactivated", 0),
                "admins": admins.get(province.code, 0),
            }
        )
    totals = {
        key: sum(r[key] for r in rows)
        for key in ("school_count", "activated", "deactivated", "admins")
    }
    return render(request, "review/ministry_home.html", {"rows": rows, "totals": totals})
