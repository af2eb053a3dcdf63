"""Second factor (TOTP, django-otp) for privileged accounts: who needs it, enrolment, checking a
code, backup codes and the security administrator's reset.

A privileged user (``settings.MFA_REQUIRED_ROLES``, and every superuser) logs in with the password
first; the session is then authenticated but not *verified*, and ``SecondFactorMiddleware``
(xiake/ops/middleware.py) lets it reach only the pages of this second step until a code from the
user's confirmed TOTP device (or one backup code) verifies it.
"""

from __future__ import annotations

import io

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

# Name of the TOTP device the demo command provisions; `xiake otp_code` only reads devices so named
# (and only for demo usernames), so it can never print a code of a device a person enrolled.
DEMO_DEVICE_NAME = "xiake-demo"
TOTP_NAME = "authenticator"
BACKUP_NAME = "backup"


def privileged(user) -> bool:
    """Superusers and the roles of ``settings.MFA_REQUIRED_ROLES``."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(
        user.is_superuser or getattr(user, "role", None) in set(settings.MFA_REQUIRED_ROLES)
    )


def mfa_required(user) -> bool:
    """True when ``user`` must give a second factor after the password (MFA=0 turns it off)."""
    return bool(getattr(settings, "MFA_ENABLED", True) and privileged(user))


def is_verified(user) -> bool:
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def confirmed_totp(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def has_second_factor(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_totp(user) -> TOTPDevice:
    """The unconfirmed device being enrolled (made on the first visit, kept across reloads, so
    the QR code the user scanned stays valid until confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
    return device


def secret_text(device: TOTPDevice) -> str:
    """The base32 secret, in groups of four, for apps where the code cannot be scanned."""
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URL as an inline SVG QR code, drawn on the server (no script, no CDN)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(
        device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2
    )
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    # drop the XML declaration: the SVG is embedded in the page
    return svg[svg.index("<svg") :]


def check_code(user, code: str):
    """The device (TOTP or backup) that accepts ``code``, or None.

    Each device throttles failures itself (django-otp: the wait doubles after each one); the
    caller also counts failures towards the account lockout."""
    code = "".join((code or "").split())
    if not code:
        return None
    with transaction.atomic():
        for model in (TOTPDevice, StaticDevice):
            for device in model.objects.select_for_update().filter(user=user, confirmed=True):
                if device.verify_token(code):
                    return device
    return None


@transaction.atomic
def confirm_enrolment(request, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm ``device`` with a first code: it becomes the user's only TOTP device, the session
    is verified, and fresh backup codes are returned (to be shown once)."""
    code = "".join((code or "").split())
    if not code or not device.verify_token(code):
        return None
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    otp_login(request, device)
    return issue_backup_codes(device.user)


def issue_backup_codes(user) -> list[str]:
    """Replace the user's backup codes with ``MFA_BACKUP_CODES`` new single-use ones."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=BACKUP_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(settings.MFA_BACKUP_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


@transaction.atomic
def reset_second_factor(user, actor) -> bool:
    """Remove every device of ``user`` (the next login leads to enrolment); audited."""
    from xiake.core.changelog import record_event
    from xiake.core.models import ChangeAction

    removed = TOTPDevice.objects.filter(user=user).delete()[0]
    removed += StaticDevice.objects.filter(user=user).delete()[0]
    record_event(
        ChangeAction.UPDATE,
        comment=_("Second factor of %(username)s reset") % {"username": user.get_username()},
        actor=actor,
        obj=user,
    )
    return bool(removed)


def record_failed_code(request, user) -> bool:
    """Count a wrong code as a failed login of the account (django-axes) and say whether the
    account is now locked; the audit log gets the failure through the same signal."""
    from axes.handlers.proxy import AxesProxyHandler
    from django.contrib.auth.signals import user_login_failed

    credentials = {"username": user.get_username()}
    AxesProxyHandler.update_request(request)
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    return settings.AXES_ENABLED and AxesProxyHandler.is_locked(request, credentials)


def provision_demo_device(user) -> TOTPDevice:
    """A confirmed TOTP device for a demo account, so `xiake otp_code` can print its code."""
    TOTPDevice.objects.filter(user=user).delete()
    return TOTPDevice.objects.create(user=user, name=DEMO_DEVICE_NAME, confirmed=True)


def current_code(device: TOTPDevice) -> str:
    """The code ``device`` accepts now (for the demo command and tests, never shown on a page)."""
    from django_otp.oath import totp

    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{code:0{device.digits}d}"
