"""The liaison pages the generic views cannot express: coverage, meeting outcomes, registration and
check-in, consultations' workflow, the enterprises-served count and the compilation download."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Prefetch
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from xiake.core.views import ObjectDetailView
from xiake.liaison.models import Decision, Task
from xiake.liaison.models.docking import coverage


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
