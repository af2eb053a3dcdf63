"""The second step of a privileged login: enter the code, or enrol an authenticator first."""

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from axes.utils import reset as axes_reset
from django import forms
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views import View
from django_otp import login as otp_login

from xiake.accounts import mfa
from xiake.core.forms import StyledFormMixin

BACKUP_CODES_KEY = "_xk_backup_codes"


class CodeForm(StyledFormMixin, forms.Form):
    code = forms.CharField(
        label=_("Verification code"),
        max_length=16,
        help_text=_("The 6-digit code your authenticator app shows now, or one backup code."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def _next_url(request):
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return settings.LOGIN_REDIRECT_URL


class SecondStepView(LoginRequiredMixin, View):
    """Only for a privileged user who still has to give the second factor."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not mfa.mfa_required(request.user):
            return redirect(_next_url(request))
        return super().dispatch(request, *args, **kwargs)


class VerifyView(SecondStepView):
    template_name = "accounts/mfa_verify.html"

    def get(self, request):
        if mfa.is_verified(request.user):
            return redirect(_next_url(request))
        if not mfa.has_second_factor(request.user):
            return redirect_keeping_next(request, "accounts:mfa_setup")
        return self._render(request, CodeForm())

    def post(self, request):
        if mfa.is_verified(request.user):
            return redirect(_next_url(request))
        user = request.user
        credentials = {"username": user.get_username()}
        if settings.AXES_ENABLED and AxesProxyHandler.is_locked(request, credentials):
            # locked since the password was given (by failures elsewhere): no code helps now
            logout(request)
            return get_lockout_response(request, credentials=credentials)
        form = CodeForm(request.POST)
        if form.is_valid():
            device = mfa.check_code(user, form.cleaned_data["code"])
            if device is not None:
                otp_login(request, device)
                axes_reset(username=user.get_username())
                return redirect(_next_url(request))
            if mfa.record_failed_code(request, user):
                logout(request)
                return get_lockout_response(request, credentials=credentials)
            form.add_error("code", _("The code is wrong or has expired; enter the code shown now."))
        return self._render(request, form, status=400)

    def _render(self, request, form, status=200):
        context = {"form": form, "next": _next_url(request)}
        return render(request, self.template_name, context, status=status)


class SetupView(SecondStepView):
    """Enrolment: scan the QR code (or type the secret), confirm with a first code."""

    template_name = "accounts/mfa_setup.html"

    def _blocked(self, request):
        # Someone who has a device but has not given its code must not replace it here.
        return mfa.has_second_factor(request.user) and not mfa.is_verified(request.user)

    def get(self, request):
        if self._blocked(request):
            return redirect_keeping_next(request, "accounts:mfa_verify")
        return self._render(request, CodeForm())

    def post(self, request):
        if self._blocked(request):
            return redirect_keeping_next(request, "accounts:mfa_verify")
        form = CodeForm(request.POST)
        if form.is_valid():
            device = mfa.pending_totp(request.user)
            codes = mfa.confirm_enrolment(request, device, form.cleaned_data["code"])
            if codes is not None:
                request.session[BACKUP_CODES_KEY] = codes
                return redirect_keeping_next(request, "accounts:mfa_backup_codes")
            form.add_error(
                "code", _("The code does not match; check the time on your phone and try again.")
            )
        return self._render(request, form, status=400)

    def _render(self, request, form, status=200):
        device = mfa.pending_totp(request.user)
        context = {
            "form": form,
            "next": _next_url(request),
            "qr_svg": mfa.qr_svg(device),
            "secret": mfa.secret_text(device),
            "replacing": mfa.has_second_factor(request.user),
        }
        return render(request, self.template_name, context, status=status)


class BackupCodesView(LoginRequiredMixin, View):
    """Shows the backup codes of a fresh enrolment once; a reload shows them no more."""

    def get(self, request):
        codes = request.session.pop(BACKUP_CODES_KEY, None)
        if not codes:
            return redirect(_next_url(request))
        context = {"codes": codes, "next": _next_url(request)}
        return render(request, "accounts/mfa_backup_codes.html", context)


def redirect_keeping_next(request, name):
    from django.urls import reverse
    from django.utils.http import urlencode

    return redirect(f"{reverse(name)}?{urlencode({'next': _next_url(request)})}")
