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
]
