from django.urls import path

from tasks import notice_views, views

app_name = "tasks"

urlpatterns = [
    path("catalogue/", views.catalogue, name="catalogue"),
    path("notices/", notice_views.notices, name="notices"),
    path("notices/<int:pk>/", notice_views.notice_open, name="notice_open"),
    path("notices/read-all/", notice_views.notices_read_all, name="notices_read_all"),
    path("notices/settings/", notice_views.mail_settings, name="mail_settings"),
    path("school/commitments/", views.commitments, name="commitments"),
    path("school/commitments/withdraw/", views.withdraw, name="withdraw"),
    path("school/commitments/export/", views.export, name="export"),
    path("school/returned/", views.returned, name="returned"),
    path("school/changes/", views.changes, name="changes"),
    path("school/extension/", views.extension, name="extension"),
    path("school/province-contacts/", views.province_contacts, name="province_contacts"),
    path("school/reporting/", views.reporting, name="reporting"),
    path("school/reporting/<int:year_id>/", views.report, name="report"),
    path("files/annual/<int:report_id>/", views.annual_report_file, name="annual_file"),
    path("files/evidence/<int:file_id>/", views.evidence_file, name="evidence_file"),
    path("files/summary/<int:file_id>/", views.summary_file, name="summary_file"),
]
