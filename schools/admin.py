from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from schools.audit import AuditedAdmin
from schools.models import Province, School, User

admin.site.site_header = "提质培优管理平台 运维管理"
admin.site.site_title = "提质培优管理平台"
admin.site.index_title = "运维管理"


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
