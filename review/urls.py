from django.urls import path

from review.views import audit, extensions, ministry, province, reporting
from tizhi.lib import converters  # noqa: F401  (registers <school_code> and <province_code>)

app_name = "review"

urlpatterns = [
    path("province/", province.home, name="province_home"),
    path("province/round/", province.round_settings, name="round_settings"),
    path("province/round/required/", province.requirement, name="requirement"),
    path(
        "province/round/required/remove/",
        province.remove_requirement,
        name="remove_requirement",
    ),
    path("province/accounts/", province.accounts, name="accounts"),
    path("province/accounts/add/", province.add_school, name="add_school"),
    path("province/accounts/import/", province.import_accounts, name="import_accounts"),
    path(
        "province/accounts/<school_code:code>/reset-password/",
        province.reset_password,
        name="reset_password",
    ),
    path("province/accounts/<school_code:code>/active/", province.set_active, name="set_active"),
    path("province/queue/", province.queue, name="queue"),
    path("province/by-item/", province.by_item, name="by_item"),
    path("province/schools/<school_code:code>/", province.school_review, name="school_review"),
    path("province/schools/<school_code:code>/review/", province.review, name="review"),
    path(
        "province/schools/<school_code:code>/changes/<int:pk>/",
        province.decide_change,
        name="decide_change",
    ),
    path("province/changes/", province.changes, name="changes"),
    path("province/own/", province.own, name="own"),
    path("province/extensions/", extensions.extensions, name="extensions"),
    path("province/extensions/<int:pk>/", extensions.extension, name="extension"),
    path(
        "province/extensions/grant/<school_code:code>/",
        extensions.extension_grant,
        name="extension_grant",
    ),
    path("province/audit/", audit.province_audit, name="province_audit"),
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
        "province/reporting/<int:year_id>/schools/<school_code:code>/",
        reporting.province_report,
        name="reporting_province_report",
    ),
    path(
        "province/reporting/<int:year_id>/schools/<school_code:code>/evaluate/",
        reporting.province_evaluate,
        name="reporting_province_evaluate",
    ),
    path(
        "province/reporting/<int:year_id>/schools/<school_code:code>/return/",
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
        "ministry/reporting/<int:year_id>/schools/<school_code:code>/",
        reporting.ministry_report,
        name="reporting_ministry_report",
    ),
    path("ministry/", ministry.home, name="ministry_home"),
    path("ministry/tables/provinces/", ministry.provinces_table_view, name="table_provinces"),
    path("ministry/tables/items/", ministry.items_table_view, name="table_items"),
    path("ministry/exports/", ministry.exports, name="exports"),
    path("ministry/exports/<int:pk>/", ministry.export_job, name="export_job"),
    path("ministry/exports/<int:pk>/download/", ministry.export_download, name="export_download"),
    path(
        "ministry/provinces/<province_code:code>/", ministry.province_view, name="ministry_province"
    ),
    path(
        "ministry/provinces/<province_code:code>/schools/<school_code:school>/",
        ministry.school_view,
        name="ministry_school",
    ),
    path(
        "ministry/provinces/<province_code:code>/own/",
        ministry.province_own_view,
        name="ministry_province_own",
    ),
    path(
        "ministry/provinces/<province_code:code>/export/",
        ministry.province_export_view,
        name="ministry_province_export",
    ),
    path("ministry/audit/", audit.ministry_audit, name="ministry_audit"),
    path("ministry/admins/", ministry.admins, name="admins"),
    path("ministry/admins/new/", ministry.admin_new, name="admin_new"),
    path("ministry/admins/<int:pk>/reset/", ministry.admin_reset, name="admin_reset"),
    path("ministry/admins/<int:pk>/active/", ministry.admin_active, name="admin_active"),
]
