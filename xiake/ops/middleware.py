"""Session idle timeout and forced change of an expired password."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from xiake.ops.passwords import password_expired

ACTIVITY_KEY = "_xk_activity"
EXPIRED_KEY = "_xk_password_expired"
# Writing the session on every request would cost a database write per page; once a minute is
# enough for an expiry measured in tens of minutes.
TOUCH_EVERY_SECONDS = 60


class SessionIdleMiddleware:
    """Slides a logged-in session's expiry (SESSION_COOKIE_AGE) forward while the user is active.

    An idle session expires SESSION_COOKIE_AGE seconds after its last touch (±1 minute): the
    session store then returns an empty session and the user is anonymous again.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if session is not None and session.session_key and user is not None:
            if user.is_authenticated:
                now = int(time.time())
                if now - session.get(ACTIVITY_KEY, 0) >= TOUCH_EVERY_SECONDS:
                    session[ACTIVITY_KEY] = now
        return response


@receiver(user_logged_in, dispatch_uid="ops.password_expiry_on_login")
def flag_expired_password(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session") and password_expired(user):
        request.session[EXPIRED_KEY] = True


class SecondFactorMiddleware:
    """A privileged user (xiake.accounts.mfa.mfa_required) who has given only the password reaches
    nothing but the second step: the code page, or enrolment when no device is confirmed yet.

    Pages redirect there (keeping ``next``); API calls with that session answer 403. Requests
    authenticated by an API token are not seen here (DRF authenticates them later): the token
    endpoint asks privileged users for the code before it hands out a token.
    """

    ALLOWED = (
        "accounts:mfa_verify",
        "accounts:mfa_setup",
        "accounts:mfa_backup_codes",
        "accounts:logout",
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from xiake.accounts.mfa import has_second_factor, is_verified, mfa_required

        user = getattr(request, "user", None)
        if (
            user is not None
            and mfa_required(user)
            and not is_verified(user)
            and not self._allowed(request.path_info)
        ):
            if request.path_info.startswith("/api/"):
                from django.http import JsonResponse

                return JsonResponse(
                    {"detail": _("Give the second factor in the browser first.")}, status=403
                )
            target = "accounts:mfa_verify" if has_second_factor(user) else "accounts:mfa_setup"
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path(), reverse(target))
        return self.get_response(request)

    def _allowed(self, path):
        if path.startswith((settings.STATIC_URL, "/i18n/")):
            return True
        return path in {reverse(name) for name in self.ALLOWED}


class PasswordExpiryMiddleware:
    """A user whose password expired reaches only the change-password page until they change it.

    Expiry is checked once at login (a session flag), so other requests cost nothing; while the
    flag is set each request re-checks, which clears it as soon as the password is changed.
    """

    ALLOWED = ("accounts:password_change", "accounts:password_change_done", "accounts:logout")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.get(EXPIRED_KEY):
            user = request.user
            if not user.is_authenticated or not password_expired(user):
                session.pop(EXPIRED_KEY, None)
            elif not self._allowed(request.path_info):
                messages.warning(
                    request,
                    _("Your password is older than %(days)d days; please change it to continue.")
                    % {"days": settings.PASSWORD_EXPIRY_DAYS},
                )
                return redirect("accounts:password_change")
        return self.get_response(request)

    def _allowed(self, path):
        if path.startswith((settings.STATIC_URL, "/i18n/")):
            return True
        return path in {reverse(name) for name in self.ALLOWED}


class PermissionsPolicyMiddleware:
    """Adds ``Permissions-Policy`` (settings.PERMISSIONS_POLICY), which Django does not send."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = getattr(settings, "PERMISSIONS_POLICY", "")

    def __call__(self, request):
        response = self.get_response(request)
        if self.policy:
            response.headers.setdefault("Permissions-Policy", self.policy)
        return response


class ContentSecurityPolicyMiddleware:
    """Adds ``Content-Security-Policy`` (settings.CONTENT_SECURITY_POLICY) to every answer.

    It sits right after SecurityMiddleware, before whitenoise, so static files, errors and API
    answers carry it too. A view that sets its own policy keeps it.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = getattr(settings, "CONTENT_SECURITY_POLICY", "")
        self.header = (
            "Content-Security-Policy-Report-Only"
            if getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", False)
            else "Content-Security-Policy"
        )

    def __call__(self, request):
        response = self.get_response(request)
        if self.policy:
            response.headers.setdefault(self.header, self.policy)
        return response
