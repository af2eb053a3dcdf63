"""The panel providers of the role home pages, one small function per panel, grouped by the app
that owns the data. Each asks that app's models through ``restrict(user, action)`` and, where
the app has one, its own helper (``brokerage.views.visible_offers``, ``contracts.stats``,
``institutions.reporting``), so a home page never shows a row its list page would hide.

"My …" panels narrow to the user's organisation (or to the user) on top of ``restrict``:
``restrict(user, "view")`` alone also yields everyone's published records.
"""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiake.core.roles import organization_id_of
from xiake.portal.panels import EMPTY, Item, PanelContent, register

LIMIT = 6  # rows per panel; the "more" link leads to the full list

STATUS_BADGES = {
    "draft": "secondary",
    "pending": "warning",
    "published": "success",
    "returned": "info",
    "rejected": "danger",
}


def url(name: str, *args, **query) -> str | None:
    """The URL of ``name`` with a query string, or None while the app is not installed."""
    try:
        base = reverse(name, args=args)
    except NoReverseMatch:
        return None
    query = {k: v for k, v in query.items() if v not in (None, "")}
    return f"{base}?{urlencode(query)}" if query else base


def _when(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "hour"):
        value = timezone.localtime(value)
    return date_format(value, "Y-m-d")


def _reviewed_item(obj, note: str = "") -> Item:
    return Item(
        str(obj),
        obj.get_absolute_url(),
        note,
        obj.get_status_display(),
        STATUS_BADGES.get(obj.status, "secondary"),
    )


def _status_figures(qs, model) -> list[tuple[str, int]]:
    counts = dict(qs.order_by().values_list("status").annotate(n=Count("id")))
    field = model._meta.get_field("status")
    return [(str(label), counts[value]) for value, label in field.choices if counts.get(value)]


# -- catalog -----------------------------------------------------------------------------------


def _own(model, user):
    """Records of the user's own organisation, in any review state."""
    org_id = organization_id_of(user)
    if org_id is None:
        return model.objects.none()
    return model.objects.restrict(user, "change").filter(owner_org_id=org_id)


def _own_records(user, model, list_url: str) -> PanelContent:
    """The organisation's own records of a reviewed library, newest first, with state counts."""
    qs = _own(model, user)
    return PanelContent(
        items=[_reviewed_item(r, _when(r.updated_at)) for r in qs.order_by("-updated_at")[:LIMIT]],
        figures=_status_figures(qs, model),
        more_url=url(list_url, owner_org=organization_id_of(user)),
        empty=str(EMPTY),
    )


@register("my_demands", gettext_lazy("My technology demands"), "megaphone")
def my_demands(user) -> PanelContent:
    from xiake.catalog.models import Demand

    return _own_records(user, Demand, "catalog:demand_list")


@register("my_achievements", gettext_lazy("My achievements"), "lightbulb")
def my_achievements(user) -> PanelContent:
    from xiake.catalog.models import Achievement

    return _own_records(user, Achievement, "catalog:achievement_list")


@register("latest_achievements", gettext_lazy("Latest achievements"), "lightbulb")
def latest_achievements(user) -> PanelContent:
    from xiake.catalog.models import Achievement

    qs = Achievement.objects.restrict(user, "view").filter(status="published")
    return PanelContent(
        items=[
            Item(str(a), a.get_absolute_url(), str(a.owner_org))
            for a in qs.select_related("owner_org").order_by("-id")[:LIMIT]
        ],
        more_url=url("catalog:achievement_list"),
        empty=str(EMPTY),
    )


@register("assigned_demands", gettext_lazy("Demands assigned to me"), "person-check")
def assigned_demands(user) -> PanelContent:
    from xiake.catalog.models import Demand

    qs = Demand.objects.restrict(user, "view").filter(assigned_managers=user)
    return PanelContent(
        items=[
            Item(
                str(d),
                d.get_absolute_url(),
                str(d.owner_org),
                _("Confidential") if d.is_confidential else "",
                "dark",
            )
            for d in qs.select_related("owner_org").order_by("-id")[:LIMIT]
        ],
        figures=[(_("Assigned"), qs.count())],
        empty=str(EMPTY),
    )


@register("pending_reviews", gettext_lazy("Waiting for review"), "hourglass-split")
def pending_reviews(user) -> PanelContent:
    """Per reviewed library, the records the user may review that wait for it."""
    from xiake.core.resources import registry

    items = []
    for resource in registry().values():
        if not resource.is_reviewed or not resource.policy().can_review(user):
            continue
        n = resource.model.objects.restrict(user, "review").filter(status="pending").count()
        if n:
            link = url(resource.url_name("list"), status="pending")
            items.append(Item(str(resource.verbose_name_plural), link, "", str(n), "warning"))
    return PanelContent(items=items, empty=_("No record is waiting for review."))


# -- brokerage ---------------------------------------------------------------------------------


@register("demand_matches", gettext_lazy("Matches for my demands"), "stars")
def demand_matches(user) -> PanelContent:
    """Own published demands with a 推荐 list: how many offers the user may see, and the best."""
    from xiake.brokerage.views import visible_offers
    from xiake.catalog.models import Demand

    demands = (
        _own(Demand, user)
        .filter(status="published")
        .annotate(offers=Count("match_offers"))
        .filter(offers__gt=0)
        .order_by("-id")[:LIMIT]
    )
    items = []
    for demand in demands:
        offers = visible_offers(user, demand)
        if not offers:
            continue
        best = min(offers, key=lambda o: o.rank)
        target = best.achievement or best.expert
        note = _("best: %(title)s") % {"title": target}
        items.append(Item(str(demand), demand.get_absolute_url(), note, str(len(offers)), "info"))
    return PanelContent(
        items=items, empty=_("Matches appear here once a demand of yours is published.")
    )


def _case_item(case) -> Item:
    return Item(
        str(case),
        case.get_absolute_url(),
        f"{case.enterprise} · {_when(case.stage_since)}",
        case.get_stage_display(),
        {"signed": "success", "terminated": "secondary"}.get(case.stage, "primary"),
    )


@register("my_cases", gettext_lazy("Docking cases of my organisation"), "arrow-left-right")
def my_cases(user) -> PanelContent:
    from xiake.brokerage.models import DockingCase
    from xiake.brokerage.policies import provider_q

    org_id = organization_id_of(user)
    if org_id is None:
        return PanelContent(empty=str(EMPTY))
    qs = (
        DockingCase.objects.restrict(user, "view")
        .filter(Q(enterprise_id=org_id) | provider_q(org_id))
        .distinct()
    )
    return PanelContent(
        items=[_case_item(c) for c in qs.select_related("enterprise").order_by("-id")[:LIMIT]],
        figures=[(_("Cases"), qs.count())],
        more_url=url("brokerage:dockingcase_list"),
        empty=str(EMPTY),
    )


@register("case_board", gettext_lazy("My case board"), "kanban")
def case_board(user) -> PanelContent:
    """The manager's own cases: how many in each stage, and the open ones longest in their stage."""
    from xiake.brokerage.models import DockingCase, Stage

    qs = DockingCase.objects.restrict(user, "view").filter(manager_id=user.pk)
    counts = dict(qs.order_by().values_list("stage").annotate(n=Count("id")))
    open_cases = qs.exclude(stage__in=(Stage.SIGNED, Stage.TERMINATED)).select_related("enterprise")
    return PanelContent(
        items=[_case_item(c) for c in open_cases.order_by("stage_since", "id")[:LIMIT]],
        figures=[(str(s.label), counts.get(s.value, 0)) for s in Stage],
        more_url=url("brokerage:board", manager=user.pk),
        empty=_("No open case."),
    )


# -- contracts ---------------------------------------------------------------------------------


@register("my_contracts", gettext_lazy("My technology contracts"), "file-earmark-text")
def my_contracts(user) -> PanelContent:
    from xiake.contracts import stats
    from xiake.core.masking import confidential_hidden

    qs = stats.base_queryset(user, "all")
    total = stats.totals(qs, user)
    registered = stats.totals(stats.base_queryset(user, "registered"), user)
    return PanelContent(
        items=[
            Item(
                str(c),
                c.get_absolute_url(),
                _("Confidential")
                if confidential_hidden(c, user)
                else _("%(amount)s yuan") % {"amount": f"{c.total_amount:,.2f}"},
                c.get_status_display(),
            )
            for c in qs.order_by("-id")[:LIMIT]
        ],
        figures=[
            (_("Contracts"), total.count),
            (_("Registered"), registered.count),
            (_("Registered contract value (yuan)"), f"{registered.total:,.2f}"),
        ],
        more_url=url("contracts:techcontract_list"),
        empty=str(EMPTY),
    )


# -- liaison -----------------------------------------------------------------------------------


@register("upcoming_events", gettext_lazy("Upcoming events"), "calendar-event")
def upcoming_events(user) -> PanelContent:
    from xiake.liaison.models import Event, Registration

    events = list(
        Event.objects.restrict(user, "view")
        .filter(starts_at__gte=timezone.now())
        .order_by("starts_at")[:LIMIT]
    )
    mine = set()
    if user.is_authenticated:
        cond = Q(user_id=user.pk)
        org_id = organization_id_of(user)
        if org_id is not None:
            cond |= Q(enterprise_id=org_id)
        mine = set(
            Registration.objects.restrict(user, "view")
            .filter(cond, event__in=events)
            .values_list("event_id", flat=True)
        )
    items = [
        Item(
            str(e),
            e.get_absolute_url(),
            f"{_when(e.starts_at)} · {e.venue}".strip(" ·"),
            _("You are registered")
            if e.pk in mine
            else _("%(n)d places left") % {"n": e.places_left},
            "success" if e.pk in mine else "light",
        )
        for e in events
    ]
    return PanelContent(
        items=items, more_url=url("liaison:event_list"), empty=_("No upcoming event.")
    )


@register("my_consultations", gettext_lazy("My policy consultations"), "chat-left-dots")
def my_consultations(user) -> PanelContent:
    from xiake.liaison.models import Consultation

    org_id = organization_id_of(user)
    if org_id is None:
        return PanelContent(empty=str(EMPTY))
    qs = Consultation.objects.restrict(user, "view").filter(owner_org_id=org_id)
    open_states = (Consultation.Status.SUBMITTED, Consultation.Status.ROUTED)
    return PanelContent(
        items=[
            Item(
                c.subject,
                c.get_absolute_url(),
                _("answer due %(day)s") % {"day": _when(c.due_on)} if c.due_on else "",
                c.get_status_display(),
                "warning" if c.status in open_states else "success",
            )
            for c in qs.order_by("-id")[:LIMIT]
        ],
        figures=[(_("Open"), qs.filter(status__in=open_states).count())],
        more_url=url("liaison:consultation_list"),
        empty=str(EMPTY),
    )


@register("my_compilations", gettext_lazy("My achievement compilations"), "book")
def my_compilations(user) -> PanelContent:
    from xiake.liaison.models import CompilationJob

    org_id = organization_id_of(user)
    cond = Q(created_by_id=user.pk)
    if org_id is not None:
        cond |= Q(owner_org_id=org_id)
    qs = CompilationJob.objects.restrict(user, "view").filter(cond)
    return PanelContent(
        items=[
            Item(
                str(j),
                j.get_absolute_url(),
                _when(j.created_at),
                j.get_status_display(),
                {"done": "success", "failed": "danger"}.get(j.status, "warning"),
            )
            for j in qs.order_by("-id")[:LIMIT]
        ],
        more_url=url("liaison:compilationjob_list"),
        empty=str(EMPTY),
    )


# -- institutions ------------------------------------------------------------------------------


@register("month_report", gettext_lazy("This month's report"), "calendar3")
def month_report(user) -> PanelContent:
    """The report due this month (last month's figures) and the current month's, with deadlines."""
    from xiake.institutions import reporting
    from xiake.institutions.models import Institution, MonthlyReport, WarningRule

    inst = Institution.objects.restrict(user, "change").order_by("pk").first()
    if inst is None:
        return PanelContent(empty=_("No institution is linked to your organisation."))
    today = timezone.localdate()
    due_period = reporting.add_months(reporting.month_start(today), -1)
    reports = {
        r.period: r
        for r in MonthlyReport.objects.restrict(user, "view").filter(
            institution=inst, period__in=(due_period, reporting.month_start(today))
        )
    }
    items = []
    for period in (due_period, reporting.month_start(today)):
        report = reports.get(period)
        deadline = reporting.deadline_of(period, WarningRule.in_force(period))
        note = _("due %(day)s") % {"day": _when(deadline)}
        link = url("institutions:report_month", inst.pk, f"{period:%Y-%m}")
        if report is None:
            late = deadline < today
            badge, badge_class = (
                (_("Overdue") if late else _("Not filed")),
                ("danger" if late else "warning"),
            )
        else:
            badge, badge_class = (
                report.get_status_display(),
                STATUS_BADGES.get(report.status, "secondary"),
            )
        items.append(Item(f"{inst} · {period:%Y-%m}", link, note, badge, badge_class))
    return PanelContent(items=items, more_url=url("institutions:dashboard", inst.pk))


@register("my_warnings", gettext_lazy("Open early warnings"), "exclamation-triangle")
def my_warnings(user) -> PanelContent:
    from xiake.institutions.models import EarlyWarning

    qs = EarlyWarning.objects.restrict(user, "view").filter(status="open")
    return PanelContent(
        items=[
            Item(
                str(w.get_kind_display()), None, w.reason[:120], w.get_severity_display(), "danger"
            )
            for w in qs.order_by("-id")[:LIMIT]
        ],
        figures=[(_("Open"), qs.count())],
        more_url=url("institutions:earlywarning_list"),
        empty=_("No open warning."),
    )


@register("my_assignments", gettext_lazy("My evaluation assignments"), "award")
def my_assignments(user) -> PanelContent:
    """The evaluator's institutions per round, with how many qualitative indicators are scored."""
    from xiake.institutions.models import EvaluatorAssignment

    qs = (
        EvaluatorAssignment.objects.restrict(user, "view")
        .filter(evaluator_id=user.pk)
        .select_related("round", "institution")
        .annotate(scored=Count("scores"))
        .order_by("-round__year", "institution__name")
    )
    items = [
        Item(
            f"{a.institution} · {a.round}",
            url("institutions:score", a.pk),
            _("%(n)d scores given") % {"n": a.scored},
            a.round.get_status_display(),
            "success" if a.round.status == "published" else "primary",
        )
        for a in qs[:LIMIT]
    ]
    open_n = sum(1 for a in qs if a.round.status == "open")
    return PanelContent(
        items=items,
        figures=[(_("Assignments"), qs.count()), (_("In open rounds"), open_n)],
        more_url=url("institutions:rounds"),
        empty=_("No assignment yet."),
    )
