"""API endpoints beyond the generic resources: coverage, registration, check-in, consultations'
workflow, the enterprises-served count. Same permission rules as the pages."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.urls import path
from rest_framework.decorators import api_view
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.response import Response

from xiake.core.roles import Role, is_bureau, role_of
from xiake.liaison.models import (
    Consultation,
    EnterpriseProfile,
    Event,
    FundingApplication,
    Registration,
    Task,
)
from xiake.liaison.models.docking import coverage
from xiake.liaison.models.events import EventFull, enterprises_served
from xiake.liaison.models.funding import eligibility_hints
from xiake.liaison.views import _date, _int, act, may_check_in, my_registration, register_for


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


@api_view(["POST"])
def register_api(request, pk):
    """Register the calling user for an event; 409 when full or closed."""
    if not request.user.is_authenticated:
        raise NotAuthenticated
    event = get_object_or_404(Event.objects.restrict(request.user, "view"), pk=pk)
    if role_of(request.user) not in (Role.ENTERPRISE, Role.UNIVERSITY, Role.MANAGER):
        raise PermissionDenied
    if my_registration(request.user, event):
        return Response({"detail": "Registered already."}, status=409)
    try:
        reg = register_for(request.user, event, request.data.get("attendee_name", ""))
    except EventFull as exc:
        return Response({"detail": exc.messages[0]}, status=409)
    return Response({"id": reg.pk, "token": str(reg.token)}, status=201)


@api_view(["POST"])
def checkin_api(request, token):
    """Check a registration in by the token its QR code carries."""
    if not request.user.is_authenticated:
        raise NotAuthenticated
    reg = get_object_or_404(Registration.objects.select_related("event"), token=token)
    if not may_check_in(request.user, reg):
        raise PermissionDenied
    first = reg.check_in()
    return Response({"id": reg.pk, "checked_in_at": reg.checked_in_at, "first": first})


@api_view(["GET"])
def served_api(request):
    """Distinct enterprises that attended events starting between ``from`` and ``to``."""
    if not is_bureau(request.user):
        raise PermissionDenied
    start, end = _date(request.query_params.get("from")), _date(request.query_params.get("to"))
    return Response(
        {
            "from": start,
            "to": end,
            "enterprises_served": enterprises_served(start, end),
            "enterprises_registered": enterprises_served(start, end, attended_only=False),
        }
    )


@api_view(["POST"])
def consultation_act_api(request, pk):
    """route (officer), answer (answer) or close (satisfaction 1–5); 409 with the reason if not."""
    if not request.user.is_authenticated:
        raise NotAuthenticated
    c = get_object_or_404(Consultation.objects.restrict(request.user, "view"), pk=pk)
    try:
        act(c, request.user, request.data)
    except DjangoValidationError as exc:
        return Response({"detail": " ".join(exc.messages)}, status=409)
    return Response({"id": c.pk, "status": c.status, "due_on": c.due_on})


@api_view(["POST"])
def application_act_api(request, pk):
    """submit (applicant) · accept, return, approve (amount), reject (bureau; comment); 409 if not."""
    if not request.user.is_authenticated:
        raise NotAuthenticated
    app = get_object_or_404(FundingApplication.objects.restrict(request.user, "view"), pk=pk)
    try:
        app.act(
            request.user,
            request.data.get("action", ""),
            request.data.get("comment", ""),
            request.data.get("amount"),
        )
    except DjangoValidationError as exc:
        return Response({"detail": " ".join(exc.messages)}, status=409)
    return Response({"id": app.pk, "status": app.status, "amount_granted": app.amount_granted})


@api_view(["GET"])
def eligibility_api(request, pk):
    """The policies and programmes an enterprise profile fits, rule by rule."""
    profile = get_object_or_404(EnterpriseProfile.objects.restrict(request.user, "view"), pk=pk)
    return Response(
        {
            "profile": profile.pk,
            "results": [
                {
                    "target": str(h["target"]),
                    "kind": h["target"]._meta.model_name,
                    "id": h["target"].pk,
                    "fits": h["fits"],
                    "checks": [
                        {
                            "rule": c["rule"].name,
                            "met": c["met"],
                            "actual": c["actual"],
                            "hint": "" if c["met"] else c["rule"].hint,
                        }
                        for c in h["checks"]
                    ],
                }
                for h in eligibility_hints(profile)
            ],
        }
    )


urlpatterns = [
    path("applications/<int:pk>/act/", application_act_api, name="api-liaison-application-act"),
    path("profiles/<int:pk>/eligibility/", eligibility_api, name="api-liaison-eligibility"),
    path("consultations/<int:pk>/act/", consultation_act_api, name="api-liaison-consultation-act"),
    path("events/<int:pk>/register/", register_api, name="api-liaison-register"),
    path("checkin/<uuid:token>/", checkin_api, name="api-liaison-checkin"),
    path("events/served/", served_api, name="api-liaison-served"),
    path("tasks/overdue/", overdue_tasks_api, name="api-liaison-overdue-tasks"),
    path("coverage/", coverage_api, name="api-liaison-coverage"),
]
