from django.urls import path

from xiake.dashboard import views

app_name = "dashboard"
urlpatterns = [
    path("", views.index, name="index"),
    path("export.xlsx", views.export, name="export"),
    path("brief.docx", views.brief, name="brief"),
    path("drill/<slug:key>/", views.drill, name="drill"),
]
