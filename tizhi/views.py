"""The public home page, the role-based redirect after sign-in, and error pages."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from schools.choices import Role
from tizhi.help import PROVINCE_SHOTS, SCHOOL_SHOTS
from tizhi.lib.http import RefusedRequest

ROLE_HOMES = {
    Role.SCHOOL: "tasks:commitments",
    Role.PROVINCE: "review:province_home",
    Role.MINISTRY: "review:ministry_home",
    Role.OPERATOR: "admin:index",
}


def home(request: HttpRequest) -> HttpResponse:
    """Signed-in users go to their role's home; visitors see the three sign-in entries."""
    if request.user.is_authenticated:
        return redirect(ROLE_HOMES[Role(request.user.role)])
    return render(request, "home.html")


def help_page(request: HttpRequest) -> HttpResponse:
    """帮助: the manual's steps with this platform's screenshots, what the figures mean, and whom
    to call. Open to visitors too: a school that cannot sign in needs it most."""
    return render(
        request,
        "help.html",
        {
            "school_shots": SCHOOL_SHOTS,
            "province_shots": PROVINCE_SHOTS,
            "helpdesk": settings.HELPDESK,
        },
    )


def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers and as the framework's floor in benchmarks: no database, no template."""
    return HttpResponse("ok", content_type="text/plain")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "403_csrf.html", status=403)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    # Only our own refusals carry a message fit to show; Django's say things in English.
    message = exception.message if isinstance(exception, RefusedRequest) else None
    return render(request, "400.html", {"message": message}, status=400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", status=500)
