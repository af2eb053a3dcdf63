"""Login failure lockout (django-axes): N failures for a username lock it until the bureau unlocks it.

``LockoutBackend`` is axes' backend except for calls without a request (the test client's
``login()``, scripts): those are not web logins, have no client to count, and go on to Django's
ModelBackend unchecked. Every HTTP login path (the form, the API token) passes its request.
"""

from axes.backends import AxesStandaloneBackend


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
