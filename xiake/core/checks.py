"""Start-up checks of the platform's own settings (``xiake check``; run by every command and server)."""

from django.conf import settings
from django.core.checks import Error, register

from xiake.core.auditdb import MIN_RETENTION_DAYS


@register("audit")
def audit_retention(app_configs=None, **kwargs):
    """MLPS 2.0 level 3 keeps the audit log at least six months: a shorter retention is refused."""
    days = getattr(settings, "AUDIT_RETENTION_DAYS", None)
    if isinstance(days, int) and days >= MIN_RETENTION_DAYS:
        return []
    return [
        Error(
            f"AUDIT_RETENTION_DAYS is {days!r}; the audit log must be kept at least "
            f"{MIN_RETENTION_DAYS} days (six months).",
            hint=f"Set AUDIT_RETENTION_DAYS to {MIN_RETENTION_DAYS} or more (default 365).",
            id="core.E001",
        )
    ]
