from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TaxonomyConfig(AppConfig):
    """Classification schemes and their terms, kept as versioned data."""

    name = "xiake.taxonomy"
    label = "taxonomy"
    verbose_name = _("Taxonomies")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from xiake.taxonomy.api import invalidate_choices
        from xiake.taxonomy.models import Scheme, Term

        for model in (Scheme, Term):
            post_save.connect(invalidate_choices, sender=model, dispatch_uid=f"choices-{model}")
            post_delete.connect(invalidate_choices, sender=model, dispatch_uid=f"choices-d-{model}")
