from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "xiake.portal"
    label = "portal"
    verbose_name = _("Portal")

    def ready(self):
        from xiake.portal import resources  # noqa: F401  (registers the news desk's pages)

        try:
            from xiake.demo.extensions import DemoStep, register
        except ImportError:  # pragma: no cover - the demo app is optional
            return
        from xiake.portal import demo

        register(DemoStep("portal", generate=demo.generate, flush=demo.flush))


MENU_LABELS = (_("My workspace"), _("My home"), _("News desk"))
