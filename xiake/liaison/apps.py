from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LiaisonConfig(AppConfig):
    name = "xiake.liaison"
    label = "liaison"
    verbose_name = _("University–local docking")

    def ready(self):
        from xiake.liaison import resources  # noqa: F401  (registers pages, API, import/export)

        try:
            from xiake.demo.extensions import DemoStep, register
        except ImportError:  # pragma: no cover - the demo app is optional
            return
        from xiake.liaison import demo

        register(DemoStep("liaison", generate=demo.generate, flush=demo.flush))


# Labels of this app's entries in core.navigation's menu, so that this app's catalogue holds them.
MENU_LABELS = (
    _("Docking assignments"),
    _("Contact logs"),
    _("Docking coverage"),
    _("Joint meetings"),
    _("Overdue tasks"),
    _("Events"),
    _("Enterprises served"),
    _("Policy library"),
    _("Policy consultations"),
    _("Financing needs"),
    _("Roadshow sessions"),
    _("Fund alliance"),
    _("Investments"),
    _("Achievement compilations"),
    _("Funding calls"),
    _("Funding applications"),
    _("Eligibility hints"),
)
