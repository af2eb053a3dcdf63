from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "xiake.catalog"
    label = "catalog"
    verbose_name = _("Resource libraries")

    def ready(self):
        from xiake.catalog import resources  # noqa: F401  (registers pages, API, import/export)
