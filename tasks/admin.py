from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from schools.audit import AuditedAdmin
from tasks.models import AuditEvent, Category, Extension, Item, Mail, Plan, Task
from tizhi.lib.http import client_ip


class CategoryInline(admin.TabularInline):
    model = Category
    extra = 0


@admin.register(Plan)
class PlanAdmin(AuditedAdmin):
    list_display = ["name", "code", "document_no", "start_year", "end_year", "is_current"]
    inlines = [CategoryInline]

    def save_model(self, request: HttpRequest, obj: Plan, form: Any, change: bool) -> None:
        if obj.is_current:
            obj.retire_other_current(by=request.user, ip=client_ip(request))
        super().save_model(request, obj, form, change)


class ItemInline(admin.TabularInline):
    model = Item
    extra = 0
    fields = ["code", "sub_number", "text", "has_quantity", "scope"]


@admin.register(Task)
class TaskAdmin(AuditedAdmin):
    list_display = ["number", "text", "category", "departments", "on_platform"]
    list_filter = ["plan", "category", "on_platform"]
    search_fields = ["text", "departments"]
    list_select_related = ["category"]
    inlines = [ItemInline]


@admin.register(Item)
class ItemAdmin(AuditedAdmin):
    list_display = ["code", "text", "has_quantity", "scope", "task"]
    list_filter = ["task__plan", "scope", "has_quantity", "task__on_platform"]
    search_fields = ["code", "text"]
    list_select_related = ["task"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that only the application writes: operators read them, nobody edits them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """操作记录 for operators: read only; nobody edits or deletes a record."""

    list_display = ["at", "actor", "ip", "action", "subject_label", "province", "school"]
    list_filter = ["action", "province"]
    search_fields = ["actor", "subject_label", "school__code", "school__name"]
    list_select_related = ["province", "school"]
    date_hierarchy = "at"
    readonly_fields = [
        "at",
        "actor",
        "user",
        "ip",
        "action",
        "subject_type",
        "subject_id",
        "subject_label",
        "province",
        "school",
        "version",
        "changes",
        "description",
    ]
    exclude = []

    @admin.display(description="变更内容（说明）")
    def description(self, obj: AuditEvent) -> str:
        return obj.describe(limit=50)


@admin.register(Mail)
class MailAdmin(ReadOnlyAdmin):
    """The mail outbox for operators: what was sent, what is waiting and why a send failed.
    Read only: the job engine and `tick` move a mail through its states."""

    list_display = ["created_at", "to", "subject", "status", "attempts", "sent_at", "error"]
    list_filter = ["status"]
    search_fields = ["to", "subject"]
    date_hierarchy = "created_at"


@admin.register(Extension)
class ExtensionAdmin(ReadOnlyAdmin):
    """Extensions (延期) for operators: read only; schools ask and provinces decide on their
    pages, through the model's transitions."""

    list_display = ["school", "round", "status", "wanted_until", "granted_until", "decided_at"]
    list_filter = ["status", "round__province"]
    search_fields = ["school__code", "school__name"]
    list_select_related = ["school", "round__province", "round__plan"]
