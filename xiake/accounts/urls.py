from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from xiake.accounts import (
    mfa_views,
    resources,  # noqa: F401  (registers the resources)
    users,
    views,
)
from xiake.core.urls import resource_urls

app_name = "accounts"
urlpatterns = [
    path("login/", views.XiakeLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("profile/", views.ProfileView.as_view(), name="profile"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(
            template_name="accounts/password_change.html",
            success_url=reverse_lazy("accounts:password_change_done"),
        ),
        name="password_change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="accounts/password_change_done.html"
        ),
        name="password_change_done",
    ),
    path("mfa/", mfa_views.VerifyView.as_view(), name="mfa_verify"),
    path("mfa/setup/", mfa_views.SetupView.as_view(), name="mfa_setup"),
    path("mfa/backup-codes/", mfa_views.BackupCodesView.as_view(), name="mfa_backup_codes"),
    path("users/", users.UserListView.as_view(), name="user_list"),
    path("users/add/", users.UserCreateView.as_view(), name="user_add"),
    path("users/<int:pk>/", users.UserEditView.as_view(), name="user_edit"),
    *resource_urls("accounts"),
]
