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
        from xiake.matching import demo, duplicates, feed, views

        feed.connect()
        for provider in (views.triage_section, views.duplicates_section, views.detail_section):
            if provider not in core_views.detail_section_providers:
                core_views.detail_section_providers.append(provider)
        if duplicates.import_notices not in importer.row_notice_providers:
            importer.row_notice_providers.append(duplicates.import_notices)
        # a rebuild of every node's index (the demo bulk-creates records) and synthetic marks
        register(DemoStep("matching", generate=demo.generate, flush=demo.flush))
