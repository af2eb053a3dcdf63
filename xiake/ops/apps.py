from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    """Operations and security: backups and restores, password policy, lockout, session timeout."""

    name = "xiake.ops"
    label = "ops"
    verbose_name = _("Operations and security")
