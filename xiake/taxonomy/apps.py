from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TaxonomyConfig(AppConfig):
    """Classification schemes and their terms, kept as versioned data."""

    name = "xiake.taxonomy"
    label = "taxonomy"
    verbose_name = _("Taxonomies")
    default_auto_field = "django.db.models.BigAutoField"
