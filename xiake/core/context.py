"""Who is acting right now: set by the middleware for requests, empty for commands and tasks."""

import contextvars
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class ActionContext:
    user: object = None
    ip: str | None = None
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    request: object = None

    def actor(self):
        """The authenticated user behind the current action, or None for the system."""
        user = self.user
        if user is None and self.request is not None:
            user = getattr(self.request, "user", None)
        return user if getattr(user, "is_authenticated", False) else None


_current: contextvars.ContextVar[ActionContext | None] = contextvars.ContextVar(
    "xiake_action_context", default=None
)


def current() -> ActionContext:
    return _current.get() or ActionContext()


@contextmanager
def acting_as(user=None, ip: str | None = None, request_id: str | None = None):
    """Attribute every change made inside the block to ``user`` (used by requests, imports, tasks)."""
    ctx = ActionContext(user=user, ip=ip)
    if request_id:
        ctx.request_id = request_id
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
