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
