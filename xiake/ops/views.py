"""The security administrator's pages: locked accounts, second factors, the identity settings."""

from axes.utils import reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from xiake.accounts.mfa import reset_second_factor
from xiake.accounts.permissions import RoleRequiredMixin
from xiake.core.roles import is_security_admin
from xiake.ops.lockout import locked_usernames, record_unlock


class SecurityAdminOnly(RoleRequiredMixin):
    allowed = staticmethod(is_security_admin)


class LockoutListView(SecurityAdminOnly, TemplateView):
    template_name = "ops/lockouts.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(locked=locked_usernames(), **kwargs)


class UnlockView(SecurityAdminOnly, View):
    def post(self, request):
        username = request.POST.get("username", "").strip()
        if not username:
            messages.error(request, _("Field username: choose the account to unlock."))
        elif reset(username=username):
            record_unlock(username, request.user)
            messages.success(
                request, _("Account %(username)s is unlocked.") % {"username": username}
            )
        else:
            messages.info(
                request, _("Account %(username)s was not locked.") % {"username": username}
            )
        return redirect("ops:lockouts")


class SecondFactorListView(SecurityAdminOnly, TemplateView):
    """Accounts that have a second factor, or must have one, and whether it is set up."""

    template_name = "ops/second_factors.html"

    def get_context_data(self, **kwargs):
        devices = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
        backup = StaticToken.objects.filter(device__user=OuterRef("pk"))
        accounts = (
            get_user_model()
            .objects.annotate(enrolled=Exists(devices), has_backup=Exists(backup))
            .filter(is_active=True)
            .order_by("username")
        )
        required = set(settings.MFA_REQUIRED_ROLES)
        rows = [a for a in accounts if a.enrolled or a.is_superuser or a.role in required]
        return super().get_context_data(accounts=rows, **kwargs)


class SecondFactorResetView(SecurityAdminOnly, View):
    def post(self, request):
        pk = request.POST.get("user", "")
        if not pk.isdigit():
            messages.error(
                request, _("Field user: choose the account whose second factor to reset.")
            )
            return redirect("ops:second_factors")
        account = get_object_or_404(get_user_model(), pk=int(pk))
        reset_second_factor(account, request.user)
        messages.success(
            request,
            _("The second factor of %(username)s is reset; the next login sets up a new one.")
            % {"username": account.get_username()},
        )
        return redirect("ops:second_factors")


class SecuritySettingsView(SecurityAdminOnly, TemplateView):
    """The password, lockout, session and second-factor rules in force (set in the environment)."""

    template_name = "ops/security_settings.html"

    def get_context_data(self, **kwargs):
        validators = {
            v["NAME"].rsplit(".", 1)[-1]: v.get("OPTIONS", {})
            for v in settings.AUTH_PASSWORD_VALIDATORS
        }
        rows = [
            (
                _("Shortest password"),
                validators.get("MinimumLengthValidator", {}).get("min_length", 8),
            ),
            (
                _("Character classes a password must mix"),
                validators.get("CharacterClassesValidator", {}).get("min_classes", "—"),
            ),
            (
                _("Passwords remembered (no reuse)"),
                validators.get("PasswordHistoryValidator", {}).get("history", "—"),
            ),
            (_("Password expiry (days, 0: never)"), settings.PASSWORD_EXPIRY_DAYS),
            (_("Failed logins before the account is locked"), settings.AXES_FAILURE_LIMIT),
            (_("Lockout enabled"), _("yes") if settings.AXES_ENABLED else _("no")),
            (
                _("Hours until a lock lifts by itself"),
                settings.AXES_COOLOFF_TIME or _("never (unlocked by the security administrator)"),
            ),
            (_("Idle session timeout (minutes)"), settings.SESSION_COOKIE_AGE // 60),
            (_("Second factor enabled"), _("yes") if settings.MFA_ENABLED else _("no")),
            (
                _("Roles that need the second factor"),
                ", ".join(str(dict(_role_choices()).get(r, r)) for r in settings.MFA_REQUIRED_ROLES)
                + _(" (and every superuser)"),
            ),
        ]
        return super().get_context_data(rows=rows, **kwargs)


def _role_choices():
    from xiake.core.roles import Role

    return Role.choices
