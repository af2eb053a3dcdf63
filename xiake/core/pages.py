"""Platform pages that are not derived from a resource: home and the audit trail."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views import View

from xiake.core.models import ChangeAction, ChangeRecord
from xiake.core.resources import registry
from xiake.core.roles import is_bureau

HOME_LIBRARIES = (
    "catalog.achievement",
    "catalog.demand",
    "catalog.expert",
    "catalog.platform",
    "catalog.agency",
    "catalog.transferstaff",
    "catalog.university",
)


def health(request):
    """A bare view: the baseline of the benchmarks and the load balancer's liveness probe."""
    return HttpResponse("ok", content_type="text/plain")


def home(request):
    resources = registry()
    stats = []
    for key in HOME_LIBRARIES:
        resource = resources.get(key)
        if resource is None:
            continue
        try:
            url = reverse(resource.url_name("list"))
        except NoReverseMatch:
            continue
        count = resource.model.objects.restrict(request.user, "view").count()
        stats.append(
            {
                "label": resource.verbose_name_plural,
                "value": count,
                "url": url,
                "icon": resource.icon,
            }
        )
    return render(request, "core/home.html", {"stats": stats})


class ChangeRecordListView(LoginRequiredMixin, View):
    """The audit trail, searchable by actor, action and object; bureau only."""

    def get(self, request):
        if not is_bureau(request.user):
            raise PermissionDenied
        qs = ChangeRecord.objects.select_related("content_type")
        action = request.GET.get("action", "")
        if action in ChangeAction.values:
            qs = qs.filter(action=action)
        q = request.GET.get("q", "").strip()[:100]
        if q:
            qs = qs.filter(
                Q(actor_name__icontains=q)
                | Q(object_repr__icontains=q)
                | Q(comment__icontains=q)
                | Q(request_id=q)
            )
        page_obj = Paginator(qs, 50).get_page(request.GET.get("page"))
        return render(
            request,
            "core/changerecord_list.html",
            {
                "page_obj": page_obj,
                "actions": ChangeAction.choices,
                "action": action,
                "q": q,
            },
        )


# Retry-After of a 503: a PostgreSQL restart or failover takes seconds.
UNAVAILABLE_RETRY_SECONDS = 5


def server_error(request):
    """handler500. A database that cannot be reached (restarting, failing over, a SQLite file
    locked past the busy timeout) is a passing outage, not a bug: the client gets 503 with
    Retry-After, as a page or, under /api/, as JSON, rendered without touching the database.
    Everything else is Django's own 500 page. Either way the traceback only goes to the log."""
    import sys

    from django.db import InterfaceError, OperationalError
    from django.http import JsonResponse
    from django.template import loader
    from django.utils.translation import gettext as _
    from django.views import defaults

    if not isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        return defaults.server_error(request)
    text = _("The database is briefly unavailable. Please try again in a few seconds.")
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": text}, status=503)
    else:
        page = loader.get_template("503.html").render({"text": text})
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(UNAVAILABLE_RETRY_SECONDS)
    return response
