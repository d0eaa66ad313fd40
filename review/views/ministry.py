"""The ministry's pages."""

from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import render

from schools.access import PortalRequest, ministry_required
from schools.choices import Role
from schools.models import Province, School, User


@ministry_required
def home(request: PortalRequest) -> HttpResponse:
    """Every provincial unit with its schools, activated and deactivated accounts, admins."""
    account_counts = {
        "school_count": Count("code"),
        "activated": Count(
            "code", filter=Q(account__is_active=True, account__must_change_password=False)
        ),
        "deactivated": Count("code", filter=Q(account__is_active=False)),
    }
    by_province = {
        row["province"]: row for row in School.objects.values("province").annotate(**account_counts)
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
