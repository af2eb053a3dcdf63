"""The main menu, declared as data, and the context processor that hands it to every page.

To add an entry, add a :class:`MenuItem` to a group in :data:`MENU` with the URL name of its view
and the roles that may see it. Nothing else needs wiring: ``base.html`` renders ``nav_menu``.

Visibility here is a convenience, not a permission: each view still checks access itself (a hidden
menu item must never be the only thing keeping a user out).

Role values are the strings of ``xiake.core.roles.Role``, repeated here so that the menu imports
nothing from the layers it links to. Superusers count as ``bureau``; a logged-in user whose role
is empty or unknown counts as ``public``, the least privileged role; visitors who are not logged
in get the pseudo-role ``anonymous``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from django.conf import settings
from django.core.signals import setting_changed
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

BUREAU = "bureau"  # 科技局管理员
UNIVERSITY = "university"  # 高校转移办
ENTERPRISE = "enterprise"  # 企业用户
MANAGER = "manager"  # 技术经理人
INSTITUTION = "institution"  # 新型研发机构填报员
EVALUATOR = "evaluator"  # 第三方评估员
PUBLIC = "public"  # 公众访客
ANONYMOUS = "anonymous"  # not logged in; not a value of Role
SYSTEM_ADMIN = "system_admin"  # 系统管理员
SECURITY_ADMIN = "security_admin"  # 安全管理员
AUDIT_ADMIN = "audit_admin"  # 审计管理员 (MLPS 三员): the audit log and nothing else

# The three administrators (三员分立) see only their own pages, none of the business menus.
ADMINS = frozenset({SYSTEM_ADMIN, SECURITY_ADMIN, AUDIT_ADMIN})
ROLES = (
    frozenset({BUREAU, UNIVERSITY, ENTERPRISE, MANAGER, INSTITUTION, EVALUATOR, PUBLIC}) | ADMINS
)
EVERYONE = ROLES - ADMINS | {ANONYMOUS}
LOGGED_IN = ROLES - ADMINS
MEMBERS = LOGGED_IN - {PUBLIC}  # logged-in users who act for an organisation


@dataclass(frozen=True)
class MenuItem:
    """One link: a label, the URL name of its view, a Bootstrap Icons name, who sees it."""

    label: str
    url_name: str
    icon: str
    roles: frozenset[str]


@dataclass(frozen=True)
class MenuGroup:
    """A dropdown in the navbar. Groups with no visible item are left out."""

    key: str
    label: str
    icon: str
    items: tuple[MenuItem, ...]


MENU: tuple[MenuGroup, ...] = (
    MenuGroup(
        "workspace",
        _("My workspace"),
        "house",
        (
            MenuItem(_("My home"), "portal:my", "house", LOGGED_IN),
            MenuItem(
                _("District dashboard"), "dashboard:index", "speedometer2", frozenset({BUREAU})
            ),
        ),
    ),
    MenuGroup(
        "libraries",
        _("Resource libraries"),
        "collection",
        (
            MenuItem(_("Portal"), "portal:public", "globe", EVERYONE),
            MenuItem(_("News desk"), "portal:newsitem_list", "newspaper", frozenset({BUREAU})),
            MenuItem(_("Achievements"), "catalog:achievement_list", "lightbulb", EVERYONE),
            MenuItem(_("Technology demands"), "catalog:demand_list", "megaphone", EVERYONE),
            MenuItem(_("Experts"), "catalog:expert_list", "person-badge", EVERYONE),
            MenuItem(_("Research platforms"), "catalog:platform_list", "building-gear", EVERYONE),
            MenuItem(_("Search and matching"), "matching:search", "search", EVERYONE),
            MenuItem(_("Possible duplicates"), "matching:duplicates", "files", frozenset({BUREAU})),
            MenuItem(
                _("Demand triage"),
                "matching:triage",
                "clipboard-pulse",
                frozenset({BUREAU, MANAGER}),
            ),
            MenuItem(_("Intermediary agencies"), "catalog:agency_list", "briefcase", MEMBERS),
            MenuItem(_("Transfer staff"), "catalog:transferstaff_list", "people", MEMBERS),
        ),
    ),
    MenuGroup(
        "docking",
        _("University–local docking"),
        "mortarboard",
        (
            MenuItem(_("Universities"), "catalog:university_list", "mortarboard", MEMBERS),
            MenuItem(_("Alliance members"), "catalog:alliancemember_list", "diagram-3", MEMBERS),
            MenuItem(
                _("Docking assignments"), "liaison:assignment_list", "person-lines-fill", MEMBERS
            ),
            MenuItem(
                _("Contact logs"), "liaison:contactlog_list", "telephone", frozenset({BUREAU})
            ),
            MenuItem(_("Docking coverage"), "liaison:coverage", "geo-alt", frozenset({BUREAU})),
            MenuItem(_("Joint meetings"), "liaison:jointmeeting_list", "people-fill", MEMBERS),
            MenuItem(_("Overdue tasks"), "liaison:task_overdue", "alarm", MEMBERS),
            MenuItem(_("Events"), "liaison:event_list", "calendar-event", EVERYONE),
            MenuItem(_("Enterprises served"), "liaison:served", "graph-up", frozenset({BUREAU})),
            MenuItem(_("Policy library"), "liaison:policydocument_list", "journal-text", EVERYONE),
            MenuItem(
                _("Policy consultations"), "liaison:consultation_list", "chat-left-dots", MEMBERS
            ),
            MenuItem(_("Financing needs"), "liaison:financingneed_list", "cash-coin", MEMBERS),
            MenuItem(_("Roadshow sessions"), "liaison:roadshowsession_list", "easel", MEMBERS),
            MenuItem(_("Fund alliance"), "liaison:investor_list", "bank", MEMBERS),
            MenuItem(_("Investments"), "liaison:investment_list", "graph-up-arrow", MEMBERS),
            MenuItem(_("Achievement compilations"), "liaison:compilationjob_list", "book", MEMBERS),
            MenuItem(_("Funding calls"), "liaison:fundingcall_list", "megaphone", EVERYONE),
            MenuItem(
                _("Funding applications"),
                "liaison:fundingapplication_list",
                "file-earmark-text",
                MEMBERS,
            ),
            MenuItem(
                _("Eligibility hints"), "liaison:enterpriseprofile_list", "building-check", MEMBERS
            ),
        ),
    ),
    MenuGroup(
        "institutions",
        _("New R&D institutions"),
        "buildings",
        (
            MenuItem(_("My institution"), "institutions:home", "house", frozenset({INSTITUTION})),
            MenuItem(
                _("Registry"),
                "institutions:institution_list",
                "buildings",
                frozenset({BUREAU, INSTITUTION, EVALUATOR}),
            ),
            MenuItem(
                _("District overview"), "institutions:overview", "bar-chart", frozenset({BUREAU})
            ),
            MenuItem(
                _("Monthly reporting"), "institutions:months", "calendar3", frozenset({BUREAU})
            ),
            MenuItem(
                _("Early warnings"),
                "institutions:earlywarning_list",
                "exclamation-triangle",
                frozenset({BUREAU, INSTITUTION}),
            ),
            MenuItem(
                _("Tiered cultivation"),
                "institutions:tiers",
                "bar-chart-steps",
                frozenset({BUREAU}),
            ),
            MenuItem(
                _("Evaluation rounds"),
                "institutions:rounds",
                "award",
                frozenset({BUREAU, INSTITUTION, EVALUATOR}),
            ),
        ),
    ),
    MenuGroup(
        "brokerage",
        _("Docking cases"),
        "arrow-left-right",
        (
            MenuItem(_("Docking cases"), "brokerage:dockingcase_list", "arrow-left-right", MEMBERS),
            MenuItem(_("Case board"), "brokerage:board", "kanban", MEMBERS),
            MenuItem(
                _("Manager workload"),
                "brokerage:workload",
                "person-workspace",
                frozenset({BUREAU, MANAGER}),
            ),
            MenuItem(
                _("Conversion funnel"), "brokerage:funnel", "funnel", frozenset({BUREAU, MANAGER})
            ),
            MenuItem(_("Notifications"), "brokerage:notifications", "bell", LOGGED_IN),
            MenuItem(_("Subscriptions"), "brokerage:subscriptions", "bookmark-star", LOGGED_IN),
        ),
    ),
    MenuGroup(
        "contracts",
        _("Technology contracts"),
        "file-earmark-text",
        (
            MenuItem(
                _("Technology contracts"),
                "contracts:techcontract_list",
                "file-earmark-text",
                frozenset({BUREAU, UNIVERSITY, ENTERPRISE, INSTITUTION}),
            ),
            MenuItem(
                _("Registration deadlines"),
                "contracts:deadlines",
                "alarm",
                frozenset({BUREAU, UNIVERSITY, ENTERPRISE, INSTITUTION}),
            ),
            MenuItem(
                _("Contract statistics"),
                "contracts:statistics",
                "bar-chart",
                frozenset({BUREAU, UNIVERSITY, ENTERPRISE, INSTITUTION}),
            ),
        ),
    ),
    MenuGroup(
        "admin",
        _("Administration"),
        "gear",
        (
            MenuItem(
                _("Organizations"),
                "accounts:organization_list",
                "buildings",
                frozenset({BUREAU, SYSTEM_ADMIN}),
            ),
            MenuItem(
                _("Audit log"), "core:changerecord_list", "clock-history", frozenset({AUDIT_ADMIN})
            ),
            MenuItem(_("Holiday calendar"), "core:holiday_list", "calendar-x", frozenset({BUREAU})),
            MenuItem(_("User accounts"), "accounts:user_list", "people", frozenset({SYSTEM_ADMIN})),
            MenuItem(_("Locked accounts"), "ops:lockouts", "lock", frozenset({SECURITY_ADMIN})),
            MenuItem(
                _("Second factors"),
                "ops:second_factors",
                "shield-lock",
                frozenset({SECURITY_ADMIN}),
            ),
            MenuItem(
                _("Security settings"),
                "ops:security_settings",
                "sliders",
                frozenset({SECURITY_ADMIN}),
            ),
            MenuItem(_("API documentation"), "api-docs", "code-square", LOGGED_IN),
        ),
    ),
)


@dataclass(frozen=True)
class _ResolvedItem:
    label: str
    url: str
    url_name: str
    icon: str


@dataclass(frozen=True)
class _ResolvedGroup:
    key: str
    label: str
    icon: str
    items: tuple[_ResolvedItem, ...]


_cache: dict[tuple[str, str, str], tuple[_ResolvedGroup, ...]] = {}
# The rendered dropdowns per role, language, URLconf and active item: the template loop over
# thirty items cost more than a list page's query, and its output never changes between requests.
_html_cache: dict[tuple, str] = {}
_cache_lock = threading.Lock()


def user_role(user) -> str:
    """The role whose menu ``user`` sees (see the module docstring for the fallbacks)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    if getattr(user, "is_superuser", False):
        return BUREAU
    role = str(getattr(user, "role", "") or "")
    return role if role in ROLES else PUBLIC


def _reverse_or_none(url_name: str) -> str | None:
    try:
        return reverse(url_name)
    except NoReverseMatch:
        # The app is not installed or not built yet: leave the item out rather than break pages.
        return None


def _resolve(role: str) -> tuple[_ResolvedGroup, ...]:
    groups = []
    for group in MENU:
        items = []
        for item in group.items:
            if role not in item.roles:
                continue
            url = _reverse_or_none(item.url_name)
            if url is not None:
                items.append(_ResolvedItem(item.label, url, item.url_name, item.icon))
        if items:
            groups.append(_ResolvedGroup(group.key, group.label, group.icon, tuple(items)))
    return tuple(groups)


def menu_for_role(role: str) -> tuple[_ResolvedGroup, ...]:
    """The resolved menu of ``role``, computed once per role, URLconf and script prefix.

    Labels stay lazy, so one cached menu serves every language.
    """
    key = (role, str(get_urlconf() or settings.ROOT_URLCONF), get_script_prefix())
    menu = _cache.get(key)
    if menu is None:
        menu = _resolve(role)
        with _cache_lock:
            _cache[key] = menu
    return menu


def clear_menu_cache(**kwargs) -> None:
    """Forget resolved menus (tests that change URLconfs or the menu call this)."""
    with _cache_lock:
        _cache.clear()
        _html_cache.clear()


setting_changed.connect(clear_menu_cache, dispatch_uid="xiake.core.navigation.clear_menu_cache")


def _is_under(url: str, path: str) -> bool:
    if url == path:
        return True
    return url != "/" and url.endswith("/") and path.startswith(url)


def navigation(request) -> dict:
    """Context processor: ``nav_menu`` for the navbar and ``nav_role`` for templates.

    ``nav_menu`` is a list of groups ``{"key", "label", "icon", "active", "items"}``; each item is
    ``{"label", "url", "url_name", "icon", "active"}``. The active item is the one whose URL is the
    longest prefix of the current path.
    """
    role = user_role(getattr(request, "user", None))
    groups = menu_for_role(role)
    path = getattr(request, "path", "")
    candidates = [item.url for group in groups for item in group.items if _is_under(item.url, path)]
    active_url = max(candidates, key=len) if candidates else None
    nav_menu = []
    for group in groups:
        items = [
            {
                "label": item.label,
                "url": item.url,
                "url_name": item.url_name,
                "icon": item.icon,
                "active": item.url == active_url,
            }
            for item in group.items
        ]
        nav_menu.append(
            {
                "key": group.key,
                "label": group.label,
                "icon": group.icon,
                "active": any(item["active"] for item in items),
                "items": items,
            }
        )
    html_key = (role, get_language(), str(get_urlconf()), get_script_prefix(), active_url)
    html = _html_cache.get(html_key)
    if html is None:
        html = render_to_string("includes/nav_menu.html", {"nav_menu": nav_menu})
        with _cache_lock:
            _html_cache[html_key] = html
    return {"nav_menu": nav_menu, "nav_menu_html": mark_safe(html), "nav_role": role}
