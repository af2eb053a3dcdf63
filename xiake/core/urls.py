"""URL patterns derived from registered resources: ``<app>:<model>_<action>``."""

from django.urls import path

from xiake.core import attachments, audit, pages, views
from xiake.core.resources import resources_of

app_name = "core"
urlpatterns = [
    path("", pages.home, name="home"),
    path("audit/", audit.AuditLogView.as_view(), name="changerecord_list"),
    path("health/", pages.health, name="health"),
]

ACTIONS = (
    ("", views.ObjectListView, "list"),
    ("add/", views.ObjectEditView, "add"),
    ("import/", views.ObjectImportView, "import"),
    ("import/template/", views.ImportTemplateView, "import_template"),
    ("import/<int:job>/errors/", views.ImportErrorReportView, "import_errors"),
    ("<int:pk>/", views.ObjectDetailView, "detail"),
    ("<int:pk>/edit/", views.ObjectEditView, "edit"),
    ("<int:pk>/delete/", views.ObjectDeleteView, "delete"),
    ("<int:pk>/review/", views.ObjectReviewView, "review"),
    ("<int:pk>/history/", views.ObjectHistoryView, "history"),
    ("<int:pk>/attachments/", attachments.AttachmentUploadView, "attachment_add"),
    ("<int:pk>/attachments/<int:attachment>/", attachments.AttachmentDownloadView, "attachment"),
    (
        "<int:pk>/attachments/<int:attachment>/delete/",
        attachments.AttachmentDeleteView,
        "attachment_delete",
    ),
)


def resource_urls(app_label: str) -> list:
    patterns = []
    for resource in resources_of(app_label):
        prefix = getattr(resource, "url_prefix", None) or f"{resource.model_name}s/"
        for suffix, view_class, action in ACTIONS:
            if action == "review" and not resource.is_reviewed:
                continue
            view = view_class.as_view(resource=resource)
            patterns.append(path(prefix + suffix, view, name=f"{resource.model_name}_{action}"))
    return patterns


urlpatterns += resource_urls("core")  # the holiday calendar (xiake.core.calendar)
