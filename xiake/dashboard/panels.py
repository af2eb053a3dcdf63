"""The bureau's home panel: a few headline figures of this year so far against last year's,
each linked to its drill-down (the dashboard has them all)."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiake.dashboard.figures import BY_KEY, Line, values
from xiake.dashboard.periods import year_to_date
from xiake.dashboard.templatetags.dashboard import change, figure
from xiake.portal.panels import Item, PanelContent, register

HOME_FIGURES = (
    "registered_total",
    "registered_count",
    "served",
    "events",
    "funnel_published",
    "achievements",
)


@register("district_figures", gettext_lazy("District figures this year"), "speedometer2")
def district_figures(user) -> PanelContent:
    from xiake.dashboard.views import drill_url

    period = year_to_date(timezone.localdate())
    data = values(user, period)  # the dashboard's own (cached) figures for this year so far
    items = []
    for key in HOME_FIGURES:
        f = BY_KEY[key]
        now, _previous, before = data[key]
        delta = Line.change(now, before)
        unit = f" {f.unit}" if f.unit else ""
        items.append(
            Item(
                str(f.label),
                drill_url(key, period),
                _("%(now)s%(unit)s; same period last year %(before)s")
                % {"now": figure(now, f.unit), "unit": unit, "before": figure(before, f.unit)},
                change(delta),
                "success" if (delta or 0) > 0 else ("danger" if (delta or 0) < 0 else "light"),
            )
        )
    return PanelContent(
        items=items, more_url=reverse("dashboard:index"), empty=_("No figures yet.")
    )
