from django.urls import path

from review import views

app_name = "review"

urlpatterns = [
    path("province/", views.province_home, name="province_home"),
    path("ministry/", views.ministry_home, name="ministry_home"),
]
