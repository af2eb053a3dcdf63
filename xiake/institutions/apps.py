from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Menu labels (xiake.core.navigation) whose Chinese lives in this app's catalogue.
MENU_LABELS = (_("My institution"), _("Registry"))


class InstitutionsConfig(AppConfig):
    name = "xiake.institutions"
    label = "institutions"
    verbose_name = _("New R&D institutions")

    def ready(self):
        from xiake.demo.extensions import DemoStep, register
        from xiake.institutions import demo, resources  # noqa: F401  (registers pages and API)

        register(DemoStep("institutions", generate=demo.generate, flush=demo.flush))
