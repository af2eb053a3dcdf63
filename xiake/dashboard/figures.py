"""The headline figures of the district dashboard, declared as data.

Every figure is computed by the module that owns it, through its public statistics:
``brokerage.funnel.funnel`` (docking funnel), ``contracts.stats.base_queryset``/``totals``
(contracts), ``liaison.models.events.enterprises_served`` (distinct enterprises). Where a module
has no statistics function for a figure (library records published, events held, investments,
tasks, institutions' monthly figures) the figure is the count or sum of the *same queryset its
drill-down lists*, obtained through ``restrict(user, "view")`` like the module's own list page.
So each number equals what the module shows and what the drill-down page lists; tests hold both.

A figure may link to a drill-down (the records behind the number, with an XLSX export) or to the
module's own page (enterprises served).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from xiake.dashboard.periods import Period

ZERO = Decimal("0.00")

GROUPS = {
    "libraries": _("Resource libraries"),
    "docking": _("Docking funnel"),
    "contracts": _("Technology contracts"),
    "events": _("Events and enterprises served"),
    "finance": _("Technology finance"),
    "liaison": _("University–local docking"),
    "institutions": _("New R&D institutions"),
}

COUNT = ""
YUAN = _("yuan")
WAN = _("10k yuan")


class Context:
    """One user's figures for several periods, with the costly module calls made once."""

    def __init__(self, user, periods=()):
        self.user = user
        self.periods = tuple(periods)  # counted together where one scan can serve them all
        self._memo: dict = {}

    def memo(self, key, compute):
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    # -- catalog -----------------------------------------------------------------------------
    def published_count(self, model_label: str, period: Period) -> int:
        """Records of a library published in ``period``. The context's periods are counted in
        one pass over the library (conditional counts), not one pass each."""
        if period not in self.periods:
            return published_queryset(model_label)(self.user, period).count()

        def compute():
            # Only indexed columns (status is never null here, so counting it counts rows):
            # an index on (status, reviewed_at, created_at) answers the count alone, without
            # reading the wide rows (achievements at 10×: 160,000); the span of the periods
            # narrows the index entries read to those that can count.
            counts = {
                f"p{i}": Count("status", filter=published_in(p)) for i, p in enumerate(self.periods)
            }
            span = Period(min(p.first for p in self.periods), max(p.last for p in self.periods))
            qs = _published(model_label, self.user).filter(published_in(span))
            return qs.aggregate(**counts)

        return self.memo(("published", model_label), compute)[f"p{self.periods.index(period)}"]

    # -- brokerage ---------------------------------------------------------------------------
    def funnel_stage(self, period: Period):
        """The funnel's monthly rows summed over the period (published demands by month)."""
        from xiake.brokerage.funnel import Stage, funnel

        rows = self.memo("funnel", lambda: dict(funnel(self.user, "month")[0]))
        total = Stage()
        for label in period.month_labels():
            s = rows.get(label)
            if s is None:
                continue
            total.published += s.published
            total.matched += s.matched
            total.cases += s.cases
            total.signed += s.signed
            total.signed_amount += s.signed_amount
        return total

    # -- contracts ---------------------------------------------------------------------------
    def contracts(self, period: Period, scope: str):
        from xiake.contracts import stats

        return self.memo(
            ("contracts", scope, period),
            lambda: stats.totals(contract_queryset(self.user, period, scope)),
        )

    def reports(self, period: Period) -> dict:
        return self.memo(
            ("reports", period),
            lambda: _quantised(
                report_queryset(self.user, period).aggregate(
                    n=Count("id"),
                    revenue=Sum("revenue", default=ZERO),
                    income=Sum("technical_income", default=ZERO),
                    incubated=Sum("incubated_new", default=0),
                    patents=Sum("patent_applications", default=0),
                )
            ),
        )


CENT = Decimal("0.01")


def _quantised(values: dict) -> dict:
    """Money to the fen: SQLite sums decimals without their scale."""
    return {k: v.quantize(CENT) if isinstance(v, Decimal) else v for k, v in values.items()}


# -- the querysets behind the figures (drill-downs list exactly these) -------------------------


def instants(period: Period) -> tuple[dt.datetime, dt.datetime]:
    """The period as ``[from, to)`` aware datetimes in the local time zone. Comparing columns
    with them (not ``__date``) lets the database use its indexes; SQLite would otherwise call
    a Python function on every row."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(period.start, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def published_queryset(model_label: str):
    """Records of a library published in the period: published now, dated by their review
    (their creation when never reviewed), as the docking funnel dates demands."""

    def build(user, period: Period):
        return _published(model_label, user).filter(published_in(period))

    return build


def _published(model_label: str, user):
    from django.apps import apps

    return apps.get_model(model_label).objects.restrict(user, "view").filter(status="published")


def published_in(period: Period) -> Q:
    """Reviewed in the period, or created in it when never reviewed."""
    start, end = instants(period)
    return Q(reviewed_at__gte=start, reviewed_at__lt=end) | Q(
        reviewed_at__isnull=True, created_at__gte=start, created_at__lt=end
    )


def demands_matched(user, period: Period):
    """Published demands of the period with a 推荐 list (the funnel's "matched")."""
    from xiake.brokerage.models import MatchOffer

    demands = published_queryset("catalog.Demand")(user, period)
    return demands.filter(pk__in=MatchOffer.objects.values("demand_id"))


def _visible_cases(user):
    from xiake.brokerage.models import DockingCase

    return DockingCase.objects.restrict(user, "view")


def demands_with_case(user, period: Period):
    """… with a docking case the user may see naming them (the funnel's "cases")."""
    demands = published_queryset("catalog.Demand")(user, period)
    return demands.filter(pk__in=_visible_cases(user).values("demand_id"))


def demands_signed(user, period: Period):
    """… with a signed contract created from one of those cases (the funnel's "signed")."""
    from xiake.contracts.models import TechContract

    signed = TechContract.objects.restrict(user, "view").filter(signed_on__isnull=False)
    cases = _visible_cases(user).filter(pk__in=signed.values("docking_case_id"))
    demands = published_queryset("catalog.Demand")(user, period)
    return demands.filter(pk__in=cases.values("demand_id"))


def contract_queryset(user, period: Period, scope: str = "all"):
    from xiake.contracts import stats

    return stats.base_queryset(user, scope).filter(signed_on__range=(period.start, period.end))


def event_queryset(user, period: Period):
    from xiake.liaison.models import Event

    start, end = instants(period)
    return Event.objects.restrict(user, "view").filter(starts_at__gte=start, starts_at__lt=end)


def investment_queryset(user, period: Period):
    from xiake.liaison.models import Investment

    return Investment.objects.restrict(user, "view").filter(
        closed_on__range=(period.start, period.end)
    )


def task_queryset(user, period: Period):
    from xiake.liaison.models import Task

    return Task.objects.restrict(user, "view").filter(due_on__range=(period.start, period.end))


def done_task_queryset(user, period: Period):
    return task_queryset(user, period).filter(status="done")


def report_queryset(user, period: Period):
    """Monthly reports of the period's months, as the institutions' district overview counts
    them (every report the user may see, by its month)."""
    from xiake.institutions.models import MonthlyReport

    return MonthlyReport.objects.restrict(user, "view").filter(
        period__range=(period.first, period.last)
    )


# -- declarations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One headline figure: ``value(ctx, period)``; ``drill(user, period)`` is the queryset of
    the records behind it (None when the module's own page is the drill-down: ``link``)."""

    key: str
    group: str
    label: str
    unit: str
    value: Callable
    drill: Callable | None = None
    link: Callable | None = None
    whole_year_only: bool = False


LIBRARIES = (
    ("achievements", "catalog.Achievement", _("Achievements published")),
    ("demands", "catalog.Demand", _("Technology demands published")),
    ("experts", "catalog.Expert", _("Experts published")),
    ("platforms", "catalog.Platform", _("Research platforms published")),
    ("agencies", "catalog.Agency", _("Intermediary agencies published")),
    ("staff", "catalog.TransferStaff", _("Transfer staff published")),
)


def _library_figure(key, model_label, label) -> Figure:
    build = published_queryset(model_label)
    return Figure(
        key,
        "libraries",
        label,
        COUNT,
        lambda ctx, p: ctx.published_count(model_label, p),
        drill=build,
    )


def _served_link(period: Period) -> str:
    from django.urls import reverse

    query = urlencode({"from": period.start.isoformat(), "to": period.end.isoformat()})
    return f"{reverse('liaison:served')}?{query}"


def _served(ctx, p):
    from xiake.liaison.models.events import enterprises_served

    return ctx.memo(("served", p), lambda: enterprises_served(p.start, p.end))


def _excellent(ctx, p):
    from xiake.institutions.models import EvaluationResult

    year = p.whole_year()
    if year is None:
        return None
    return (
        EvaluationResult.objects.restrict(ctx.user, "view")
        .filter(round__year=year, round__status="published", grade="excellent")
        .values("institution_id")
        .distinct()
        .count()
    )


FIGURES: tuple[Figure, ...] = (
    *(_library_figure(*spec) for spec in LIBRARIES),
    Figure(
        "funnel_published",
        "docking",
        _("Demands published"),
        COUNT,
        lambda ctx, p: ctx.funnel_stage(p).published,
        drill=published_queryset("catalog.Demand"),
    ),
    Figure(
        "funnel_matched",
        "docking",
        _("… with matches pushed"),
        COUNT,
        lambda ctx, p: ctx.funnel_stage(p).matched,
        drill=demands_matched,
    ),
    Figure(
        "funnel_cases",
        "docking",
        _("… with a docking case"),
        COUNT,
        lambda ctx, p: ctx.funnel_stage(p).cases,
        drill=demands_with_case,
    ),
    Figure(
        "funnel_signed",
        "docking",
        _("… with a signed contract"),
        COUNT,
        lambda ctx, p: ctx.funnel_stage(p).signed,
        drill=demands_signed,
    ),
    Figure(
        "contracts_count",
        "contracts",
        _("Contracts signed"),
        COUNT,
        lambda ctx, p: ctx.contracts(p, "all").count,
        drill=lambda user, p: contract_queryset(user, p, "all"),
    ),
    Figure(
        "contracts_total",
        "contracts",
        _("Contract value (成交额)"),
        YUAN,
        lambda ctx, p: ctx.contracts(p, "all").total,
        drill=lambda user, p: contract_queryset(user, p, "all"),
    ),
    Figure(
        "contracts_tech",
        "contracts",
        _("Technology transaction value (技术交易额)"),
        YUAN,
        lambda ctx, p: ctx.contracts(p, "all").tech,
        drill=lambda user, p: contract_queryset(user, p, "all"),
    ),
    Figure(
        "registered_count",
        "contracts",
        _("Registered contracts"),
        COUNT,
        lambda ctx, p: ctx.contracts(p, "registered").count,
        drill=lambda user, p: contract_queryset(user, p, "registered"),
    ),
    Figure(
        "registered_total",
        "contracts",
        _("Registered contract value"),
        YUAN,
        lambda ctx, p: ctx.contracts(p, "registered").total,
        drill=lambda user, p: contract_queryset(user, p, "registered"),
    ),
    Figure(
        "registered_tech",
        "contracts",
        _("Registered technology transaction value"),
        YUAN,
        lambda ctx, p: ctx.contracts(p, "registered").tech,
        drill=lambda user, p: contract_queryset(user, p, "registered"),
    ),
    Figure(
        "events",
        "events",
        _("Events held"),
        COUNT,
        lambda ctx, p: ctx.memo(("events", p), lambda: event_queryset(ctx.user, p).count()),
        drill=event_queryset,
    ),
    Figure(
        "served",
        "events",
        _("Distinct enterprises served"),
        COUNT,
        _served,
        link=_served_link,
    ),
    Figure(
        "investments",
        "finance",
        _("Investments closed"),
        COUNT,
        lambda ctx, p: investment_queryset(ctx.user, p).count(),
        drill=investment_queryset,
    ),
    Figure(
        "investment_amount",
        "finance",
        _("Amount invested"),
        WAN,
        lambda ctx, p: _quantised(
            investment_queryset(ctx.user, p).aggregate(s=Sum("amount", default=ZERO))
        )["s"],
        drill=investment_queryset,
    ),
    Figure(
        "tasks_due",
        "liaison",
        _("Joint-meeting tasks due"),
        COUNT,
        lambda ctx, p: task_queryset(ctx.user, p).count(),
        drill=task_queryset,
    ),
    Figure(
        "tasks_done",
        "liaison",
        _("… of which done"),
        COUNT,
        lambda ctx, p: done_task_queryset(ctx.user, p).count(),
        drill=done_task_queryset,
    ),
    Figure(
        "reports",
        "institutions",
        _("Monthly reports"),
        COUNT,
        lambda ctx, p: ctx.reports(p)["n"],
        drill=report_queryset,
    ),
    Figure(
        "inst_revenue",
        "institutions",
        _("Institutions' revenue"),
        WAN,
        lambda ctx, p: ctx.reports(p)["revenue"],
        drill=report_queryset,
    ),
    Figure(
        "inst_income",
        "institutions",
        _("Institutions' technical income"),
        WAN,
        lambda ctx, p: ctx.reports(p)["income"],
        drill=report_queryset,
    ),
    Figure(
        "inst_incubated",
        "institutions",
        _("Firms incubated"),
        COUNT,
        lambda ctx, p: ctx.reports(p)["incubated"],
        drill=report_queryset,
    ),
    Figure(
        "inst_patents",
        "institutions",
        _("Patent applications"),
        COUNT,
        lambda ctx, p: ctx.reports(p)["patents"],
        drill=report_queryset,
    ),
    Figure(
        "inst_excellent",
        "institutions",
        _("Institutions rated excellent (annual evaluation)"),
        COUNT,
        _excellent,
        whole_year_only=True,
    ),
)

BY_KEY = {f.key: f for f in FIGURES}


@dataclass
class Line:
    """A figure for the period, the previous period and the same period last year."""

    figure: Figure
    current: object
    previous: object
    last_year: object
    changes: dict = field(default_factory=dict)

    @staticmethod
    def change(now, before) -> float | None:
        """Relative change in per cent; None when there is nothing to compare with."""
        if now is None or before is None or not before:
            return None
        return float((Decimal(now) - Decimal(before)) / Decimal(before) * 100)

    @property
    def vs_previous(self):
        return self.change(self.current, self.previous)

    @property
    def vs_last_year(self):
        return self.change(self.current, self.last_year)


def cached(user, name: str, period: Period, compute, fresh: bool = False):
    """``compute()`` for this user and period, kept ``DASHBOARD_CACHE_SECONDS`` (0: never kept).

    The figures are aggregates over whole tables; a bureau report does not need them newer than
    a couple of minutes, and the page is opened again and again while a report is written.
    The values are plain numbers (no labels), so one entry serves every language.
    """
    seconds = getattr(settings, "DASHBOARD_CACHE_SECONDS", 120)
    key = f"dashboard:v1:{user.pk}:{name}:{period.key}"
    if seconds and not fresh:
        hit = cache.get(key)
        if hit is not None:
            return hit
    value = compute()
    if seconds:
        cache.set(key, value, seconds)
    return value


def values(user, period: Period, fresh: bool = False) -> dict[str, tuple]:
    """``{figure key: (period, previous period, same period last year)}``."""

    def compute():
        periods = (period, period.previous(), period.same_period_last_year())
        ctx = Context(user, periods)
        return {f.key: tuple(f.value(ctx, p) for p in periods) for f in FIGURES}

    return cached(user, "figures", period, compute, fresh)


def breakdowns(user, period: Period, fresh: bool = False) -> list[tuple[str, list]]:
    """Tables of the period: registered contracts by selling university and by technical field
    (``contracts.stats.grouped``, whose rows add up to the registered totals), achievements
    published by owner (the ten largest). Rows are ``(label, count, 成交额, 技术交易额)``; the
    achievements' money columns are None."""
    from xiake.contracts import stats

    def compute():
        registered = contract_queryset(user, period, "registered")
        tables = [
            (key, [(r.key, r.count, r.total, r.tech) for r in stats.grouped(registered, key)])
            for key in ("university", "field")
        ]
        owners = (
            published_queryset("catalog.Achievement")(user, period)
            .values("owner_org__name")
            .annotate(n=Count("id"))
            .order_by("-n", "owner_org__name")[:10]
        )
        tables.append(
            ("achievements", [(r["owner_org__name"], r["n"], None, None) for r in owners])
        )
        return tables

    return cached(user, "breakdowns", period, compute, fresh)


BREAKDOWN_TITLES = {
    "university": _("Registered contracts by selling university"),
    "field": _("Registered contracts by technical field"),
    "achievements": _("Achievements published, by owner (top ten)"),
}


def headline(user, period: Period, fresh: bool = False) -> list[Line]:
    """Every figure for ``period``, its previous period and the same period last year."""
    data = values(user, period, fresh)
    return [Line(f, *data[f.key]) for f in FIGURES]


def value(user, key: str, period: Period):
    """One figure for one period, computed now (the drill-down page shows it beside its rows)."""
    return BY_KEY[key].value(Context(user), period)
