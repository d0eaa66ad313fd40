from typing import Any

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from schools.access import PortalRequest, school_required
from schools.choices import Role
from schools.forms import ContactForm, LoginForm, PasswordChangeForm
from schools.models import School, User
from tizhi.lib.http import client_ip

SIGN_IN_ROLES = {r.value: r for r in (Role.SCHOOL, Role.PROVINCE, Role.MINISTRY)}


def _safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


@require_http_methods(["GET", "POST"])
def login(request: HttpRequest, role: str) -> HttpResponse:
    if role not in SIGN_IN_ROLES:
        raise Http404("没有这个登录入口。")
    entry = SIGN_IN_ROLES[role]
    if request.method == "GET" and request.user.is_authenticated:
        return redirect("home")
    form = LoginForm(request, entry, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        assert form.user is not None
        auth_login(request, form.user)
        if form.user.must_change_password:
            messages.info(request, "您正在使用初始密码，请先修改密码并完善联系人信息。")
            return redirect("schools:password_change")
        return redirect(_safe_next(request) or "home")
    return render(
        request,
        "schools/login.html",
        {
            "form": form,
            "entry": entry,
            "is_school_entry": entry == Role.SCHOOL,
            "next": _safe_next(request) or "",
        },
        # A refused sign-in is bad input like any other form's: 400, the messages on the page.
        status=400 if request.method == "POST" else 200,
    )


def locked_out(request: HttpRequest, response: Any = None, credentials: Any = None) -> HttpResponse:
    """django-axes calls this when a username is locked from an address."""
    return render(request, "schools/locked_out.html", status=429)


@login_required
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    data = request.POST if request.method == "POST" else None
    form = PasswordChangeForm(user, data)
    contact_form = ContactForm(data, instance=user.school) if user.school_id else None
    if request.method == "POST":
        forms_valid = form.is_valid() & (contact_form is None or contact_form.is_valid())
        if forms_valid:
            ip = client_ip(request)
            with transaction.atomic():
                user.change_password(form.cleaned_data["new_password1"], ip=ip)
                if contact_form is not None and user.school is not None:
                    user.school.update_contacts(by=user, ip=ip, **contact_form.contacts())
            update_session_auth_hash(request, user)
            messages.success(request, "密码已修改。")
            return redirect("home")
    return render(
        request,
        "schools/password_change.html",
        {"form": form, "contact_form": contact_form, "forced": user.must_change_password},
    )


@school_required
@require_http_methods(["GET", "POST"])
def profile(request: PortalRequest) -> HttpResponse:
    """本校信息: the school's registered details and its editable contacts."""
    school = School.objects.select_related("province").get(account=request.user)
    form = ContactForm(request.POST if request.method == "POST" else None, instance=school)
    if request.method == "POST" and form.is_valid():
        school.update_contacts(by=request.user, ip=client_ip(request), **form.contacts())
        messages.success(request, "联系人信息已保存。")
        return redirect("schools:profile")
    return render(request, "schools/profile.html", {"school": school, "form": form})
