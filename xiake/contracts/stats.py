"""Contract statistics: count, 成交额 and 技术交易额 grouped by one dimension, over the contracts a
user may see. Sums are done by the database on Decimal columns, so totals are exact to the fen."""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import ExtractMonth, ExtractQuarter, ExtractYear
from django.utils.translation import gettext_lazy as _

from xiake.contracts.models import REGISTERED_STATES, TechContract

ZERO = Decimal("0.00")

SCOPES = {
    "registered": (_("Registered contracts"), Q(status__in=REGISTERED_STATES)),
    "online": (_("Signed on the platform"), Q(signed_online=True)),
    "all": (_("All contracts visible to you"), Q()),
}

DIMENSIONS = {
    "year": _("Year"),
    "quarter": _("Quarter"),
    "month": _("Month"),
    "category": _("Category"),
    "field": _("Technical field"),
    "party_type": _("Seller party type"),
    "buyer_region": _("Buyer region"),
    "university": _("Selling university"),
    "channel": _("Registered / online"),
}


CENT = Decimal("0.01")


@dataclass
class Row:
    key: str
    count: int
    total: Decimal
    tech: Decimal

    def __post_init__(self):
        # SQLite sums decimals without their scale; show and export yuan with two places.
        self.total = Decimal(self.total).quantize(CENT)
        self.tech = Decimal(self.tech).quantize(CENT)


def base_queryset(user, scope: str = "registered"):
    return TechContract.objects.restrict(user, "view").filter(SCOPES[scope][1])


def _agg(qs):
    return qs.aggregate(
        count=Count("id"),
        total=Sum("total_amount", default=ZERO),
        tech=Sum("tech_amount", default=ZERO),
    )


def totals(qs) -> Row:
    a = _agg(qs)
    return Row(str(_("Total")), a["count"], a["total"], a["tech"])


def grouped(qs, dimension: str) -> list[Row]:
    """Rows of (label, count, total, tech) for ``dimension``; labels in the reader's language."""
    date = "signed_on"
    if dimension in ("year", "quarter", "month"):
        qs = qs.annotate(y=ExtractYear(date))
        keys = ["y"]
        if dimension == "quarter":
            qs = qs.annotate(p=ExtractQuarter(date))
            keys.append("p")
        elif dimension == "month":
            qs = qs.annotate(p=ExtractMonth(date))
            keys.append("p")
        data = qs.values(*keys).order_by(*keys)
        fmt = {
            "year": lambda r: f"{r['y']}",
            "quarter": lambda r: f"{r['y']} Q{r['p']}",
            "month": lambda r: f"{r['y']}-{r['p']:02d}",
        }[dimension]
        label = lambda r: fmt(r) if r["y"] else "—"  # noqa: E731
    elif dimension == "category":
        data = qs.values("category__code", "category__name").order_by("category__sort_order")
        label = lambda r: r["category__name"] or "—"  # noqa: E731
    elif dimension == "field":
        data = qs.values("technical_field__code", "technical_field__name").order_by(
            "technical_field__sort_order"
        )
        label = lambda r: r["technical_field__name"] or "—"  # noqa: E731
    elif dimension == "party_type":
        data = qs.values("seller_party_type__code", "seller_party_type__name").order_by(
            "seller_party_type__code"
        )
        label = lambda r: (  # noqa: E731
            f"{r['seller_party_type__code']} {r['seller_party_type__name']}"
            if r["seller_party_type__code"]
            else "—"
        )
    elif dimension == "buyer_region":
        data = qs.values("buyer_org__is_local").order_by("-buyer_org__is_local")
        label = lambda r: str(  # noqa: E731
            _("Local") if r["buyer_org__is_local"] else _("Outside the district")
        )
    elif dimension == "university":
        return by_university(qs)
    elif dimension == "channel":
        return [
            Row(str(SCOPES[k][0]), **{n: v for n, v in _agg(qs.filter(SCOPES[k][1])).items()})
            for k in ("registered", "online")
        ]
    else:
        raise KeyError(dimension)
    data = data.annotate(
        count=Count("id"),
        total=Sum("total_amount", default=ZERO),
        tech=Sum("tech_amount", default=ZERO),
    )
    return [Row(label(r), r["count"], r["total"], r["tech"]) for r in data]


def by_university(qs) -> list[Row]:
    """One row per selling university (by name), then one row for every other seller, so that the
    rows add up to the same totals as the other breakdowns."""
    data = (
        qs.values("owner_org__org_type", "owner_org__name")
        .annotate(
            count=Count("id"),
            total=Sum("total_amount", default=ZERO),
            tech=Sum("tech_amount", default=ZERO),
        )
        .order_by("owner_org__name")
    )
    rows, other = [], Row(str(_("Other sellers")), 0, ZERO, ZERO)
    for r in data:
        row = Row(r["owner_org__name"], r["count"], r["total"], r["tech"])  # quantised
        if r["owner_org__org_type"] == "university":
            rows.append(row)
        else:
            other = Row(
                other.key, other.count + row.count, other.total + row.total, other.tech + row.tech
            )
    rows.sort(key=lambda r: (-r.total, r.key))
    return [*rows, other] if other.count else rows


def to_xlsx(title: str, sections: list[tuple[str, list[Row]]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "统计"
    ws.append([title])
    for heading, rows in sections:
        ws.append([])
        ws.append([heading, "合同数", "成交额（元）", "技术交易额（元）"])
        for r in rows:
            ws.append([r.key, r.count, r.total, r.tech])
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, Decimal):
                cell.number_format = "#,##0.00"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
