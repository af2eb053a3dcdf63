from django.urls import path

from xiake.core.urls import resource_urls
from xiake.liaison import (
    resources,  # noqa: F401  (registers the resources)
    views,
)

app_name = "liaison"
urlpatterns = [
    path("coverage/", views.CoverageView.as_view(), name="coverage"),
    *resource_urls("liaison"),
]
