"""The managers' workload (cases by stage, stale cases, signed value) and a case's timeline.

Workload: the bureau sees every technology manager (and the cases nobody manages yet); a
manager sees only their own row; nobody else has one. "Stale" uses the reminder thresholds
(``ReminderRule``): an open case longer in its stage than the reminder allows. "Signed value"
is the 成交额 of the technology contracts that came from the manager's cases and have been
submitted (a party's draft is not a figure yet).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from xiake.brokerage.models import DockingCase, ReminderRule, Stage
from xiake.core.roles import Role, is_bureau, role_of

OPEN_STAGES = (Stage.INTENT, Stage.CONTACT, Stage.NEGOTIATION)


def may_see_workload(user) -> bool:
    return is_bureau(user) or role_of(user) == Role.MANAGER


@dataclass
class WorkloadRow:
    manager_id: int | None
    name: str
    by_stage: dict = field(default_factory=dict)
    stale: int = 0
    signed_contracts: int = 0
    signed_value: Decimal = Decimal("0.00")

    @property
    def stage_counts(self) -> list[int]:
        """Counts in the order of ``Stage`` (the table's columns)."""
        return [self.by_stage.get(s, 0) for s in Stage]

    @property
    def open(self) -> int:
        return sum(self.by_stage.get(s, 0) for s in OPEN_STAGES)

    @property
    def total(self) -> int:
        return sum(self.by_stage.values())


def stale_q(today: dt.date) -> Q:
    rules = ReminderRule.thresholds()
    q = Q(pk__in=[])
    for stage in OPEN_STAGES:
        days = rules.get(f"stage_{stage}")
        if days is not None:
            q |= Q(stage=stage, stage_since__lt=today - dt.timedelta(days=days))
    return q


def workload(user, today: dt.date | None = None) -> list[WorkloadRow]:
    """One row per manager the user may see (see the module docstring)."""
    from xiake.contracts.models import RegistrationStatus, TechContract

    if not may_see_workload(user):
        return []
    today = today or timezone.localdate()
    cases = DockingCase.objects.all()
    managers = get_user_model().objects.filter(role=Role.MANAGER, is_active=True)
    if not is_bureau(user):
        cases = cases.filter(manager_id=user.pk)
        managers = managers.filter(pk=user.pk)
    rows: dict = {
        m.pk: WorkloadRow(m.pk, m.get_full_name() or m.username)
        for m in managers.order_by("username")
    }

    def row(manager_id):
        if manager_id not in rows:
            if manager_id is None:
                rows[None] = WorkloadRow(None, _("Not assigned"))
            else:  # a manager since deactivated, or of another role, who still has cases
                u = get_user_model().objects.get(pk=manager_id)
                rows[manager_id] = WorkloadRow(manager_id, u.get_full_name() or u.username)
        return rows[manager_id]

    for r in cases.values("manager_id", "stage").annotate(n=Count("id")).order_by():
        row(r["manager_id"]).by_stage[r["stage"]] = r["n"]
    for r in cases.filter(stale_q(today)).values("manager_id").annotate(n=Count("id")).order_by():
        row(r["manager_id"]).stale = r["n"]
    from xiake.contracts.stats import sealed_sums

    contracts = TechContract.objects.filter(
        docking_case__in=cases.filter(stage=Stage.SIGNED)
    ).exclude(status=RegistrationStatus.DRAFT)
    # confidential contracts hold 0 in SQL; their amounts are added for those who may see them
    sealed = sealed_sums(contracts, ("docking_case__manager_id",), user)
    signed = (
        contracts.values("docking_case__manager_id")
        .annotate(n=Count("id"), value=Sum("total_amount"))
        .order_by()
    )
    for r in signed:
        target = row(r["docking_case__manager_id"])
        target.signed_contracts = r["n"]
        extra = sealed.get((r["docking_case__manager_id"],), (0, 0))[0]
        target.signed_value = (Decimal(r["value"] or 0) + extra).quantize(Decimal("0.01"))
    return sorted(rows.values(), key=lambda r: (r.manager_id is None, -r.open, r.name))


@dataclass
class TimelineEntry:
    when: dt.datetime
    kind: str
    text: str
    url: str = ""


def _at(day_or_time) -> dt.datetime:
    if isinstance(day_or_time, dt.datetime):
        return day_or_time
    return timezone.make_aware(dt.datetime.combine(day_or_time, dt.time()))


def timeline(user, case: DockingCase) -> list[TimelineEntry]:
    """What happened on the case, newest first: opened, stage moves (with their notes), meetings,
    attachments (of the case and its meetings), contracts the user may see."""
    from django.contrib.contenttypes.models import ContentType

    from xiake.brokerage.models import CaseMeeting
    from xiake.contracts.models import TechContract
    from xiake.core.models import Attachment, ChangeRecord

    entries = [TimelineEntry(case.created_at, "opened", _("Case opened"))]
    case_ct = ContentType.objects.get_for_model(DockingCase)
    for rec in ChangeRecord.objects.filter(
        content_type=case_ct, object_id=str(case.pk), action="review"
    ).order_by("time"):
        entries.append(TimelineEntry(rec.time, "stage", rec.comment))
    meetings = list(CaseMeeting.objects.restrict(user, "view").filter(case=case))
    for m in meetings:
        where = _("online") if m.online else m.place
        entries.append(
            TimelineEntry(
                m.held_at,
                "meeting",
                _("Meeting (%(where)s)") % {"where": where},
                m.get_absolute_url(),
            )
        )
    meeting_ct = ContentType.objects.get_for_model(CaseMeeting)
    files = Attachment.objects.filter(
        Q(content_type=case_ct, object_id=case.pk)
        | Q(content_type=meeting_ct, object_id__in=[m.pk for m in meetings])
    )
    for a in files:
        entries.append(
            TimelineEntry(a.uploaded_at, "attachment", _("File added: %(name)s") % {"name": a.name})
        )
    for c in TechContract.objects.restrict(user, "view").filter(docking_case=case):
        entries.append(
            TimelineEntry(
                c.created_at,
                "contract",
                _("Contract “%(title)s” (%(status)s)")
                % {"title": c.title, "status": c.get_status_display()},
                c.get_absolute_url(),
            )
        )
    return sorted(entries, key=lambda e: _at(e.when), reverse=True)
