from django.urls import path

from tasks import views

app_name = "tasks"

urlpatterns = [
    path("catalogue/", views.catalogue, name="catalogue"),
]
