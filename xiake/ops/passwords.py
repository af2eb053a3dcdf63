"""Password policy: character classes, history of the last N passwords, expiry after N days.

Configured in settings (from the environment): ``PASSWORD_MIN_LENGTH``, ``PASSWORD_MIN_CLASSES``,
``PASSWORD_HISTORY`` and ``PASSWORD_EXPIRY_DAYS`` (0 turns expiry off). See docs/operations.md.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def character_classes(password: str) -> int:
    """How many of lower-case letters, upper-case letters, digits and other characters occur."""
    return sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )


class CharacterClassesValidator:
    """At least ``min_classes`` of: lower-case, upper-case, digits, symbols."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        if character_classes(password) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_few_classes")

    def get_help_text(self):
        return _(
            "Your password must contain at least %(count)d of: lower-case letters, upper-case "
            "letters, digits, symbols."
        ) % {"count": self.min_classes}


class PasswordHistoryValidator:
    """Refuses the current password and the ``history`` before it; records every new one."""

    def __init__(self, history: int = 5):
        self.history = max(1, history)

    def _recent(self, user):
        from xiake.ops.models import PasswordHistory

        return PasswordHistory.objects.filter(user=user).order_by("-created_at", "-id")

    def validate(self, password, user=None):
        if user is None or user.pk is None:
            return
        encodings = list(self._recent(user).values_list("encoded", flat=True)[: self.history])
        if user.password and user.password not in encodings:
            encodings.append(user.password)
        if any(check_password(password, encoded) for encoded in encodings):
            raise ValidationError(
                ngettext(
                    "You used this password recently; choose one different from your last password.",
                    "You used this password recently; choose one different from your last %(count)d passwords.",
                    self.history,
                )
                % {"count": self.history},
                code="password_reused",
            )

    def password_changed(self, password, user=None):
        from xiake.ops.models import PasswordHistory

        if user is None or user.pk is None or not user.has_usable_password():
            return
        PasswordHistory.objects.create(user=user, encoded=user.password, created_at=timezone.now())
        stale = list(self._recent(user).values_list("pk", flat=True)[self.history :])
        if stale:
            PasswordHistory.objects.filter(pk__in=stale).delete()

    def get_help_text(self):
        return ngettext(
            "Your password must differ from your last password.",
            "Your password must differ from your last %(count)d passwords.",
            self.history,
        ) % {"count": self.history}


def password_set_at(user) -> dt.datetime | None:
    from xiake.ops.models import PasswordHistory

    return (
        PasswordHistory.objects.filter(user=user)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )


def password_expired(user) -> bool:
    """Whether ``user``'s password is older than PASSWORD_EXPIRY_DAYS (unknown age: not expired)."""
    days = getattr(settings, "PASSWORD_EXPIRY_DAYS", 0)
    if not days or not user.has_usable_password():
        return False
    set_at = password_set_at(user)
    return set_at is not None and timezone.now() - set_at > dt.timedelta(days=days)


def record_initial_password(sender, instance, created, raw=False, **kwargs):
    """post_save of the user model: ``create_user`` sets the hash directly, without
    ``password_changed``, so a new account's first password is dated here."""
    from xiake.ops.models import PasswordHistory

    if created and not raw and instance.has_usable_password():
        if not PasswordHistory.objects.filter(user=instance).exists():
            PasswordHistory.objects.create(
                user=instance, encoded=instance.password, created_at=timezone.now()
            )
