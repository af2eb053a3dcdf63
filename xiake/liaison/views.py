"""The liaison pages the generic views cannot express: coverage, meeting outcomes, registration and
check-in, consultations' workflow, the enterprises-served count and the compilation download."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import render
from django.views import View

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
