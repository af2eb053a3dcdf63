"""API endpoints beyond the generic resources: coverage, registration, check-in, consultations'
workflow, the enterprises-served count. Same permission rules as the pages."""

from django.urls import path
from rest_framework.decorators import api_view
from rest_framework.response import Response

from xiake.liaison.models.docking import coverage
from xiake.liaison.views import _int


@api_view(["GET"])
def coverage_api(request):
    """Active assignments with their last contact; ``stale`` when none in ``months`` months."""
    months = _int(request.query_params.get("months"), 3, 1, 36)
    rows, cutoff = coverage(request.user, months)
    return Response(
        {
            "months": months,
            "cutoff": cutoff,
            "results": [
                {
                    "assignment": a.pk,
                    "subject": a.subject,
                    "responsible": a.responsible,
                    "last_contact": a.last_contact,
                    "stale": a.stale,
                }
                for a in rows
            ],
        }
    )


urlpatterns = [
    path("coverage/", coverage_api, name="api-liaison-coverage"),
]
