"""Rate limits: one mechanism for login, search, the API and public forms (issue #8).

A limit is ``N/seconds`` per *scope* (``settings.RATE_LIMIT_RULES``) and per *key* (an IP address,
a user id, a username). Counters are fixed windows in the ``ratelimit`` cache, which every app
process shares: Redis in the scale-out deployment (``incr`` is atomic there), a file cache of its
own in the embedded run (one machine; ``incr`` may lose a count under a race, never block wrongly).

Where limits apply:

* ``RateLimitMiddleware`` (pages): the views named in ``settings.RATE_LIMITED_VIEWS`` (login and
  the token endpoint: per IP and per username, POST only; search pages: per user, or per IP for a
  visitor) and every POST to a view of the ``portal`` namespace (public forms, per IP).
* ``ApiThrottle`` (DRF's ``DEFAULT_THROTTLE_CLASSES``): every API request, per user (per IP for
  anonymous), plus the scopes RATE_LIMITED_VIEWS gives the API view (search).

A request over a limit answers 429 with ``Retry-After`` (seconds) and a message in the user's
language: a page, or ``{"detail": …}`` for the API. ``RATE_LIMITS=0`` turns everything off
(benchmarks and load tests).
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from rest_framework.throttling import BaseThrottle


@dataclass(frozen=True)
class Rule:
    """At most ``limit`` requests per ``window`` seconds."""

    limit: int
    window: int

    @classmethod
    def parse(cls, scope: str, text: str) -> Rule:
        try:
            limit, window = (int(part) for part in str(text).split("/"))
        except ValueError:
            raise ImproperlyConfigured(
                f"RATE_LIMIT_RULES[{scope!r}] = {text!r}: write requests/seconds, e.g. 10/60"
            ) from None
        if limit < 1 or window < 1:
            raise ImproperlyConfigured(f"RATE_LIMIT_RULES[{scope!r}] = {text!r}: both must be ≥ 1")
        return cls(limit, window)


@lru_cache(maxsize=1)
def rules() -> dict[str, Rule]:
    return {scope: Rule.parse(scope, text) for scope, text in settings.RATE_LIMIT_RULES.items()}


@receiver(setting_changed)
def _reset(setting, **kwargs):
    if setting in ("RATE_LIMIT_RULES", "RATE_LIMITS_ENABLED", "RATE_LIMITED_VIEWS"):
        rules.cache_clear()


def counters():
    """The cache alias ``ratelimit`` when configured (settings.py: Redis, or a file cache of its
    own in the embedded run), else the default cache (tests)."""
    return caches["ratelimit" if "ratelimit" in settings.CACHES else "default"]


def enabled() -> bool:
    return settings.RATE_LIMITS_ENABLED


def client_ip(request) -> str:
    """The client's address. Behind RATE_LIMIT_PROXIES trusted proxies (nginx), the address that
    the nearest of them saw, taken from X-Forwarded-For counted from the right (a client can
    prepend anything, but not what the proxies append)."""
    proxies = settings.RATE_LIMIT_PROXIES
    if proxies:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def hit(scope: str, key: str) -> int | None:
    """Count one request of ``key`` in ``scope``; the seconds to wait when over the limit.

    A window opens at the key's first request and lasts ``window`` seconds (so a burst cannot
    straddle two windows of a clock-aligned counter and pass twice the limit)."""
    rule = rules().get(scope)
    if rule is None:
        return None
    now = time.time()
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]  # keys hold usernames: never in clear
    counter, opened = f"rl:{scope}:{digest}", f"rl:{scope}:{digest}:t"
    cache = counters()
    # one incr() per request while the window is open (atomic on Redis and locmem); the first
    # request of a window opens it with add(), which only one of two racing requests wins
    try:
        count = cache.incr(counter)
    except ValueError:  # no open window
        if cache.add(counter, 1, timeout=rule.window):
            cache.set(opened, now, timeout=rule.window)
            count = 1
        else:
            count = cache.incr(counter)
    if count > rule.limit:
        started = cache.get(opened) or now
        return max(1, math.ceil(started + rule.window - now))
    return None


def check(request, scopes) -> int | None:
    """Count the request in each of ``scopes``; the longest wait if any is exceeded."""
    waits = []
    for scope in scopes:
        for key in _keys(request, scope):
            wait = hit(scope, key)
            if wait:
                waits.append(wait)
    return max(waits) if waits else None


def _keys(request, scope: str) -> list[str]:
    if scope == "login":
        # an address trying many accounts, and an account tried from many addresses
        keys = [f"ip:{client_ip(request)}"]
        username = (request.POST.get("username") or "").strip().lower()
        if username:
            keys.append(f"user:{username}")
        return keys
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return [f"uid:{user.pk}"]
    return [f"ip:{client_ip(request)}"]


def too_many_requests(request, wait: int):
    """The 429 answer: JSON for the API (and htmx/fetch asking for JSON), a page otherwise."""
    message = _("Too many requests. Please try again in %(seconds)d seconds.") % {"seconds": wait}
    if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = render(request, "429.html", {"message": message, "wait": wait}, status=429)
    response["Retry-After"] = str(wait)
    return response


class RateLimitMiddleware:
    """Applies the page limits (login, search, public forms) before the view runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not enabled() or request.resolver_match is None:
            return None
        scopes = scopes_for(request)
        if not scopes:
            return None
        wait = check(request, scopes)
        return too_many_requests(request, wait) if wait else None


def scopes_for(request) -> list[str]:
    match = request.resolver_match
    declared = settings.RATE_LIMITED_VIEWS.get(match.view_name, ())
    if request.path.startswith("/api/"):
        # API views are counted by ApiThrottle once DRF knows the token's user; only the login
        # scope (the token endpoint, which has no user yet) is counted here
        return ["login"] if "login" in declared and request.method == "POST" else []
    scopes = [
        scope
        for scope in declared
        # login counts attempts (POST); a search counts every request
        if not (scope == "login" and request.method != "POST")
    ]
    if request.method == "POST" and "portal" in match.namespaces:
        scopes.append("form")
    return scopes


class ApiThrottle(BaseThrottle):
    """DRF throttle on the same counters: ``api`` per user (per IP for anonymous), plus the scopes
    RATE_LIMITED_VIEWS declares for the API view (the search API adds ``search``)."""

    def allow_request(self, request, view):
        self.wait_seconds = None
        if not enabled():
            return True
        match = getattr(request, "resolver_match", None)
        declared = settings.RATE_LIMITED_VIEWS.get(match.view_name, ()) if match else ()
        scopes = ["api", *(scope for scope in declared if scope != "login")]
        self.wait_seconds = check(request, scopes)
        return self.wait_seconds is None

    def wait(self):
        return self.wait_seconds
