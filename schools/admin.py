from typing import Any

from captcha.fields import CaptchaField
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from schools.audit import AuditedAdmin
from schools.models import Province, School, User

admin.site.site_header = "提质培优管理平台 运维管理"
admin.site.site_title = "提质培优管理平台"
admin.site.index_title = "运维管理"


class AdminSignInForm(AdminAuthenticationForm):
    """The operators' sign-in: Django's, plus the portal's captcha. The lockout (django-axes)
    already covers it, as every authenticate() call with a request."""

    captcha = CaptchaField(
        label="验证码",
        error_messages={"invalid": "验证码错误，请重新输入。", "required": "请输入验证码。"},
    )

    def clean(self) -> dict[str, Any]:
        # The password is checked only once the captcha is right, as on the portal's forms:
        # the lockout then counts guesses at passwords, not at captchas.
        if "captcha" in self.errors:
            return self.cleaned_data
        return super().clean()


admin.site.login_form = AdminSignInForm
admin.site.login_template = "admin/login.html"


@admin.register(Province)
class ProvinceAdmin(AuditedAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(School)
class SchoolAdmin(AuditedAdmin):
    list_display = ["code", "name", "kind", "province", "city", "contact_name", "mobile"]
    list_filter = ["kind", "province"]
    search_fields = ["code", "name"]
    list_select_related = ["province"]


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    list_display = ["username", "role", "province", "school", "is_active", "must_change_password"]
    list_filter = ["role", "is_active", "must_change_password", "province"]
    search_fields = ["username", "school__name"]
    list_select_related = ["province", "school"]
    raw_id_fields = ["school"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,  # type: ignore[misc]
        ("平台角色", {"fields": ("role", "province", "school", "must_change_password")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        ("平台角色", {"fields": ("role", "province", "school")}),
    )
