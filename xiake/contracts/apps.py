from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "xiake.contracts"
    label = "contracts"
    verbose_name = _("Technology contracts")

    def ready(self):
        from xiake.contracts import demo, panels, resources, rollup  # noqa: F401  (pages, API, panel)
        from xiake.demo.extensions import DemoStep, register

        rollup.connect()  # statistics cells follow deletes and imports

        register(DemoStep("contracts", generate=demo.generate, flush=demo.flush))


# Labels of this app's entries in core.navigation's menu, so that this app's catalogue holds them.
MENU_LABELS = (
    _("Technology contracts"),
    _("Registration deadlines"),
    _("Contract statistics"),
)
