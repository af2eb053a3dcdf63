from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MatchingConfig(AppConfig):
    name = "xiake.matching"
    label = "matching"
    verbose_name = _("Matching")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from xiake.core import views as core_views
        from xiake.demo.extensions import DemoStep, register
        from xiake.matching import feed, views

        feed.connect()
        for provider in (views.triage_section, views.duplicates_section, views.detail_section):
            if provider not in core_views.detail_section_providers:
                core_views.detail_section_providers.append(provider)
        # the demo generator bulk-creates records (no signals): ask every node to rebuild
        register(DemoStep("matching", generate=_demo_rebuild))


def _demo_rebuild(context) -> dict:
    from xiake.matching.feed import record_rebuild

    record_rebuild()
    return {}
