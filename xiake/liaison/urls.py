from django.urls import path

from xiake.core.resources import resource_for
from xiake.core.urls import resource_urls
from xiake.liaison import models, views
from xiake.liaison import resources as _resources  # noqa: F401  (registers the resources)

app_name = "liaison"
urlpatterns = [
    path("coverage/", views.CoverageView.as_view(), name="coverage"),
    path("tasks/overdue/", views.OverdueTasksView.as_view(), name="task_overdue"),
]
# The meeting's page is the generic detail page plus what became of each decision.
_custom_detail = {"jointmeeting_detail": views.MeetingDetailView}
for pattern in resource_urls("liaison"):
    view_class = _custom_detail.get(pattern.name)
    if view_class is not None:
        resource = resource_for(models.JointMeeting)
        pattern = path(
            str(pattern.pattern), view_class.as_view(resource=resource), name=pattern.name
        )
    urlpatterns.append(pattern)
