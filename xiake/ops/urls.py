from django.urls import path

from xiake.ops import views

app_name = "ops"
urlpatterns = [
    path("lockouts/", views.LockoutListView.as_view(), name="lockouts"),
    path("lockouts/unlock/", views.UnlockView.as_view(), name="unlock"),
    path("second-factors/", views.SecondFactorListView.as_view(), name="second_factors"),
    path(
        "second-factors/reset/", views.SecondFactorResetView.as_view(), name="second_factor_reset"
    ),
    path("security/", views.SecuritySettingsView.as_view(), name="security_settings"),
]
