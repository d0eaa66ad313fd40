from django.contrib.auth import views as auth_views
from django.urls import path

from schools import views

app_name = "schools"

urlpatterns = [
    path("login/<str:role>/", views.login, name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/password/", views.password_change, name="password_change"),
    path("school/profile/", views.profile, name="profile"),
]
