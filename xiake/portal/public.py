"""The public portal: a front door without login. A search box across the published libraries,
the latest achievements and public demands, the coming public events.

Everything is read as the visitor may see it (``restrict(request.user, "view")``: published
records, no confidential demand, masked contact details), through each library's own filter set
so that a search here finds what the library's list finds for the same words. Anonymous answers
are kept in the shared cache like the list pages (``core.pagecache``): the key carries the
generation of every library shown, so any change to one of them is visible at the next request.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from xiake.core import pagecache
from xiake.core.resources import registry

#: The libraries the search box covers, in the order results are shown.
SEARCHED = ("catalog.achievement", "catalog.demand", "catalog.expert", "catalog.platform")
PER_LIBRARY = 5
LATEST = 6
MAX_QUERY = 100


def _resources(keys):
    found = registry()
    return [found[k] for k in keys if k in found]


def _models():
    from xiake.liaison.models import Event

    return [r.model for r in _resources(SEARCHED)] + [Event]


def _cached(request, template: str, build) -> HttpResponse:
    """Render ``template`` with ``build()``; anonymous answers come from / go to the cache."""
    if not pagecache.cacheable(request):
        return HttpResponse(render_to_string(template, build(), request))
    generations = ".".join(str(pagecache.generation(m)) for m in _models())
    key = pagecache.response_key(_models()[0], request, f"portal:{generations}")
    html = pagecache.get(key)
    if html is None:
        context = {**build(), "csrf_token": pagecache.CSRF_MARKER}
        html = render_to_string(template, context, request)
        pagecache.put(key, html)
    return HttpResponse(pagecache.with_csrf_token(request, html))


def _search(user, q: str) -> list[dict]:
    results = []
    for resource in _resources(SEARCHED):
        filterset = resource.filterset_class({"q": q}, queryset=resource.queryset(user))
        qs = filterset.qs
        results.append(
            {
                "resource": resource,
                "count": qs.count(),
                "items": list(qs.order_by("-pk")[:PER_LIBRARY]),
                "list_url": _list_url(resource, q),
            }
        )
    return results


def _list_url(resource, q: str) -> str | None:
    from django.urls import NoReverseMatch, reverse
    from django.utils.http import urlencode

    try:
        return f"{reverse(resource.url_name('list'))}?{urlencode({'q': q})}"
    except NoReverseMatch:
        return None


def home(request):
    """The portal's home page: search box, latest achievements and demands, coming events."""

    def build():
        from xiake.catalog.models import Achievement, Demand
        from xiake.liaison.models import Event

        user = request.user
        return {
            "achievements": Achievement.objects.restrict(user, "view")
            .filter(status="published")
            .select_related("owner_org")
            .order_by("-pk")[:LATEST],
            "demands": Demand.objects.restrict(user, "view")
            .filter(status="published")
            .select_related("owner_org")
            .order_by("-pk")[:LATEST],
            "events": Event.objects.restrict(user, "view")
            .filter(starts_at__gte=timezone.now())
            .order_by("starts_at")[:LATEST],
            "libraries": _resources(SEARCHED),
        }

    return _cached(request, "portal/public_home.html", build)


def search(request):
    """Results of the search box: the first matches of every library, with a link to the
    library's list filtered by the same words."""
    q = " ".join(request.GET.get("q", "").split())[:MAX_QUERY]

    def build():
        return {
            "q": q,
            "results": _search(request.user, q) if q else [],
            "hint": "" if q else _("Type a few words, e.g. 焊接 or 锂电池."),
            "libraries": _resources(SEARCHED),
        }

    return _cached(request, "portal/public_search.html", build)
