"""目录维护, mounted at /ministry/catalogue/ (ministry accounts only)."""

from django.urls import path

from review.views import catalogue

app_name = "catalogue"

urlpatterns = [
    path("", catalogue.index, name="index"),
    path("plans/add/", catalogue.plan_add, name="plan_add"),
    path("plans/<int:pk>/", catalogue.plan, name="plan"),
    path("plans/<int:pk>/edit/", catalogue.plan_edit, name="plan_edit"),
    path("plans/<int:pk>/delete/", catalogue.plan_delete, name="plan_delete"),
    path("plans/<int:plan_id>/categories/add/", catalogue.category_add, name="category_add"),
    path("categories/<int:pk>/edit/", catalogue.category_edit, name="category_edit"),
    path("categories/<int:pk>/delete/", catalogue.category_delete, name="category_delete"),
    path("plans/<int:plan_id>/tasks/add/", catalogue.task_add, name="task_add"),
    path("tasks/<int:pk>/edit/", catalogue.task_edit, name="task_edit"),
    path("tasks/<int:pk>/delete/", catalogue.task_delete, name="task_delete"),
    path("tasks/<int:task_id>/items/add/", catalogue.item_add, name="item_add"),
    path("items/<int:pk>/edit/", catalogue.item_edit, name="item_edit"),
    path("items/<int:pk>/delete/", catalogue.item_delete, name="item_delete"),
]
