from django.urls import path

from xiake.ops import views

app_name = "ops"
urlpatterns = [
    path("lockouts/", views.LockoutListView.as_view(), name="lockouts"),
    path("lockouts/unlock/", views.UnlockView.as_view(), name="unlock"),
]
