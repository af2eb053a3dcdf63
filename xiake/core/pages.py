"""Platform pages that are not derived from a resource: home and the health probe."""

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from xiake.core.resources import registry

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
