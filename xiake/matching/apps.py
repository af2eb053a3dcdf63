from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MatchingConfig(AppConfig):
    name = "xiake.matching"
    label = "matching"
    verbose_name = _("Matching")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from xiake.core import importer
        from xiake.core import views as core_views
        from xiake.demo.extensions import DemoStep, register
        from xiake.matching import duplicates, feed, views

        feed.connect()
        for provider in (views.triage_section, views.duplicates_section, views.detail_section):
            if provider not in core_views.detail_section_providers:
                core_views.detail_section_providers.append(provider)
        if duplicates.import_notices not in importer.row_notice_providers:
            importer.row_notice_providers.append(duplicates.import_notices)
        # the demo generator bulk-creates records (no signals): ask every node to rebuild
        register(DemoStep("matching", generate=_demo_rebuild))


def _demo_rebuild(context) -> dict:
    from xiake.matching.feed import record_rebuild

    record_rebuild()
    return {}
