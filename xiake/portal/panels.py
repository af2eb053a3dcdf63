"""Role home pages as data: which panels each role sees, and the registry of panel providers.

A panel is a title, an icon and a *provider*: a small function ``provider(user) -> PanelContent``
that asks the app owning the data for the rows the user may see (always through
``Model.objects.restrict``). :data:`ROLE_PANELS` lists the panel keys of every role in order;
nothing else decides what a role's home page shows. Apps add panels with :func:`register`
(the dashboard app registers the bureau's district figures this way), so the portal imports
no app it does not need.

Panels are a convenience: each provider still scopes its rows to the user, so a panel listed for
the wrong role would show that user's own (usually empty) data, never another's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from xiake.core.roles import Role, role_of


@dataclass(frozen=True)
class Item:
    """One row of a panel: a text, optionally a link, a note and a status badge."""

    text: str
    url: str | None = None
    note: str = ""
    badge: str = ""
    badge_class: str = "secondary"


@dataclass
class PanelContent:
    """What a provider returns: key figures, rows and a link to the full list."""

    items: list[Item] = field(default_factory=list)
    figures: list[tuple[str, object]] = field(default_factory=list)
    more_url: str | None = None
    empty: str = ""


@dataclass(frozen=True)
class Panel:
    """A panel declaration: ``key`` names it in :data:`ROLE_PANELS`."""

    key: str
    title: str
    icon: str
    provider: Callable[..., PanelContent]


#: The panels of each role, in page order. Roles absent here (or a user with no role) get
#: the ``public`` panels.
ROLE_PANELS: dict[str, tuple[str, ...]] = {
    Role.BUREAU: ("district_figures", "pending_reviews"),
    Role.ENTERPRISE: ("my_demands", "demand_matches", "upcoming_events", "my_consultations"),
    Role.UNIVERSITY: ("my_achievements", "my_cases", "my_contracts", "my_compilations"),
    Role.MANAGER: ("case_board", "assigned_demands"),
    Role.INSTITUTION: ("month_report", "my_warnings"),
    Role.EVALUATOR: ("my_assignments",),
    Role.PUBLIC: ("upcoming_events", "latest_achievements"),
}

_registry: dict[str, Panel] = {}


def register(key: str, title, icon: str):
    """Decorator: register ``provider`` as the panel ``key``."""

    def decorate(provider):
        _registry[key] = Panel(key, title, icon, provider)
        return provider

    return decorate


def panel(key: str) -> Panel | None:
    return _registry.get(key)


def panels_for(user) -> list[Panel]:
    """The registered panels of the user's role, in :data:`ROLE_PANELS` order."""
    role = role_of(user)
    keys = ROLE_PANELS.get(role, ROLE_PANELS[Role.PUBLIC])
    return [_registry[k] for k in keys if k in _registry]


EMPTY = _("Nothing here yet.")
