from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    """Operations and security: backups and restores, password policy, lockout, session timeout."""

    name = "xiake.ops"
    label = "ops"
    verbose_name = _("Operations and security")

    def ready(self):
        from django.conf import settings
        from django.db.models.signals import post_save

        from xiake.ops import (
            lockout,  # noqa: F401  (audits lockouts)
            middleware,  # noqa: F401  (connects the password-expiry login check)
        )
        from xiake.ops.passwords import record_initial_password

        post_save.connect(
            record_initial_password,
            sender=settings.AUTH_USER_MODEL,
            dispatch_uid="ops.record_initial_password",
        )
