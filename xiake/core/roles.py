"""Roles of the people who use the platform, and the helpers that ask about them."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    BUREAU = "bureau", _("Bureau administrator")
    UNIVERSITY = "university", _("University transfer office")
    ENTERPRISE = "enterprise", _("Enterprise user")
    MANAGER = "manager", _("Technology manager")
    INSTITUTION = "institution", _("Institution reporter")
    EVALUATOR = "evaluator", _("Evaluator")
    PUBLIC = "public", _("Public visitor")
    # The three administrator roles of MLPS 2.0 (三员分立): each does one job and none can do
    # another's; none of them sees or edits business records.
    SYSTEM_ADMIN = "system_admin", _("System administrator")
    SECURITY_ADMIN = "security_admin", _("Security administrator")
    AUDIT_ADMIN = "audit_admin", _("Audit administrator")


ADMIN_ROLES = (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN)


def is_bureau(user) -> bool:
    """Bureau administrators (and superusers) see and may review everything."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser or getattr(user, "role", None) == Role.BUREAU)


def _has_role(user, role) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "role", None) == role)


def is_system_admin(user) -> bool:
    """Manages accounts, organisations and settings; reads no audit log, changes no security rule."""
    return _has_role(user, Role.SYSTEM_ADMIN)


def is_security_admin(user) -> bool:
    """Unlocks accounts, resets second factors, sets security rules; manages no accounts' data."""
    return _has_role(user, Role.SECURITY_ADMIN)


def is_audit_admin(user) -> bool:
    """Reads, searches and exports the audit log; can change nothing, the log included."""
    return _has_role(user, Role.AUDIT_ADMIN)


def role_of(user) -> str:
    if not getattr(user, "is_authenticated", False):
        return Role.PUBLIC
    if user.is_superuser:
        return Role.BUREAU
    return getattr(user, "role", Role.PUBLIC) or Role.PUBLIC


def organization_id_of(user):
    if not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "organization_id", None)
