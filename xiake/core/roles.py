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


def is_bureau(user) -> bool:
    """Bureau administrators (and superusers) see and may review everything."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser or getattr(user, "role", None) == Role.BUREAU)


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
