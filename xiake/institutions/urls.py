from django.urls import path

from xiake.core.urls import resource_urls
from xiake.institutions import (
    resources,  # noqa: F401  (registers the resources)
    views,
)

app_name = "institutions"
urlpatterns = [
    path("", views.my_reports, name="home"),
    path("overview/", views.overview, name="overview"),
    path("months/", views.month_overview, name="months"),
    path("tiering/", views.tiers, name="tiers"),
    path("registry/<int:pk>/dashboard/", views.dashboard, name="dashboard"),
    path("registry/<int:pk>/months/<str:month>/", views.report_month, name="report_month"),
    path(
        "registry/<int:pk>/months/<str:month>/template/",
        views.report_template,
        name="report_template",
    ),
    path("evaluation/", views.rounds, name="rounds"),
    path("evaluation/<int:pk>/", views.round_detail, name="round_detail"),
    path("evaluation/<int:pk>/sensitivity/", views.sensitivity, name="sensitivity"),
    path("evaluation/<int:pk>/summary.pdf", views.round_pdf, name="round_pdf"),
    path("evaluation/results/<int:pk>.pdf", views.result_pdf, name="result_pdf"),
    path("evaluation/results/<int:pk>.docx", views.result_docx, name="result_docx"),
    path("evaluation/assignments/<int:pk>/", views.score_assignment, name="score"),
    *resource_urls("institutions"),
]
