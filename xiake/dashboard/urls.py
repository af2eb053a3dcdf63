from django.urls import path

from xiake.dashboard import views

app_name = "dashboard"
urlpatterns = [
    path("", views.index, name="index"),
    path("export.xlsx", views.export, name="export"),
    path("briefs/", views.briefs, name="briefs"),
    path("briefs/<int:pk>/", views.brief_detail, name="brief_detail"),
    path("briefs/<int:pk>/status/", views.brief_status, name="brief_status"),
    path("briefs/<int:pk>/download/", views.brief_download, name="brief_download"),
    path("drill/<slug:key>/", views.drill, name="drill"),
]
