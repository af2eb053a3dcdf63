"""A per-address counter in the shared cache for the portal's forms (registration, cancelling).

Small on purpose: one fixed one-hour window per address and form. The platform-wide rate limits
(``RATE_LIMITS``) are a separate mechanism; this one holds even where those are switched off,
because a public form that writes rows needs a bound of its own.
"""

import time

from django.conf import settings
from django.core.cache import cache

from xiake.core.middleware import client_ip

WINDOW = 3600


def _key(request, bucket: str) -> str:
    window = int(time.time() // WINDOW)
    return f"xiake:portal:attempts:{bucket}:{client_ip(request) or '-'}:{window}"


def exceeded(request, bucket: str) -> bool:
    """Count one attempt; True once the address has used up its attempts of this hour."""
    limit = settings.PORTAL_ATTEMPTS_PER_HOUR
    if limit <= 0:
        return False
    key = _key(request, bucket)
    if cache.add(key, 1, WINDOW):
        return False
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, WINDOW)
        return False
    return count > limit
