"""The district overview's map by park: parks at their coordinates, sized by the number of
institutions and coloured by their revenue, over an outline of the district drawn from the parks
themselves (no map data is downloaded or shipped: the outline is the parks' padded convex hull).

The chart is an ECharts option on longitude/latitude value axes, so it needs no registered map;
the same figures are in a table beside it for screen readers and printing.
"""

import math
from decimal import Decimal

from django.utils.translation import gettext as _

#: Degrees added around the outermost parks so that the outline encloses their circles.
OUTLINE_PAD = 0.02


def _cross(o, a, b) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def district_outline(points, pad: float = OUTLINE_PAD) -> list[list[float]]:
    """A closed ring [lng, lat] around ``points``: their convex hull pushed out by ``pad``."""
    pts = sorted({(float(x), float(y)) for x, y in points})
    if not pts:
        return []
    if len(pts) < 3:
        (x0, y0), (x1, y1) = pts[0], pts[-1]
        pts = [(x0, y0), (x1, y1), (x1 + 1e-9, y1 + 1e-9)]
    lower, upper = [], []
    for p in pts:  # Andrew's monotone chain
        while len(lower) >= 2 and _cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    for p in reversed(pts):
        while len(upper) >= 2 and _cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    hull = lower[:-1] + upper[:-1]
    cx = sum(x for x, _y in hull) / len(hull)
    cy = sum(y for _x, y in hull) / len(hull)
    ring = []
    for x, y in hull:
        d = math.hypot(x - cx, y - cy) or 1.0
        ring.append([round(x + (x - cx) / d * pad, 5), round(y + (y - cy) / d * pad, 5)])
    return [*ring, ring[0]]


def park_rows(institutions, revenue_by_institution: dict, parks) -> list[dict]:
    """One row per park named in the registry: coordinates (None when unknown), count, revenue."""
    places = {p.name: p for p in parks}
    rows: dict[str, dict] = {}
    for inst in institutions:
        name = inst.park or "—"
        place = places.get(name)
        row = rows.setdefault(
            name,
            {
                "name": name,
                "kind": place.get_kind_display() if place else "",
                "lat": place.latitude if place else None,
                "lng": place.longitude if place else None,
                "institutions": 0,
                "revenue": Decimal(0),
            },
        )
        row["institutions"] += 1
        row["revenue"] += revenue_by_institution.get(inst.pk) or Decimal(0)
    return sorted(rows.values(), key=lambda r: (-r["institutions"], -r["revenue"], r["name"]))


def park_map_option(rows: list[dict], top: int = 3) -> dict:
    """ECharts option: district outline, parks as circles (the ``top`` by revenue ripple)."""
    placed = [r for r in rows if r["lat"] is not None]
    if not placed:
        return {}
    most = max(r["institutions"] for r in placed)
    richest = max(float(r["revenue"]) for r in placed) or 1.0
    leaders = {r["name"] for r in sorted(placed, key=lambda r: -r["revenue"])[:top]}
    dimensions = [_("Longitude"), _("Latitude"), _("Institutions"), _("Revenue (10k yuan)")]

    def point(r):
        return {
            "name": r["name"],
            "value": [float(r["lng"]), float(r["lat"]), r["institutions"], float(r["revenue"])],
            "symbolSize": round(12 + 36 * math.sqrt(r["institutions"] / most), 1),
        }

    outline = district_outline([(r["lng"], r["lat"]) for r in placed])
    xs = [p[0] for p in outline]
    ys = [p[1] for p in outline]
    circles = {
        "dimensions": dimensions,
        "encode": {"x": 0, "y": 1, "tooltip": [2, 3]},
        "label": {"show": True, "formatter": "{b}", "position": "right", "fontSize": 11},
    }
    return {
        "tooltip": {"trigger": "item"},
        "grid": {"left": 48, "right": 24, "top": 24, "bottom": 40},
        "xAxis": {
            "type": "value",
            "name": _("Longitude"),
            "min": round(min(xs) - 0.01, 3),
            "max": round(max(xs) + 0.01, 3),
            "splitLine": {"show": False},
        },
        "yAxis": {
            "type": "value",
            "name": _("Latitude"),
            "min": round(min(ys) - 0.01, 3),
            "max": round(max(ys) + 0.01, 3),
            "splitLine": {"show": False},
        },
        "visualMap": {
            "type": "continuous",
            "dimension": 3,
            "seriesIndex": [1, 2],
            "min": 0,
            "max": round(richest, 2),
            "text": [_("Revenue (10k yuan)"), ""],
            "inRange": {"color": ["#9ecae1", "#08519c"]},
            "orient": "horizontal",
            "left": "center",
            "bottom": 0,
            "itemHeight": 80,
        },
        "series": [
            {
                "name": _("District (approximate outline of the parks)"),
                "type": "line",
                "data": outline,
                "symbol": "none",
                "silent": True,
                "lineStyle": {"type": "dashed", "color": "#adb5bd"},
            },
            {
                "name": _("Parks"),
                "type": "scatter",
                "data": [point(r) for r in placed if r["name"] not in leaders],
                **circles,
            },
            {
                "name": _("Parks with the highest revenue"),
                "type": "effectScatter",
                "rippleEffect": {"scale": 2.5},
                "data": [point(r) for r in placed if r["name"] in leaders],
                **circles,
            },
        ],
    }
