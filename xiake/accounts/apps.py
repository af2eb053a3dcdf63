from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "xiake.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from xiake.accounts import resources  # noqa: F401  (registers pages, API, import/export)
