"""Number formats of the dashboard: counts with thousands separators, money with two places."""

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def figure(value, unit=""):
    """``12,345`` for counts, ``1,234.50`` for money; ``—`` when the figure does not apply."""
    if value is None:
        return "—"
    if unit or isinstance(value, (Decimal, float)):
        return f"{Decimal(value):,.2f}"
    return f"{value:,}"


@register.filter
def change(value):
    """A relative change as ``+12.3%``; ``—`` when there is nothing to compare with."""
    if value is None:
        return "—"
    return f"{value:+.1f}%"


@register.filter
def trend(value):
    """The Bootstrap text colour of a change."""
    if value is None or abs(value) < 0.05:
        return "text-body-secondary"
    return "text-success" if value > 0 else "text-danger"
