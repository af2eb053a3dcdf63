"""The liaison pages the generic views cannot express: coverage, meeting outcomes, registration and
check-in, consultations' workflow, the enterprises-served count and the compilation download."""

import datetime as dt
import io

import segno
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from xiake.core.changelog import record_event
from xiake.core.documents import download
from xiake.core.models import ChangeAction
from xiake.core.roles import Role, is_bureau, organization_id_of, role_of
from xiake.core.views import ObjectDetailView
from xiake.liaison.models import (
    CompilationJob,
    Consultation,
    Decision,
    Event,
    FundingApplication,
    Registration,
    Task,
)
from xiake.liaison.models.docking import coverage
from xiake.liaison.models.events import EventFull, enterprises_served
from xiake.liaison.models.funding import eligibility_hints


def _int(value, default, low, high):
    try:
        return max(low, min(high, int(value)))
    except (TypeError, ValueError):
        return default


class CoverageView(LoginRequiredMixin, View):
    """Assignments with their last contact; those without one in N months come first."""

    def get(self, request):
        months = _int(request.GET.get("months"), 3, 1, 36)
        rows, cutoff = coverage(request.user, months)
        return render(
            request,
            "liaison/coverage.html",
            {
                "rows": rows,
                "months": months,
                "cutoff": cutoff,
                "stale": sum(1 for r in rows if r.stale),
            },
        )


class MeetingDetailView(ObjectDetailView):
    """The generic detail page of a joint meeting, plus what became of each decision."""

    template_name = "liaison/meeting_detail.html"

    def related(self, obj):
        return []

    def get(self, request, pk):
        decisions = Decision.objects.restrict(request.user, "view").filter(meeting_id=pk)
        tasks = Task.objects.restrict(request.user, "view").select_related("owner_org")
        obj = self.get_object(pk)
        rows = []
        for d in decisions.prefetch_related(Prefetch("tasks", queryset=tasks)):
            rows.append((d, list(d.tasks.all())))
        return render(
            request,
            self.template_name,
            self.context(object=obj, decisions=rows, **self.base_context(request, obj)),
        )

    def base_context(self, request, obj):
        policy = self.resource.policy()
        resource = self.resource
        fields = [(resource.field(n), getattr(obj, n)) for n in resource.detail_field_names]
        return {
            "fields": fields,
            "can_change": policy.can(request.user, obj, "change"),
            "can_delete": policy.can(request.user, obj, "delete"),
            "can_add_decision": Decision.policy.can_create(request.user),
            "attachments": obj.attachments.all(),
            "today": timezone.localdate(),
        }


class OverdueTasksView(LoginRequiredMixin, View):
    """Open tasks past their due date that the user may see, the longest overdue first."""

    def get(self, request):
        tasks = (
            Task.objects.restrict(request.user, "view")
            .overdue()
            .select_related("decision__meeting", "owner_org")
            .order_by("due_on")
        )
        return render(
            request, "liaison/task_overdue.html", {"tasks": tasks, "today": timezone.localdate()}
        )


# -- events ----------------------------------------------------------------------------------------


def my_registration(user, event):
    if not user.is_authenticated:
        return None
    return Registration.objects.filter(event=event, user=user).first()


def register_for(user, event, attendee_name="", phone=""):
    """Register ``user`` (for their enterprise, or as an expert) — capacity-safe, once per user."""
    kind = (
        Registration.Kind.ENTERPRISE
        if role_of(user) == Role.ENTERPRISE
        else Registration.Kind.EXPERT
    )
    reg = Registration(
        event=event,
        user=user,
        kind=kind,
        enterprise_id=user.organization_id if kind == Registration.Kind.ENTERPRISE else None,
        attendee_name=(attendee_name or getattr(user, "display_name", "") or user.username)[:60],
        phone=phone[:40],
        created_by=user,
    )
    reg.save()
    return reg


def may_check_in(user, reg) -> bool:
    """The bureau, the organiser's members, or the registrant during the event's day."""
    if is_bureau(user):
        return True
    org_id = organization_id_of(user)
    if org_id and org_id == reg.event.owner_org_id:
        return True
    if user.is_authenticated and reg.user_id == user.pk:
        now = timezone.now()
        return reg.event.starts_at - dt.timedelta(hours=2) <= now <= reg.event.ends_at
    return False


class EventDetailView(ObjectDetailView):
    """The generic event page plus places left, the user's registration and its QR code."""

    template_name = "liaison/event_detail.html"

    def get(self, request, pk):
        self.extra = {}
        event = self.get_object(pk)
        self.extra = {
            "registration": my_registration(request.user, event),
            "can_register": request.user.is_authenticated
            and role_of(request.user) in (Role.ENTERPRISE, Role.UNIVERSITY, Role.MANAGER),
        }
        return super().get(request, pk)

    def context(self, **extra):
        return super().context(**extra, **getattr(self, "extra", {}))


class RegisterView(LoginRequiredMixin, View):
    def post(self, request, pk):
        event = get_object_or_404(Event.objects.restrict(request.user, "view"), pk=pk)
        if role_of(request.user) not in (Role.ENTERPRISE, Role.UNIVERSITY, Role.MANAGER):
            raise PermissionDenied
        if my_registration(request.user, event):
            messages.info(request, _("You have registered already."))
            return redirect(event.get_absolute_url())
        try:
            register_for(
                request.user,
                event,
                request.POST.get("attendee_name", ""),
                request.POST.get("phone", ""),
            )
        except EventFull as exc:
            messages.error(request, exc.messages[0])
            return redirect(event.get_absolute_url())
        messages.success(request, _("Registered. Show the QR code at the entrance."))
        return redirect(event.get_absolute_url())


class RegistrationQRView(View):
    """The check-in QR code (SVG) of a registration the user may see."""

    def get(self, request, pk):
        reg = get_object_or_404(Registration.objects.restrict(request.user, "view"), pk=pk)
        url = request.build_absolute_uri(reverse("liaison:checkin", args=[reg.token]))
        buffer = io.BytesIO()
        segno.make(url, error="m").save(buffer, kind="svg", scale=4, title=str(reg.event))
        return HttpResponse(buffer.getvalue(), content_type="image/svg+xml")


class CheckInView(LoginRequiredMixin, View):
    """What the QR code opens: the registration, and a button to check in."""

    def get_registration(self, token):
        reg = get_object_or_404(Registration.objects.select_related("event"), token=token)
        if not may_check_in(self.request.user, reg):
            raise PermissionDenied
        return reg

    def get(self, request, token):
        reg = self.get_registration(token)
        return render(request, "liaison/checkin.html", {"reg": reg})

    def post(self, request, token):
        reg = self.get_registration(token)
        if reg.check_in():
            record_event(ChangeAction.UPDATE, comment="check-in", obj=reg)
            messages.success(request, _("Checked in."))
        else:
            messages.info(request, _("Already checked in."))
        return render(request, "liaison/checkin.html", {"reg": reg})


class FeedbackView(LoginRequiredMixin, View):
    """The attendee rates the event after checking in."""

    def post(self, request, pk):
        reg = get_object_or_404(
            Registration.objects.restrict(request.user, "view"), pk=pk, user=request.user
        )
        if reg.checked_in_at is None:
            raise PermissionDenied
        rating = _int(request.POST.get("rating"), 0, 0, 5)
        if not rating:
            messages.error(request, _("Choose a rating from 1 to 5."))
        else:
            reg.rating, reg.feedback = rating, request.POST.get("feedback", "")[:2000]
            reg.save()
            messages.success(request, _("Thank you for your feedback."))
        return redirect(reg.event.get_absolute_url())


def _date(value):
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


class ServedView(LoginRequiredMixin, View):
    """Distinct enterprises served by events in a period (the figure the bureau reports)."""

    def get(self, request):
        if not is_bureau(request.user):
            raise PermissionDenied
        start, end = _date(request.GET.get("from")), _date(request.GET.get("to"))
        by_type = [
            (label, enterprises_served(start, end, event_type=value))
            for value, label in Event.Type.choices
        ]
        return render(
            request,
            "liaison/served.html",
            {
                "start": start,
                "end": end,
                "served": enterprises_served(start, end),
                "registered": enterprises_served(start, end, attended_only=False),
                "by_type": by_type,
            },
        )


# -- consultations ---------------------------------------------------------------------------------


class ConsultationDetailView(ObjectDetailView):
    template_name = "liaison/consultation_detail.html"

    def context(self, **extra):
        from django.contrib.auth import get_user_model

        ctx = super().context(**extra)
        if is_bureau(self.request.user):
            ctx["officers"] = get_user_model().objects.filter(role=Role.BUREAU, is_active=True)
        return ctx


class ConsultationActView(LoginRequiredMixin, View):
    """POST action=route|answer|close (with officer, answer or satisfaction)."""

    def post(self, request, pk):
        c = get_object_or_404(Consultation.objects.restrict(request.user, "view"), pk=pk)
        try:
            act(c, request.user, request.POST)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Saved “%(obj)s”.") % {"obj": c})
        return redirect(c.get_absolute_url())


def act(c, user, data):
    """One workflow step on a consultation; raises ValidationError saying why not."""
    from django.contrib.auth import get_user_model

    action = data.get("action")
    if action == "route":
        officer = get_user_model().objects.filter(pk=_int(data.get("officer"), 0, 0, 10**9)).first()
        c.route(user, officer or user)
    elif action == "answer":
        c.respond(user, data.get("answer", ""))
    elif action == "close":
        rating = data.get("satisfaction")
        c.close(user, _int(rating, 0, 0, 99) if rating not in (None, "") else None)
    else:
        raise ValidationError(_("Unknown action."))


# -- compilations ----------------------------------------------------------------------------------


class CompilationDetailView(ObjectDetailView):
    """The job's page: its scope, and a status block the page polls (htmx) while it builds."""

    template_name = "liaison/compilation_detail.html"


class CompilationStatusView(LoginRequiredMixin, View):
    """The status block alone, for htmx polling; it stops polling once the build is over."""

    def get(self, request, pk):
        job = get_object_or_404(CompilationJob.objects.restrict(request.user, "view"), pk=pk)
        return render(request, "liaison/_compilation_status.html", {"job": job})


class CompilationDownloadView(LoginRequiredMixin, View):
    """The PDF or DOCX of a finished compilation the user may see (404 otherwise)."""

    TYPES = {
        "pdf": ("pdf_file", "application/pdf"),
        "docx": (
            "docx_file",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
    }

    def get(self, request, pk, fmt):
        job = get_object_or_404(CompilationJob.objects.restrict(request.user, "view"), pk=pk)
        if fmt not in self.TYPES:
            raise Http404
        field, content_type = self.TYPES[fmt]
        return download(job, field, f"{job.title}.{fmt}", content_type, f"compilation {fmt}")


# -- funding applications and eligibility ----------------------------------------------------------


class ApplicationDetailView(ObjectDetailView):
    """The application's page plus the workflow steps the user may take."""

    template_name = "liaison/application_detail.html"

    def context(self, **extra):
        ctx = super().context(**extra)
        obj = ctx.get("object")
        ctx["actions"] = obj.actions_for(self.request.user) if obj is not None else []
        return ctx


class ApplicationActView(LoginRequiredMixin, View):
    """POST action=submit|accept|return|approve|reject (with comment, amount)."""

    def post(self, request, pk):
        app = get_object_or_404(FundingApplication.objects.restrict(request.user, "view"), pk=pk)
        try:
            app.act(
                request.user,
                request.POST.get("action", ""),
                request.POST.get("comment", ""),
                request.POST.get("amount"),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Saved “%(obj)s”.") % {"obj": app})
        return redirect(app.get_absolute_url())


class ProfileDetailView(ObjectDetailView):
    """The enterprise profile plus the policies and programmes its figures fit (rules as data)."""

    template_name = "liaison/profile_detail.html"

    def context(self, **extra):
        ctx = super().context(**extra)
        obj = ctx.get("object")
        ctx["hints"] = eligibility_hints(obj) if obj is not None else []
        return ctx
