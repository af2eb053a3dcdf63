"""ECharts option objects of the dashboard (data only; ``app.js`` draws them and
``dashboard.js`` follows a clicked bar or funnel layer to its drill-down)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from xiake.dashboard.periods import Period


def _number(value) -> float:
    return float(value or 0)


def libraries(lines, period: Period) -> dict:
    """Records published per library: this period beside the same period last year."""
    from xiake.dashboard.views import drill_url

    rows = [line for line in lines if line.figure.group == "libraries"]
    last_year = period.same_period_last_year()
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {},
        "grid": {"containLabel": True, "left": 8, "right": 8},
        "xAxis": {"type": "category", "data": [str(r.figure.label) for r in rows]},
        "yAxis": {"type": "value"},
        "series": [
            {
                "type": "bar",
                "name": period.label,
                "data": [
                    {"value": r.current, "url": drill_url(r.figure.key, period)} for r in rows
                ],
            },
            {
                "type": "bar",
                "name": last_year.label,
                "data": [
                    {"value": r.last_year, "url": drill_url(r.figure.key, last_year)} for r in rows
                ],
            },
        ],
    }


def funnel(lines, period: Period) -> dict:
    """The docking funnel of the period: demands published → matched → case → signed."""
    from xiake.dashboard.views import drill_url

    rows = [line for line in lines if line.figure.group == "docking"]
    return {
        "tooltip": {"trigger": "item"},
        "series": [
            {
                "type": "funnel",
                "sort": "none",
                "left": "10%",
                "width": "80%",
                "label": {"show": True, "position": "inside"},
                "data": [
                    {
                        "name": str(r.figure.label).lstrip("… "),
                        "value": r.current,
                        "url": drill_url(r.figure.key, period),
                    }
                    for r in rows
                ],
            }
        ],
    }


def registered_by_month(user, period: Period, fresh: bool = False):
    """Registered 成交额 per month in 10k yuan from the contract statistics: the period's month
    labels, their values, and the values of the same months last year (the charts of the page
    and of the statistics brief both draw these)."""
    from xiake.contracts import stats
    from xiake.dashboard.figures import cached, contract_queryset

    def by_month(p: Period) -> dict[str, float]:
        def compute():
            rows = stats.grouped(contract_queryset(user, p, "registered"), "month")
            return {r.key: _number(r.total) / 10000 for r in rows}

        return cached(user, "registered-by-month", p, compute, fresh)

    last_year = period.same_period_last_year()
    now, before = by_month(period), by_month(last_year)
    months, earlier = period.month_labels(), last_year.month_labels()
    return (
        months,
        [round(now.get(m, 0.0), 2) for m in months],
        [round(before.get(m, 0.0), 2) for m in earlier],
    )


def month_axis(period: Period, months) -> list[str]:
    """Month labels without the year when the period lies in one year."""
    return [m[5:] if period.first.year == period.last.year else m for m in months]


def contracts_by_month(user, period: Period, fresh: bool = False) -> dict:
    """Registered 成交额 per month (10k yuan), this period and the same months last year; a bar
    leads to that month's registered contracts."""
    from xiake.dashboard.views import drill_url

    last_year = period.same_period_last_year()
    months, now, before = registered_by_month(user, period, fresh)

    def series(name, values, p):
        return {
            "type": "bar",
            "name": name,
            "data": [
                {"value": v, "url": drill_url("registered_total", Period(m, m))}
                for v, m in zip(values, p.months(), strict=True)
            ],
        }

    return {
        "tooltip": {"trigger": "axis"},
        "legend": {},
        "grid": {"containLabel": True, "left": 8, "right": 8},
        "xAxis": {"type": "category", "data": month_axis(period, months)},
        "yAxis": {"type": "value", "name": _("10k yuan")},
        "series": [
            series(period.label, now, period),
            series(last_year.label, before, last_year),
        ],
    }
