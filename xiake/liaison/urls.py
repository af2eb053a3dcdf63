from django.urls import path

from xiake.core.resources import resource_for
from xiake.core.urls import resource_urls
from xiake.liaison import models, views
from xiake.liaison import resources as _resources  # noqa: F401  (registers the resources)

app_name = "liaison"
urlpatterns = [
    path("coverage/", views.CoverageView.as_view(), name="coverage"),
    path("tasks/overdue/", views.OverdueTasksView.as_view(), name="task_overdue"),
    path("events/served/", views.ServedView.as_view(), name="served"),
    path("events/<int:pk>/register/", views.RegisterView.as_view(), name="event_register"),
    path(
        "consultations/<int:pk>/act/", views.ConsultationActView.as_view(), name="consultation_act"
    ),
    path("checkin/<uuid:token>/", views.CheckInView.as_view(), name="checkin"),
    path(
        "registrations/<int:pk>/qr.svg", views.RegistrationQRView.as_view(), name="registration_qr"
    ),
    path(
        "compilations/<int:pk>/build-status/",
        views.CompilationStatusView.as_view(),
        name="compilation_status",
    ),
    path(
        "compilations/<int:pk>/download/<str:fmt>/",
        views.CompilationDownloadView.as_view(),
        name="compilation_download",
    ),
    path("applications/<int:pk>/act/", views.ApplicationActView.as_view(), name="application_act"),
    path(
        "registrations/<int:pk>/feedback/",
        views.FeedbackView.as_view(),
        name="registration_feedback",
    ),
]
# The meeting's page is the generic detail page plus what became of each decision.
_custom_detail = {
    "jointmeeting_detail": (views.MeetingDetailView, models.JointMeeting),
    "event_detail": (views.EventDetailView, models.Event),
    "consultation_detail": (views.ConsultationDetailView, models.Consultation),
    "compilationjob_detail": (views.CompilationDetailView, models.CompilationJob),
    "fundingapplication_detail": (views.ApplicationDetailView, models.FundingApplication),
    "enterpriseprofile_detail": (views.ProfileDetailView, models.EnterpriseProfile),
}
for pattern in resource_urls("liaison"):
    if pattern.name in _custom_detail:
        view_class, model = _custom_detail[pattern.name]
        resource = resource_for(model)
        pattern = path(
            str(pattern.pattern), view_class.as_view(resource=resource), name=pattern.name
        )
    urlpatterns.append(pattern)
