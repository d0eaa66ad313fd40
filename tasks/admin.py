from django.contrib import admin

from tasks.models import Category, Item, Plan, Task


class CategoryInline(admin.TabularInline):
    model = Category
    extra = 0


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "document_no", "start_year", "end_year", "is_current"]
    inlines = [CategoryInline]


class ItemInline(admin.TabularInline):
    model = Item
    extra = 0
    fields = ["code", "sub_number", "text", "has_quantity", "scope"]


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["number", "text", "category", "departments", "on_platform"]
    list_filter = ["plan", "category", "on_platform"]
    search_fields = ["text", "departments"]
    list_select_related = ["category"]
    inlines = [ItemInline]


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ["code", "text", "has_quantity", "scope", "task"]
    list_filter = ["task__plan", "scope", "has_quantity", "task__on_platform"]
    search_fields = ["code", "text"]
    list_select_related = ["task"]
