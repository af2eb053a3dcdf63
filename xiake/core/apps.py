from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "xiake.core"
    label = "core"
    verbose_name = _("Platform")

    def ready(self):
        from xiake.core import (
            calendar,  # noqa: F401  (registers the holiday calendar's pages and API)
            changelog,  # noqa: F401  (connects the audit signal handlers)
            checks,  # noqa: F401  (registers the start-up checks)
            pagecache,
        )

        pagecache.connect()
