"""API endpoints beyond the generic resources: coverage, registration, check-in, consultations'
workflow, the enterprises-served count. Same permission rules as the pages."""

from django.urls import path
from rest_framework.decorators import api_view
from rest_framework.response import Response

from xiake.liaison.models import Task
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


@api_view(["GET"])
def overdue_tasks_api(request):
    """Open meeting tasks past their due date that the user may see."""
    tasks = (
        Task.objects.restrict(request.user, "view")
        .overdue()
        .select_related("decision__meeting", "owner_org")
        .order_by("due_on")
    )
    return Response(
        {
            "count": len(tasks),
            "results": [
                {
                    "id": t.pk,
                    "title": t.title,
                    "meeting": t.decision.meeting_id,
                    "decision": t.decision_id,
                    "owner_org": t.owner_org_id,
                    "owner_name": t.owner_name,
                    "due_on": t.due_on,
                    "status": t.status,
                }
                for t in tasks
            ],
        }
    )


urlpatterns = [
    path("tasks/overdue/", overdue_tasks_api, name="api-liaison-overdue-tasks"),
    path("coverage/", coverage_api, name="api-liaison-coverage"),
]
