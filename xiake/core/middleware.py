"""Request middleware that makes the acting user and a request id available to the change log."""

import uuid

from xiake.core.context import ActionContext, _current


def client_ip(request) -> str | None:
    # Behind the documented nginx proxy the first X-Forwarded-For hop is the client.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if forwarded:
        return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR")


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request.headers.get("X-Request-ID") or uuid.uuid4().hex
        request.id = request_id[:64]
        # The user is resolved lazily so anonymous static requests cost no query.
        ctx = ActionContext(ip=client_ip(request), request_id=request.id, request=request)
        token = _current.set(ctx)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response["X-Request-ID"] = request.id
        return response
