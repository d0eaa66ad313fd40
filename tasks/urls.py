from django.urls import path

from tasks import views

app_name = "tasks"

urlpatterns = [
    path("catalogue/", views.catalogue, name="catalogue"),
    path("school/commitments/", views.commitments, name="commitments"),
    path("school/commitments/withdraw/", views.withdraw, name="withdraw"),
    path("school/commitments/export/", views.export, name="export"),
    path("school/returned/", views.returned, name="returned"),
    path("school/province-contacts/", views.province_contacts, name="province_contacts"),
]
