from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "xiake.dashboard"
    label = "dashboard"
    verbose_name = _("District dashboard")

    def ready(self):
        from xiake.dashboard import panels  # noqa: F401  (the bureau's home panel)


MENU_LABELS = (_("District dashboard"),)
