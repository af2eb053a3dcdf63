"""WSGI entry point for gunicorn."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiake.settings")
application = get_wsgi_application()

# gunicorn runs no system checks: a server with a settings error that MLPS forbids (an audit
# retention under six months) must not start at all.
from django.core import checks  # noqa: E402
from django.core.exceptions import ImproperlyConfigured  # noqa: E402

_errors = [e for e in checks.run_checks(tags=["audit"]) if e.is_serious()]
if _errors:
    raise ImproperlyConfigured("; ".join(f"{e.id}: {e.msg}" for e in _errors))
