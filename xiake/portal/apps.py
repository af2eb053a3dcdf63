from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "xiake.portal"
    label = "portal"
    verbose_name = _("Portal")


MENU_LABELS = (_("My workspace"), _("My home"))
