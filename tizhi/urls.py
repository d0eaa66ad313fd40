from django.contrib import admin
from django.urls import include, path

from review.catalogue_admin import catalogue_site
from tizhi import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz/", views.healthz, name="healthz"),
    path("help/", views.help_page, name="help"),
    path("", include("schools.urls")),
    path("", include("tasks.urls")),
    path("", include("review.urls")),
    # The ministry's catalogue maintenance (Django's admin, limited to the catalogue).
    path("ministry/catalogue/", catalogue_site.urls),
    path("captcha/", include("captcha.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "tizhi.views.bad_request"
handler403 = "tizhi.views.permission_denied"
handler404 = "tizhi.views.page_not_found"
handler500 = "tizhi.views.server_error"
