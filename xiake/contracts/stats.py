"""Contract statistics: count, 成交额 and 技术交易额 grouped by one dimension, over the contracts a
user may see. Sums are done by the database on Decimal columns, so totals are exact to the fen.

Confidential contracts keep 0 in their amount columns (their amounts are encrypted,
``xiake.core.crypto``): SQL counts them but sums nothing for them, so their amounts are decrypted
and added here (:func:`sealed_sums`) — only those the user may see (``amounts_scope``); the
others are counted with 0. They are few, so this costs one small query per breakdown."""

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


def sealed_sums(qs, keys, user) -> dict:
    """``{key tuple: (total, tech)}`` of the confidential contracts in ``qs`` whose amounts
    ``user`` may see (``user`` None: all), grouped by the ``values()`` ``keys``."""
    sealed = TechContract._meta.get_field("sealed_amounts")
    conf = qs.filter(confidential=True)
    if user is not None:
        conf = TechContract.policy.amounts_scope(conf, user)
    out: dict = {}
    for row in conf.values(*keys, "sealed_amounts").order_by():
        amounts = sealed.values_of(row["sealed_amounts"])
        key = tuple(row[k] for k in keys)
        total, tech = out.get(key, (ZERO, ZERO))
        out[key] = (total + amounts["total_amount"], tech + amounts["tech_amount"])
    return out


def _with_sealed(row: dict, keys, extra: dict) -> dict:
    total, tech = extra.get(tuple(row[k] for k in keys), (ZERO, ZERO))
    return {**row, "total": (row["total"] or ZERO) + total, "tech": (row["tech"] or ZERO) + tech}


def _agg(qs, user=None):
    a = qs.aggregate(
        count=Count("id"),
        total=Sum("total_amount", default=ZERO),
        tech=Sum("tech_amount", default=ZERO),
    )
    return _with_sealed(a, (), sealed_sums(qs, (), user))


def totals(qs, user=None) -> Row:
    a = _agg(qs, user)
    return Row(str(_("Total")), a["count"], a["total"], a["tech"])


def grouped(qs, dimension: str, user=None) -> list[Row]:
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
        return by_university(qs, user)
    elif dimension == "channel":
        return [
            Row(str(SCOPES[k][0]), **{n: v for n, v in _agg(qs.filter(SCOPES[k][1]), user).items()})
            for k in ("registered", "online")
        ]
    else:
        raise KeyError(dimension)
    keys = list(data.query.values_select) or keys  # the grouping columns (periods: y, p)
    extra = sealed_sums(data, keys, user)
    data = data.annotate(
        count=Count("id"),
        total=Sum("total_amount", default=ZERO),
        tech=Sum("tech_amount", default=ZERO),
    )
    rows = (_with_sealed(r, keys, extra) for r in data)
    return [Row(label(r), r["count"], r["total"], r["tech"]) for r in rows]


def by_university(qs, user=None) -> list[Row]:
    """One row per selling university (by name), then one row for every other seller, so that the
    rows add up to the same totals as the other breakdowns."""
    keys = ("owner_org__org_type", "owner_org__name")
    extra = sealed_sums(qs, keys, user)
    data = (
        qs.values(*keys)
        .annotate(
            count=Count("id"),
            total=Sum("total_amount", default=ZERO),
            tech=Sum("tech_amount", default=ZERO),
        )
        .order_by("owner_org__name")
    )
    rows, other = [], Row(str(_("Other sellers")), 0, ZERO, ZERO)
    for r in (_with_sealed(r, keys, extra) for r in data):
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


# -- the page: from the running totals (ContractRollup) ----------------------------------------------
PAGE_DIMENSIONS = ("category", "field", "party_type", "buyer_region", "university")


def report(
    user, scope: str = "registered", period: str = "year", *, use_rollup: bool | None = None
):
    """``(total, sections)`` of the statistics page: sections are ``(heading, rows)`` for the
    period, category, field, party type, buyer region, selling university and channel.

    The bureau sees every submitted contract: its figures come from the running totals
    (``rollup``) plus the drafts it may see, counted one by one. Everyone else sees only their
    own organisation's contracts, grouped directly. ``use_rollup=False`` forces the direct
    grouping (tests compare the two).
    """
    from xiake.core.roles import is_bureau

    if use_rollup is None:
        use_rollup = is_bureau(user)
    if not use_rollup:
        qs = base_queryset(user, scope)
        sections = [
            (DIMENSIONS[period], grouped(qs, period, user)),
            *((DIMENSIONS[d], grouped(qs, d, user)) for d in PAGE_DIMENSIONS),
            (DIMENSIONS["channel"], grouped(base_queryset(user, "all"), "channel", user)),
        ]
        return totals(qs, user), sections
    cells = _visible_cells(user, scope)
    by_scope = {scope: cells}
    for other in ("registered", "online"):
        if other not in by_scope:
            by_scope[other] = _visible_cells(user, other)
    channel = [_row(str(SCOPES[k][0]), _total(by_scope[k])) for k in ("registered", "online")]
    sections = [
        (DIMENSIONS[period], _period_rows(cells, period)),
        (DIMENSIONS["category"], _term_rows(cells, "category", order="sort_order")),
        (DIMENSIONS["field"], _term_rows(cells, "field", order="sort_order")),
        (DIMENSIONS["party_type"], _term_rows(cells, "party_type", order="code")),
        (DIMENSIONS["buyer_region"], _buyer_rows(cells)),
        (DIMENSIONS["university"], _university_rows(cells)),
        (DIMENSIONS["channel"], channel),
    ]
    return _row(str(_("Total")), _total(cells)), sections


def _total(cells: dict) -> list[int]:
    return _sum(v for values in cells.get("month", {}).values() for v in values)


def _sum(values) -> list[int]:
    out = [0, 0, 0]
    for c, t, x in values:
        out[0] += c
        out[1] += t
        out[2] += x
    return out


def _row(label: str, v) -> Row:
    return Row(label, v[0], Decimal(v[1]) / 100, Decimal(v[2]) / 100)


def _visible_cells(user, scope: str) -> dict:
    """``{dimension: {key: [(count, total_fen, tech_fen), …]}}`` for what ``user`` (the bureau)
    may see in ``scope``: submitted contracts from the cells, drafts it may see one by one."""
    from xiake.contracts import rollup
    from xiake.contracts.models import ContractRollup, RegistrationStatus

    scope_q = SCOPES[scope][1]
    out: dict = {}
    cell_q = (
        ContractRollup.objects.exclude(status=RegistrationStatus.DRAFT)
        .filter(scope_q)
        .values("dimension", "key")
        .annotate(c=Sum("count"), t=Sum("total_fen"), x=Sum("tech_fen"))
        .order_by()
    )
    for r in cell_q:
        if r["c"]:
            out.setdefault(r["dimension"], {}).setdefault(r["key"], []).append(
                (r["c"], r["t"], r["x"])
            )
    drafts = rollup.fact_rows(
        base_queryset(user, scope).filter(status=RegistrationStatus.DRAFT).order_by()
    )
    for facts in drafts:
        total, tech = rollup.fen(facts["total_amount"]), rollup.fen(facts["tech_amount"])
        for dimension, key, _status, _online in rollup.cells(facts):
            out.setdefault(dimension, {}).setdefault(key, []).append((1, total, tech))
    return out


def _period_rows(cells: dict, period: str) -> list[Row]:
    groups: dict = {}
    for key, values in cells.get("month", {}).items():
        if not key:
            group = None
        else:
            y, m = divmod(key, 100)
            group = {"year": (y,), "quarter": (y, (m - 1) // 3 + 1), "month": (y, m)}[period]
        groups.setdefault(group, []).extend(values)
    fmt = {
        "year": lambda g: f"{g[0]}",
        "quarter": lambda g: f"{g[0]} Q{g[1]}",
        "month": lambda g: f"{g[0]}-{g[1]:02d}",
    }[period]
    keys = sorted(g for g in groups if g is not None) + ([None] if None in groups else [])
    return [_row(fmt(g) if g else "—", _sum(groups[g])) for g in keys]


def _term_rows(cells: dict, dimension: str, order: str) -> list[Row]:
    from xiake.taxonomy.models import Term

    by_key = cells.get(dimension, {})
    terms = {t.pk: t for t in Term.objects.filter(pk__in=[k for k in by_key if k])}
    rows = []
    for key, values in by_key.items():
        term = terms.get(key)
        if term is None:
            label, sort = "—", (1, "")
        elif dimension == "party_type":
            label, sort = f"{term.code} {term.name}", (0, term.code)
        else:
            label, sort = term.name, (0, getattr(term, order), term.code)
        rows.append((sort, _row(label, _sum(values))))
    return [r for _sort, r in sorted(rows, key=lambda x: x[0])]


def _orgs(by_key: dict, *fields) -> dict:
    from xiake.accounts.models import Organization

    ids = [k for k in by_key if k]
    found = {}
    for start in range(0, len(ids), 500):  # stay under the database's parameter limit
        for org in Organization.objects.filter(pk__in=ids[start : start + 500]).values(
            "pk", *fields
        ):
            found[org["pk"]] = org
    return found


def _buyer_rows(cells: dict) -> list[Row]:
    by_key = cells.get("buyer", {})
    orgs = _orgs(by_key, "is_local")
    groups: dict = {}
    for key, values in by_key.items():
        local = orgs[key]["is_local"] if key in orgs else None
        groups.setdefault(local, []).extend(values)
    return [
        _row(str(_("Local") if local else _("Outside the district")), _sum(groups[local]))
        for local in (True, False, None)
        if local in groups
    ]


def _university_rows(cells: dict) -> list[Row]:
    by_key = cells.get("seller", {})
    orgs = _orgs(by_key, "org_type", "name")
    by_name: dict = {}
    other: list = []
    for key, values in by_key.items():
        org = orgs.get(key)
        if org is not None and org["org_type"] == "university":
            by_name.setdefault(org["name"], []).extend(values)
        else:
            other.extend(values)
    rows = [_row(name, _sum(values)) for name, values in by_name.items()]
    rows.sort(key=lambda r: (-r.total, r.key))
    return [*rows, _row(str(_("Other sellers")), _sum(other))] if other else rows
