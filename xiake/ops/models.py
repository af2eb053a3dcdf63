from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PasswordHistory(models.Model):
    """One password a user has had, stored as the hash already in ``User.password`` (never in clear).

    The newest row of a user also dates their current password, which is what the expiry counts
    from. Rows are written by ``PasswordHistoryValidator.password_changed`` on every save that sets
    a password, and pruned to the configured history length.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="password_history"
    )
    encoded = models.CharField(_("password hash"), max_length=256)
    created_at = models.DateTimeField(_("set at"), db_index=True)

    class Meta:
        verbose_name = _("previous password")
        verbose_name_plural = _("previous passwords")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.user_id} @ {self.created_at:%Y-%m-%d}"
