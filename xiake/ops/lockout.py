"""Login failure lockout (django-axes): N failures for a username lock it until the bureau unlocks it.

``LockoutBackend`` is axes' backend except for calls without a request (the test client's
``login()``, scripts): those are not web logins, have no client to count, and go on to Django's
ModelBackend unchecked. Every HTTP login path (the form, the API token) passes its request.
"""

from axes.backends import AxesStandaloneBackend
from axes.signals import user_locked_out
from django.dispatch import receiver
from django.utils.translation import gettext as _


class LockoutBackend(AxesStandaloneBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def locked_usernames() -> list[dict]:
    """Usernames whose failures reached the limit, with their count and last failure."""
    from axes.models import AccessAttempt
    from django.conf import settings
    from django.db.models import Max, Sum

    return list(
        AccessAttempt.objects.values("username")
        .annotate(failures=Sum("failures_since_start"), last_failure=Max("attempt_time"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        .order_by("-last_failure")
    )


def _account(username):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(username=username).first()


@receiver(user_locked_out, dispatch_uid="ops.audit_lockout")
def record_lockout(sender, request=None, username=None, ip_address=None, **kwargs):
    """The audit log gets the moment an account is locked (its failed logins are there already)."""
    from xiake.core.changelog import record_event
    from xiake.core.models import ChangeAction

    record_event(
        ChangeAction.LOGIN_FAILED,
        comment=_("Account %(username)s locked after repeated failed logins")
        % {"username": username},
        obj=_account(username),
    )


def record_unlock(username, actor):
    from xiake.core.changelog import record_event
    from xiake.core.models import ChangeAction

    record_event(
        ChangeAction.UPDATE,
        comment=_("Account %(username)s unlocked") % {"username": username},
        actor=actor,
        obj=_account(username),
    )
