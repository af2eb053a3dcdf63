from django.urls import path

from xiake.brokerage import resources as _resources  # noqa: F401  (registers the resources)
from xiake.brokerage import views
from xiake.core.urls import resource_urls

app_name = "brokerage"
urlpatterns = [
    path("cases/funnel/", views.FunnelView.as_view(), name="funnel"),
    path("cases/board/", views.BoardView.as_view(), name="board"),
    path("cases/workload/", views.WorkloadView.as_view(), name="workload"),
    path("cases/<int:pk>/meetings/", views.CaseMeetingAddView.as_view(), name="case_meeting_add"),
    path("cases/open/<int:demand_pk>/", views.OpenCaseView.as_view(), name="case_open"),
    path("cases/<int:pk>/contract/", views.CaseContractView.as_view(), name="case_contract"),
    path("cases/<int:pk>/act/", views.CaseActionView.as_view(), name="case_act"),
    path("subscriptions/", views.SubscriptionsView.as_view(), name="subscriptions"),
    path("notifications/", views.NotificationListView.as_view(), name="notifications"),
    *resource_urls("brokerage"),
]
