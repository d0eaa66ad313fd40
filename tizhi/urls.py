from django.contrib import admin
from django.urls import include, path

from tizhi import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz/", views.healthz, name="healthz"),
    path("help/", views.help_page, name="help"),
    path("", include("schools.urls")),
    path("", include("tasks.urls")),
    path("", include("review.urls")),
    # 目录维护: the ministry's own pages for the catalogue (Django admin is for operators).
    path("ministry/catalogue/", include("review.catalogue_urls")),
    path("captcha/", include("captcha.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "tizhi.views.bad_request"
handler403 = "tizhi.views.permission_denied"
handler404 = "tizhi.views.page_not_found"
handler500 = "tizhi.views.server_error"
