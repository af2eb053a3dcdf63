"""The district dashboard (bureau only): headline figures for a period beside the previous period
and the same period last year, charts, drill-downs to the records behind each number, XLSX."""

from __future__ import annotations

import io
from collections import OrderedDict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from xiake.core.documents import download
from xiake.core.downloads import DOCX, PDF, XLSX, file_response
from xiake.core.exporter import export_response, neutralise
from xiake.core.resources import resource_for
from xiake.core.roles import is_bureau
from xiake.core.tables import Table
from xiake.dashboard import charts
from xiake.dashboard.figures import (
    BREAKDOWN_TITLES,
    BY_KEY,
    GROUPS,
    breakdowns,
    headline,
    value,
)
from xiake.dashboard.periods import PeriodError, choices, parse, year_to_date


def bureau_only(request):
    if not is_bureau(request.user):
        raise PermissionDenied


def period_of(request):
    """The period in ``?p=`` (this year so far when absent), or the reason it is not one."""
    # The picker sends its choice and the typed period, both as ``p``: the typed one wins.
    given = [v.strip() for v in request.GET.getlist("p") if v.strip()]
    text = given[-1] if given else ""
    if not text:
        return year_to_date(timezone.localdate()), None
    try:
        return parse(text), None
    except PeriodError as exc:
        return year_to_date(timezone.localdate()), _("Period (p): %(error)s") % {"error": exc}


def drill_url(key: str, period, extra: dict | None = None) -> str | None:
    figure = BY_KEY[key]
    if figure.drill is None:
        return figure.link(period) if figure.link else None
    query = {"p": period.key, **(extra or {})}
    return f"{reverse('dashboard:drill', args=[key])}?{urlencode(query)}"


@login_required
def index(request):
    bureau_only(request)
    period, error = period_of(request)
    fresh = request.GET.get("fresh") == "1"
    lines = headline(request.user, period, fresh)
    groups: OrderedDict = OrderedDict((key, []) for key in GROUPS)
    for line in lines:
        line.url = drill_url(line.figure.key, period)
        groups[line.figure.group].append(line)
    return render(
        request,
        "dashboard/index.html",
        {
            "period": period,
            "previous": period.previous(),
            "last_year": period.same_period_last_year(),
            "groups": [(GROUPS[k], rows) for k, rows in groups.items() if rows],
            "choices": choices(timezone.localdate()),
            "error": error,
            "breakdowns": [
                (key, BREAKDOWN_TITLES[key], rows)
                for key, rows in breakdowns(request.user, period, fresh)
            ],
            "library_chart": charts.libraries(lines, period),
            "funnel_chart": charts.funnel(lines, period),
            "contracts_chart": charts.contracts_by_month(request.user, period, fresh),
        },
        status=400 if error else 200,
    )


@login_required
def export(request):
    """Every figure of the page as an XLSX sheet: period, previous, change, last year, change."""
    bureau_only(request)
    period, error = period_of(request)
    if error:
        return HttpResponse(error, status=400, content_type="text/plain; charset=utf-8")
    from openpyxl import Workbook
    from openpyxl.styles import Font

    lines = headline(request.user, period)
    wb = Workbook()
    ws = wb.active
    ws.title = _("Dashboard")[:31]
    ws.append([neutralise(_("District dashboard") + " · " + period.label)])
    ws["A1"].font = Font(bold=True)
    ws.append(
        [
            _("Area"),
            _("Figure"),
            _("Unit"),
            period.label,
            period.previous().label,
            _("Change vs previous period (%)"),
            period.same_period_last_year().label,
            _("Change year on year (%)"),
        ]
    )
    for line in lines:
        ws.append(
            [
                str(GROUPS[line.figure.group]),
                neutralise(str(line.figure.label)),
                str(line.figure.unit),
                line.current,
                line.previous,
                None if line.vs_previous is None else round(line.vs_previous, 1),
                line.last_year,
                None if line.vs_last_year is None else round(line.vs_last_year, 1),
            ]
        )
    for row in ws.iter_rows(min_row=3):
        for cell in row[3:]:
            cell.number_format = "#,##0.00" if cell.column in (4, 5, 7) else "0.0"
    buf = io.BytesIO()
    wb.save(buf)
    return file_response(buf.getvalue(), f"dashboard-{period.key}.xlsx", XLSX, export=True)


# -- statistics briefs (built by a background task; only whoever asked sees them) --------------


def my_briefs(request):
    from xiake.dashboard.models import StatisticsBrief

    return StatisticsBrief.objects.filter(requested_by=request.user)


def brief_form_errors(data) -> tuple[object, str, list[str]]:
    """The period and format asked for, and what is wrong with them (naming the field)."""
    from xiake.dashboard.models import StatisticsBrief

    errors = []
    period = None
    try:
        period = parse(data.get("p", ""))
    except PeriodError as exc:
        errors.append(_("Period (p): %(error)s") % {"error": exc})
    fmt = data.get("format", "")
    if fmt not in StatisticsBrief.Format.values:
        errors.append(
            _("Format (format): “%(value)s” is not one of %(choices)s.")
            % {"value": fmt, "choices": ", ".join(StatisticsBrief.Format.values)}
        )
    return period, fmt, errors


@login_required
def briefs(request):
    """The user's statistics briefs; a POST asks for one (period ``p``, ``format``; ``recompute``
    to recompute the figures), queues its build and answers at once with its page."""
    bureau_only(request)
    errors = []
    if request.method == "POST":
        from xiake.dashboard.models import StatisticsBrief

        period, fmt, errors = brief_form_errors(request.POST)
        if not errors:
            brief, queued = StatisticsBrief.request(
                request.user,
                period.key,
                fmt,
                translation.get_language(),
                recompute=request.POST.get("recompute") == "1",
            )
            if not queued:
                messages.info(
                    request,
                    _(
                        "This brief was asked for at %(time)s and is still current: it is shown again."
                    )
                    % {"time": timezone.localtime(brief.created_at).strftime("%H:%M:%S")},
                )
            return redirect("dashboard:brief_detail", pk=brief.pk)
    rows = list(my_briefs(request)[:50])
    for row in rows:
        row.period_label = _period_label(row.period)
    today = timezone.localdate()
    return render(
        request,
        "dashboard/briefs.html",
        {
            "briefs": rows,
            "errors": errors,
            "choices": choices(today),
            "default": parse(str(today.year - 1)),
        },
        status=400 if errors else 200,
    )


def _period_label(key: str) -> str:
    try:
        return parse(key).label
    except PeriodError:
        return key


@login_required
def brief_detail(request, pk):
    """One brief: what was asked, and the status block the page polls until it is built."""
    bureau_only(request)
    brief = get_object_or_404(my_briefs(request), pk=pk)
    return render(
        request,
        "dashboard/brief_detail.html",
        {
            "brief": brief,
            "period_label": _period_label(brief.period),
            "back": f"{reverse('dashboard:index')}?{urlencode({'p': brief.period})}",
        },
    )


@login_required
def brief_status(request, pk):
    """The status block alone, for htmx polling; it stops polling once the build is over."""
    bureau_only(request)
    brief = get_object_or_404(my_briefs(request), pk=pk)
    return render(request, "dashboard/_brief_status.html", {"brief": brief})


BRIEF_TYPES = {"docx": DOCX, "pdf": PDF}


@login_required
def brief_download(request, pk):
    """The built file of one of the user's own briefs (404 for anyone else's, or unfinished)."""
    bureau_only(request)
    brief = get_object_or_404(my_briefs(request), pk=pk)
    return download(
        brief, "file", brief.filename, BRIEF_TYPES[brief.format], f"statistics brief {brief}"
    )


@login_required
def drill(request, key):
    """The records behind one figure for the period, as the module's list shows them."""
    bureau_only(request)
    figure = BY_KEY.get(key)
    if figure is None or figure.drill is None:
        raise Http404
    period, error = period_of(request)
    if error:
        return HttpResponse(error, status=400, content_type="text/plain; charset=utf-8")
    qs = figure.drill(request.user, period)
    resource = resource_for(qs.model)
    if request.GET.get("export") in ("xlsx", "csv"):
        return export_response(resource, qs, request.user, request.GET["export"], what=key)
    select, prefetch = resource.related_for(resource.list_columns)
    ordered = qs.select_related(*select).prefetch_related(*prefetch).order_by("-pk")
    page_obj = Paginator(ordered, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "dashboard/drill.html",
        {
            "figure": figure,
            "group": GROUPS[figure.group],
            "period": period,
            "value": value(request.user, key, period),
            "resource": resource,
            "table": Table(resource, page_obj.object_list, request.user),
            "page_obj": page_obj,
            "back": f"{reverse('dashboard:index')}?{urlencode({'p': period.key})}",
        },
    )
