from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BrokerageConfig(AppConfig):
    name = "xiake.brokerage"
    label = "brokerage"
    verbose_name = _("Docking cases")

    def ready(self):
        from xiake.brokerage import demo, resources, signals  # noqa: F401  (pages, API)
        from xiake.brokerage.policies import case_contact_grant
        from xiake.core.policies import contact_grant_providers
        from xiake.demo.extensions import DemoStep, register

        if case_contact_grant not in contact_grant_providers:
            contact_grant_providers.append(case_contact_grant)
        # docking outcomes are labels of the demand's matches (re-ranking, learned weights)
        from xiake.brokerage.models import docking_labels
        from xiake.matching.labels import outcome_providers

        if docking_labels not in outcome_providers:
            outcome_providers.append(docking_labels)
        signals.connect()
        register(DemoStep("brokerage", generate=demo.generate, flush=demo.flush))


MENU_LABELS = (
    _("Docking cases"),
    _("Case board"),
    _("Notifications"),
    _("Manager workload"),
    _("Conversion funnel"),
    _("Subscriptions"),
)
