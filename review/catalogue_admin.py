"""目录维护: the catalogue (plans, categories, tasks, items) maintained by ministry staff.

Django's admin, as a separate site limited to the catalogue models and open to ministry
accounts only, so the ministry can add a plan (such as the 2023 reform key tasks) and make it
current without a developer; every change is kept in the admin's change history.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from schools.audit import AuditedAdmin
from schools.choices import Role
from tasks.models import Category, Item, Plan, Task
from tizhi.lib.http import client_ip


class CatalogueSite(admin.AdminSite):
    site_header = "提质培优管理平台 · 目录维护"
    site_title = "目录维护"
    index_title = "行动计划与重点任务（项目）目录"
    site_url = "/ministry/"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and getattr(user, "role", None) == Role.MINISTRY)

    def admin_view(self, view: Any, cacheable: bool = False) -> Any:
        inner = super().admin_view(view, cacheable)

        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            # The portal's own sign-in, and 403 for other roles like every ministry page.
            if not request.user.is_authenticated:
                return self.login(request)
            if not self.has_permission(request):
                raise PermissionDenied("您的账号无权访问此页面。")
            return inner(request, *args, **kwargs)

        return guarded

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        return redirect_to_login(
            request.get_full_path(), reverse("schools:login", args=["ministry"])
        )


catalogue_site = CatalogueSite(name="catalogue")


class MinistryOnly:
    """Every ministry account may view, add, change and delete catalogue entries."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return catalogue_site.has_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return catalogue_site.has_permission(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return catalogue_site.has_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return catalogue_site.has_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return catalogue_site.has_permission(request)


class CategoryInline(MinistryOnly, admin.TabularInline):
    model = Category
    extra = 3


class PlanForm(forms.ModelForm):
    class Meta:
        model = Plan
        fields = [
            "code",
            "name",
            "document_no",
            "start_year",
            "end_year",
            "is_current",
            "report_deadline_month",
            "report_deadline_day",
        ]

    def _get_validation_exclusions(self) -> Any:
        # "Only one current plan" is kept by save_model below, which retires the old current
        # plan in the same transaction; validating it here would refuse the switch.
        exclusions = super()._get_validation_exclusions()  # type: ignore[misc]
        exclusions.add("is_current")
        return exclusions


@admin.register(Plan, site=catalogue_site)
class PlanAdmin(MinistryOnly, AuditedAdmin):
    form = PlanForm
    list_display = ["name", "code", "document_no", "start_year", "end_year", "is_current"]
    inlines = [CategoryInline]

    def save_model(self, request: HttpRequest, obj: Plan, form: Any, change: bool) -> None:
        # One current plan: making this one current retires the other in the same
        # transaction (the admin wraps the save in one), on record.
        with transaction.atomic():
            if obj.is_current:
                obj.retire_other_current(by=request.user, ip=client_ip(request))
            super().save_model(request, obj, form, change)


class ItemInline(MinistryOnly, admin.TabularInline):
    model = Item
    extra = 3
    fields = ["code", "sub_number", "text", "has_quantity", "scope"]


@admin.register(Task, site=catalogue_site)
class TaskAdmin(MinistryOnly, AuditedAdmin):
    list_display = ["number", "text", "category", "departments", "on_platform", "plan"]
    list_filter = ["plan", "on_platform"]
    search_fields = ["text", "departments"]
    list_select_related = ["category", "plan"]
    inlines = [ItemInline]


@admin.register(Item, site=catalogue_site)
class ItemAdmin(MinistryOnly, AuditedAdmin):
    list_display = ["code", "text", "has_quantity", "scope", "task"]
    list_filter = ["task__plan", "scope", "has_quantity"]
    search_fields = ["code", "text"]
    list_select_related = ["task"]
