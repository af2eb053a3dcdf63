"""Request middleware that gives every request an id and makes the acting user, the client's IP
and that id available to the change log and to every log line written while it runs."""

import ipaddress
import logging
import re
import uuid

from django.conf import settings

from xiake.core.context import ActionContext, _current

# What nginx's $request_id (32 hex digits) and common tracing ids look like; anything else
# (too long, spaces, control characters) is replaced, so a client cannot forge log lines.
REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")


def _ip(value: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


def _trusted(address: str | None) -> bool:
    if address is None:
        return False
    ip = ipaddress.ip_address(address)
    for entry in getattr(settings, "TRUSTED_PROXIES", ()):
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or, when that is a trusted proxy (``TRUSTED_PROXIES``,
    as gunicorn's ``--forwarded-allow-ips``), the nearest X-Forwarded-For hop that is not one."""
    remote = _ip(request.META.get("REMOTE_ADDR"))
    if not _trusted(remote):
        return remote
    hops = [h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        address = _ip(hop)
        if address is None:
            return remote  # a malformed hop: trust nothing the proxy chain reported beyond it
        if not _trusted(address):
            return address
    return remote


def request_id_of(request) -> str:
    """The proxy's X-Request-ID when it comes from a trusted proxy and looks sane, else a new one."""
    incoming = request.headers.get("X-Request-ID", "")
    if incoming and REQUEST_ID.match(incoming) and _trusted(_ip(request.META.get("REMOTE_ADDR"))):
        return incoming
    return uuid.uuid4().hex


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.id = request_id_of(request)
        # The user is resolved lazily (and after DRF's token authentication has set it), so
        # anonymous static requests cost no query.
        ctx = ActionContext(ip=client_ip(request), request_id=request.id, request=request)
        token = _current.set(ctx)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response["X-Request-ID"] = request.id
        return response


class RequestIdFilter(logging.Filter):
    """Adds ``%(request_id)s`` to every log record: the request's id, a task's, or ``-``."""

    def filter(self, record):
        from xiake.core.context import _current

        ctx = _current.get()
        record.request_id = ctx.request_id if ctx is not None else "-"
        return True
