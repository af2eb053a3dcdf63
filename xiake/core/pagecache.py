"""Cached list answers for anonymous visitors.

Every anonymous visitor sees the same published rows for the same URL, so the list page and the
API list are kept in the shared cache, keyed by the library's *generation*: any save, delete,
many-to-many change or import of that library bumps it, and the next request builds a fresh answer.
Answers also expire after ``PAGE_CACHE_SECONDS`` because rows of other libraries (an organisation's
name, a taxonomy label) appear in them too. Logged-in users are never served from this cache: what
they see depends on who they are.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.translation import get_language


def _generation_key(model) -> str:
    return f"xiake:gen:{model._meta.label_lower}"


def generation(model) -> int:
    return cache.get(_generation_key(model), 0)


def bump(model) -> None:
    key = _generation_key(model)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, None)


def response_key(model, request, kind: str) -> str:
    digest = hashlib.sha1(request.get_full_path().encode()).hexdigest()
    return (
        f"xiake:page:{kind}:{model._meta.label_lower}:{generation(model)}:{get_language()}:{digest}"
    )


# Stands in a cached page where the visitor's own CSRF token goes (forms such as the language
# switcher post with it), so one cached page serves every anonymous visitor.
CSRF_MARKER = "xiake-csrf-token-placeholder"


def cacheable(request) -> bool:
    from django.contrib.messages import get_messages

    return (
        settings.PAGE_CACHE_SECONDS > 0
        and request.method == "GET"
        and not request.user.is_authenticated
        and "export" not in request.GET
        and not len(get_messages(request))  # a page carrying a message is one visitor's
    )


def with_csrf_token(request, html: str) -> str:
    from django.middleware.csrf import get_token

    return html.replace(CSRF_MARKER, get_token(request))


def get(key):
    return cache.get(key)


def put(key, payload) -> None:
    cache.set(key, payload, settings.PAGE_CACHE_SECONDS)


def _on_change(sender, **kwargs):
    if kwargs.get("raw"):
        return
    bump(sender)


def _on_m2m(sender, instance, action, **kwargs):
    if action.startswith("post_"):
        bump(type(instance))


def _on_import(sender, resource, **kwargs):
    bump(resource.model)


def watch(model) -> None:
    """Bump ``model``'s generation on every change (called when its resource is registered)."""
    uid = f"pagecache-{model._meta.label_lower}"
    post_save.connect(_on_change, sender=model, dispatch_uid=uid)
    post_delete.connect(_on_change, sender=model, dispatch_uid=uid + "-d")


def connect() -> None:
    """Receivers that watch every library at once (called from CoreConfig.ready)."""
    from xiake.core.importer import records_imported

    m2m_changed.connect(_on_m2m, dispatch_uid="pagecache-m2m")
    records_imported.connect(_on_import, dispatch_uid="pagecache-import")
