"""The role home page: the panels :data:`xiake.portal.panels.ROLE_PANELS` lists for the user."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from xiake.core.roles import role_of
from xiake.portal import providers  # noqa: F401  (registers the panels)
from xiake.portal.panels import panels_for


@login_required
def my_home(request):
    """Where a user lands after logging in: each panel's content, computed for this user."""
    panels = [(p, p.provider(request.user)) for p in panels_for(request.user)]
    return render(
        request,
        "portal/home.html",
        {
            "panels": panels,
            "panel_keys": [p.key for p, _c in panels],
            "role": role_of(request.user),
        },
    )
