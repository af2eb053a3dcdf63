"""The conversion funnel: published demand → matched (a 推荐 list) → docking case → signed contract,
by the period the demand was published in, over the records the user may see.

A demand counts as published when its status is published (date: its review, else its creation);
matched when it has at least one offer; with a case when a case names it; signed when a contract
created from one of its cases has a signing date (its 成交额 is summed, once per contract).
"""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from xiake.brokerage.models import DockingCase, MatchOffer

PERIODS = ("year", "quarter", "month")


def period_label(when, period: str) -> str:
    d = timezone.localtime(when).date() if hasattr(when, "hour") else when
    if period == "year":
        return f"{d.year}"
    if period == "quarter":
        return f"{d.year} Q{(d.month - 1) // 3 + 1}"
    return f"{d.year}-{d.month:02d}"


@dataclass
class Stage:
    published: int = 0
    matched: int = 0
    cases: int = 0
    signed: int = 0
    signed_amount: Decimal = field(default_factory=lambda: Decimal("0.00"))

    def rate(self, n: int) -> str:
        return f"{100 * n / self.published:.1f}%" if self.published else "—"

    @property
    def rates(self) -> dict[str, str]:
        """Share of the period's published demands that reached each stage."""
        return {k: self.rate(getattr(self, k)) for k in ("matched", "cases", "signed")}


def funnel(user, period: str = "year") -> tuple[list[tuple[str, Stage]], Stage]:
    from xiake.catalog.models import Demand
    from xiake.contracts.models import TechContract

    if period not in PERIODS:
        raise ValueError(period)
    demands = dict(
        Demand.objects.restrict(user, "view")
        .filter(status="published")
        .annotate(at=Coalesce("reviewed_at", "created_at"))
        .values_list("pk", "at")
    )
    matched = set(
        MatchOffer.objects.filter(demand_id__in=list(demands)).values_list("demand_id", flat=True)
    )
    cases = dict(
        DockingCase.objects.restrict(user, "view")
        .filter(demand_id__in=list(demands))
        .values_list("pk", "demand_id")
    )
    from xiake.contracts.stats import sealed_sums

    contracts = TechContract.objects.restrict(user, "view").filter(
        docking_case_id__in=list(cases), signed_on__isnull=False
    )
    # confidential contracts hold 0 in SQL; their amounts are added for those who may see them
    sealed = sealed_sums(contracts, ("pk",), user)
    signed: dict[int, Decimal] = defaultdict(Decimal)
    for pk, case_id, amount in contracts.values_list("pk", "docking_case_id", "total_amount"):
        amount = Decimal(amount) + sealed.get((pk,), (0, 0))[0]
        signed[cases[case_id]] += amount.quantize(Decimal("0.01"))
    rows: dict[str, Stage] = defaultdict(Stage)
    total = Stage()
    with_case = set(cases.values())
    for pk, at in demands.items():
        for s in (rows[period_label(at, period)], total):
            s.published += 1
            s.matched += pk in matched
            s.cases += pk in with_case
            if pk in signed:
                s.signed += 1
                s.signed_amount += signed[pk]
    return sorted(rows.items()), total


def to_xlsx(rows, total, period: str) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "转化漏斗"
    ws.append(
        [
            _("Period"),
            _("Published demands"),
            _("Matched"),
            _("With a docking case"),
            _("Signed contract"),
            _("Contract value (yuan)"),
        ]
    )
    for label, s in [*rows, (_("Total"), total)]:
        ws.append([label, s.published, s.matched, s.cases, s.signed, s.signed_amount])
    for row in ws.iter_rows(min_row=2):
        row[-1].number_format = "#,##0.00"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
