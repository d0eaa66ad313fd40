from django.urls import path

from review.views import ministry, province

app_name = "review"

urlpatterns = [
    path("province/", province.home, name="province_home"),
    path("province/round/", province.round_settings, name="round_settings"),
    path("province/accounts/", province.accounts, name="accounts"),
    path("province/accounts/add/", province.add_school, name="add_school"),
    path("province/accounts/import/", province.import_accounts, name="import_accounts"),
    path(
        "province/accounts/<str:code>/reset-password/",
        province.reset_password,
        name="reset_password",
    ),
    path("province/accounts/<str:code>/active/", province.set_active, name="set_active"),
    path("province/schools/<str:code>/", province.school_review, name="school_review"),
    path("province/schools/<str:code>/review/", province.review_item, name="review_item"),
    path("province/schools/<str:code>/approve-all/", province.approve_all, name="approve_all"),
    path("province/schools/<str:code>/reopen/", province.reopen, name="reopen"),
    path("province/own/", province.own, name="own"),
    path("province/export/", province.export, name="export"),
    path("ministry/", ministry.home, name="ministry_home"),
    path("ministry/tables/provinces/", ministry.provinces_table_view, name="table_provinces"),
    path("ministry/tables/items/", ministry.items_table_view, name="table_items"),
    path("ministry/exports/", ministry.exports, name="exports"),
    path("ministry/exports/<int:pk>/", ministry.export_job, name="export_job"),
    path("ministry/exports/<int:pk>/download/", ministry.export_download, name="export_download"),
    path("ministry/provinces/<str:code>/", ministry.province_view, name="ministry_province"),
    path(
        "ministry/provinces/<str:code>/schools/<str:school>/",
        ministry.school_view,
        name="ministry_school",
    ),
    path(
        "ministry/provinces/<str:code>/own/",
        ministry.province_own_view,
        name="ministry_province_own",
    ),
    path(
        "ministry/provinces/<str:code>/export/",
        ministry.province_export_view,
        name="ministry_province_export",
    ),
    path("ministry/admins/", ministry.admins, name="admins"),
    path("ministry/admins/<int:pk>/reset/", ministry.admin_reset, name="admin_reset"),
    path("ministry/admins/<int:pk>/active/", ministry.admin_active, name="admin_active"),
]
