"""The statistics brief's charts as PNG images (matplotlib, drawn on the server), embedded in both
the DOCX and the PDF.

No pyplot: each chart is its own ``Figure`` on an Agg canvas, so nothing global is switched and
two builds in one process do not share state. Chinese labels need a CJK font; Debian's
``fonts-noto-cjk`` (RUN_APT in the Makefile) provides Noto Sans CJK SC. Without any CJK font the
build stops with a message saying so, rather than drawing empty boxes.
"""

from __future__ import annotations

import io

from django.utils.translation import gettext as _

FONTS = ["Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "SimHei", "DejaVu Sans"]
SIZE = (6.4, 3.0)  # inches: 16 cm wide, the text width of an A4 page with 2.5 cm margins
DPI = 200
COLOURS = ("#2f6fb3", "#a9c4e4")  # the period, the same period last year


class ChartFontMissing(RuntimeError):
    """No font with Chinese glyphs is installed."""


def _font_check():
    from matplotlib import font_manager

    for name in FONTS[:-1]:
        try:
            font_manager.findfont(
                font_manager.FontProperties(family=name), fallback_to_default=False
            )
        except ValueError:
            continue
        return
    raise ChartFontMissing(
        _("No Chinese font is installed for the charts (install fonts-noto-cjk).")
    )


def _draw(paint) -> bytes:
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    _font_check()
    rc = {"font.family": "sans-serif", "font.sans-serif": FONTS, "axes.unicode_minus": False}
    with matplotlib.rc_context(rc):
        fig = Figure(figsize=SIZE, dpi=DPI, layout="constrained")
        FigureCanvasAgg(fig)
        paint(fig.add_subplot())
        out = io.BytesIO()
        fig.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def paired_bars(categories, now, before, now_label, before_label, unit="", labels=True) -> bytes:
    """Bars of the period beside the same period last year, one pair per category."""

    def paint(ax):
        width = 0.38
        xs = range(len(categories))
        left = [x - width / 2 for x in xs]
        right = [x + width / 2 for x in xs]
        a = ax.bar(left, now, width, label=now_label, color=COLOURS[0])
        b = ax.bar(right, before, width, label=before_label, color=COLOURS[1])
        if labels:
            for bars in (a, b):
                ax.bar_label(bars, fmt="{:,.0f}", fontsize=7, padding=1)
        ax.set_xticks(list(xs), categories, fontsize=8, rotation=30 if len(categories) > 12 else 0)
        ax.tick_params(axis="y", labelsize=8)
        if unit:
            ax.set_ylabel(unit, fontsize=8)
        ax.spines[["top", "right"]].set_visible(False)
        ax.legend(fontsize=8, frameon=False)

    return _draw(paint)


def funnel(stages, values) -> bytes:
    """The docking funnel: one centred bar per stage, widest first, with its count."""

    def paint(ax):
        top = max(values) or 1
        ys = list(range(len(stages)))[::-1]
        lefts = [(top - v) / 2 for v in values]
        bars = ax.barh(ys, values, left=lefts, color=COLOURS[1], height=0.7)
        ax.bar_label(bars, labels=[f"{v:,}" for v in values], label_type="center")
        ax.set_yticks(ys, stages, fontsize=9)
        ax.tick_params(axis="y", length=0)
        ax.set_xticks([])
        ax.set_xlim(0, top)
        ax.spines[["top", "right", "bottom", "left"]].set_visible(False)

    return _draw(paint)
