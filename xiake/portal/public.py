"""The public portal: a front door without login. A search box across the published libraries,
the latest achievements and public demands, the events calendar, the policy library and the
bureau's news.

Everything is read as the visitor may see it (``restrict(request.user, "view")``: published
records, no confidential demand, masked contact details), through each library's own filter set
so that a search here finds what the library's list finds for the same words. Anonymous answers
are kept in the shared cache like the list pages (``core.pagecache``): the key carries the
generation of every library shown, so any change to one of them is visible at the next request.
"""

from __future__ import annotations

import datetime as dt

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
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
    from xiake.liaison.models import Event, Registration
    from xiake.portal.models import NewsItem

    # Registrations change an event's places left without saving the event (one UPDATE).
    return [r.model for r in _resources(SEARCHED)] + [Event, Registration, NewsItem]


def _event_models():
    from xiake.liaison.models import Event, Registration

    return [Event, Registration]


def _policy_models():
    from xiake.liaison.models import PolicyClause, PolicyDocument

    return [PolicyDocument, PolicyClause]


def _news_models():
    from xiake.portal.models import NewsItem

    return [NewsItem]


def _cached(request, template: str, build, models=None) -> HttpResponse:
    """Render ``template`` with ``build()``; anonymous answers come from / go to the cache, keyed
    by the generation of every model in ``models`` (any change to one of them shows at once)."""
    if not pagecache.cacheable(request):
        return HttpResponse(render_to_string(template, build(), request))
    models = models or _models()
    generations = ".".join(str(pagecache.generation(m)) for m in models)
    key = pagecache.response_key(models[0], request, f"portal:{generations}")
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
        from xiake.portal.models import NewsItem

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
            "news": NewsItem.objects.restrict(user, "view").order_by("-news_date", "-id")[:LATEST],
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


# -- events calendar -------------------------------------------------------------------------------

MONTHS_SHOWN = 200  # events on one calendar page at most


def _month(value: str) -> dt.date | None:
    try:
        year, month = (int(p) for p in value.split("-"))
        return dt.date(year, month, 1)
    except (ValueError, AttributeError):
        return None


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def events(request):
    """The events calendar: coming public events grouped by month, or one month (``?month=``)."""
    from xiake.liaison.models import Event

    month = _month(request.GET.get("month", ""))
    if request.GET.get("month") and month is None:
        raise Http404(_("Unknown month."))

    def build():
        visible = Event.objects.restrict(request.user, "view").select_related("owner_org")
        now = timezone.now()
        if month is not None:
            start = timezone.make_aware(dt.datetime.combine(month, dt.time.min))
            end = timezone.make_aware(dt.datetime.combine(_next_month(month), dt.time.min))
            qs = visible.filter(starts_at__gte=start, starts_at__lt=end)
        else:
            qs = visible.filter(ends_at__gte=now)
        rows = list(qs.order_by("starts_at")[:MONTHS_SHOWN])
        months: dict = {}
        for e in rows:
            local = timezone.localtime(e.starts_at)
            months.setdefault(dt.date(local.year, local.month, 1), []).append(e)
        upcoming_months = sorted(
            {
                dt.date(t.year, t.month, 1)
                for t in (
                    timezone.localtime(v)
                    for v in visible.filter(ends_at__gte=now).values_list("starts_at", flat=True)[
                        :MONTHS_SHOWN
                    ]
                )
            }
        )
        return {
            "months": sorted(months.items()),
            "month": month,
            "previous": (month.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
            if month
            else None,
            "next": _next_month(month) if month else None,
            "upcoming_months": upcoming_months,
            "now": now,
            "section": "events",
        }

    return _cached(request, "portal/events.html", build, _event_models())


# -- policy library --------------------------------------------------------------------------------

PAGE_SIZE = 20


def _page(request, qs, size=PAGE_SIZE):
    return Paginator(qs, size).get_page(request.GET.get("page"))


def policies(request):
    """Published policy documents, newest first, searchable with the library's own filter."""
    from xiake.liaison.models import PolicyDocument

    q = " ".join(request.GET.get("q", "").split())[:MAX_QUERY]

    def build():
        resource = registry()["liaison.policydocument"]
        qs = PolicyDocument.objects.restrict(request.user, "view")
        if q:
            qs = resource.filterset_class({"q": q}, queryset=qs).qs
        page = _page(request, qs.order_by("-issued_on", "title"))
        return {"q": q, "page_obj": page, "today": timezone.localdate(), "section": "policies"}

    return _cached(request, "portal/policies.html", build, _policy_models())


def policy(request, pk):
    """One published policy: its data, articles (or full text) and validity today."""
    from xiake.liaison.models import PolicyClause, PolicyDocument

    def build():
        doc = get_object_or_404(PolicyDocument.objects.restrict(request.user, "view"), pk=pk)
        clauses = PolicyClause.objects.restrict(request.user, "view").filter(document=doc)
        return {
            "doc": doc,
            "clauses": list(clauses),
            "today": timezone.localdate(),
            "section": "policies",
        }

    return _cached(request, "portal/policy.html", build, _policy_models())


# -- news ------------------------------------------------------------------------------------------

NEWS_PAGE_SIZE = 10


def news(request):
    """Published news and announcements, newest first; ``?kind=notice`` for announcements only."""
    from xiake.portal.models import NewsItem

    kind = request.GET.get("kind", "")
    if kind and kind not in NewsItem.Kind.values:
        raise Http404(_("Unknown kind of news."))

    def build():
        qs = NewsItem.objects.restrict(request.user, "view")
        if kind:
            qs = qs.filter(kind=kind)
        return {
            "page_obj": _page(request, qs.order_by("-news_date", "-id"), NEWS_PAGE_SIZE),
            "kind": kind,
            "kinds": NewsItem.Kind.choices,
            "section": "news",
        }

    return _cached(request, "portal/news.html", build, _news_models())


def news_item(request, pk):
    """One published news item or announcement."""
    from xiake.portal.models import NewsItem

    def build():
        item = get_object_or_404(NewsItem.objects.restrict(request.user, "view"), pk=pk)
        paragraphs = [p.strip() for p in item.body.split("\n") if p.strip()]
        return {"item": item, "paragraphs": paragraphs, "section": "news"}

    return _cached(request, "portal/news_item.html", build, _news_models())
