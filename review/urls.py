from django.urls import path

from review.views import ministry, province, reporting

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
    path("province/schools/<str:code>/review/", province.review, name="review"),
    path("province/own/", province.own, name="own"),
    path("province/export/", province.export, name="export"),
    path("province/reporting/", reporting.province_index, name="reporting_province"),
    path(
        "province/reporting/<int:year_id>/",
        reporting.province_year,
        name="reporting_province_year",
    ),
    path(
        "province/reporting/<int:year_id>/deadline/",
        reporting.province_deadline,
        name="reporting_province_deadline",
    ),
    path(
        "province/reporting/<int:year_id>/summary/",
        reporting.province_summary,
        name="reporting_province_summary",
    ),
    path(
        "province/reporting/<int:year_id>/schools/<str:code>/",
        reporting.province_report,
        name="reporting_province_report",
    ),
    path(
        "province/reporting/<int:year_id>/schools/<str:code>/evaluate/",
        reporting.province_evaluate,
        name="reporting_province_evaluate",
    ),
    path(
        "province/reporting/<int:year_id>/schools/<str:code>/return/",
        reporting.province_return,
        name="reporting_province_return",
    ),
    path("ministry/reporting/", reporting.ministry_index, name="reporting_ministry"),
    path(
        "ministry/reporting/<int:year_id>/",
        reporting.ministry_year,
        name="reporting_ministry_year",
    ),
    path(
        "ministry/reporting/<int:year_id>/export/",
        reporting.ministry_export,
        name="reporting_ministry_export",
    ),
    path(
        "ministry/reporting/<int:year_id>/rows-export/",
        reporting.ministry_rows_export,
        name="reporting_ministry_rows_export",
    ),
    path(
        "ministry/reporting/<int:year_id>/schools/<str:code>/",
        reporting.ministry_report,
        name="reporting_ministry_report",
    ),
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
