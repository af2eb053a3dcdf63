"""Service events (公益大讲堂, 高校专家巡诊, 企业进高校, 路演, 培训): capacity-safe registration, QR
check-in, attendance, feedback and the count of distinct enterprises served."""

import datetime as dt
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiake.core.crypto import BlindIndexField, EncryptedCharField, blind_index
from xiake.core.models import AuditedModel
from xiake.liaison import policies


class EventFull(ValidationError):
    """The event has no free place (or registration is closed)."""


class Event(AuditedModel):
    """One event with a schedule and a capacity. ``registered_count`` is maintained by
    registrations themselves with a conditional UPDATE, so it never exceeds ``capacity``."""

    class Type(models.TextChoices):
        LECTURE = "lecture", _("Public lecture")
        CLINIC = "clinic", _("University expert clinic")
        CAMPUS_VISIT = "campus_visit", _("Enterprise visit to a university")
        ROADSHOW = "roadshow", _("Roadshow")
        TRAINING = "training", _("Training")

    title = models.CharField(_("event title"), max_length=200)
    event_type = models.CharField(_("event type"), max_length=16, choices=Type.choices)
    owner_org = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("organiser"),
        on_delete=models.PROTECT,
        related_name="liaison_events",
    )
    university = models.ForeignKey(
        "catalog.University",
        verbose_name=_("university"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="liaison_events",
    )
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    ends_at = models.DateTimeField(_("ends at"))
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    capacity = models.PositiveIntegerField(_("capacity"), validators=[MinValueValidator(1)])
    registered_count = models.PositiveIntegerField(_("registered"), default=0, editable=False)
    registration_open = models.BooleanField(_("registration open"), default=True)
    is_public = models.BooleanField(_("public"), default=True)
    description = models.TextField(_("description"), blank=True)
    is_demo = models.BooleanField(_("demo record"), default=False, editable=False)

    policy = policies.EventPolicy()

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(registered_count__lte=F("capacity")), name="liaison_event_not_overfull"
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def places_left(self) -> int:
        return max(0, self.capacity - self.registered_count)

    def clean(self):
        if self.starts_at and self.ends_at and self.ends_at < self.starts_at:
            raise ValidationError({"ends_at": _("The end precedes the start.")})
        if self.pk and self.capacity is not None and self.capacity < self.registered_count:
            raise ValidationError(
                {
                    "capacity": _("%(n)d people have registered already.")
                    % {"n": self.registered_count}
                }
            )


class Registration(AuditedModel):
    """One person registered for an event, for an enterprise (or as an expert). The token is what
    the QR code carries for check-in."""

    class Kind(models.TextChoices):
        ENTERPRISE = "enterprise", _("Enterprise")
        EXPERT = "expert", _("Expert")

    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.PROTECT, related_name="registrations"
    )
    kind = models.CharField(
        _("registered as"), max_length=16, choices=Kind.choices, default=Kind.ENTERPRISE
    )
    enterprise = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("enterprise"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="liaison_registrations",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="liaison_registrations",
        editable=False,
    )
    attendee_name = models.CharField(_("attendee"), max_length=60)
    phone = EncryptedCharField(_("phone"), max_length=40, blank=True)
    # equality without decrypting: the same phone registering twice for an event
    phone_index = BlindIndexField(source="phone")
    token = models.UUIDField(_("check-in token"), default=uuid.uuid4, unique=True, editable=False)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True, editable=False)
    rating = models.PositiveSmallIntegerField(
        _("rating"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    feedback = models.TextField(_("feedback"), blank=True)
    is_demo = models.BooleanField(_("demo record"), default=False, editable=False)

    contact_fields = ("phone",)
    policy = policies.RegistrationPolicy()

    class Meta:
        verbose_name = _("event registration")
        verbose_name_plural = _("event registrations")
        ordering = ["event", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "user"],
                condition=Q(user__isnull=False),
                name="liaison_registration_once_per_user",
            ),
        ]
        indexes = [models.Index(fields=["checked_in_at"], name="liaison_reg_checkin_idx")]

    @classmethod
    def with_phone(cls, event, phone: str):
        """Registrations of ``event`` with the same phone however typed (spaces, +86, full-width),
        found through the blind index: nothing is decrypted."""
        index = blind_index(phone)
        if not index:
            return cls.objects.none()
        return cls.objects.filter(event=event, phone_index=index)

    def __str__(self):
        return f"{self.event} · {self.attendee_name}"

    def save(self, *args, **kwargs):
        if self._state.adding:
            with transaction.atomic():
                take_place(self.event_id)
                super().save(*args, **kwargs)
        else:
            super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            result = super().delete(*args, **kwargs)
            Event.objects.filter(pk=self.event_id, registered_count__gt=0).update(
                registered_count=F("registered_count") - 1
            )
        return result

    def check_in(self) -> bool:
        """Mark attendance once; False if already checked in."""
        updated = Registration.objects.filter(pk=self.pk, checked_in_at__isnull=True).update(
            checked_in_at=timezone.now()
        )
        self.refresh_from_db(fields=["checked_in_at"])
        return bool(updated)


def take_place(event_id) -> None:
    """Take one place of the event or raise EventFull: one conditional UPDATE, atomic on every
    database (no read-then-write race)."""
    taken = Event.objects.filter(
        pk=event_id, registration_open=True, registered_count__lt=F("capacity")
    ).update(registered_count=F("registered_count") + 1)
    if not taken:
        raise EventFull(_("The event is full or registration is closed."))


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def enterprises_served(start=None, end=None, attended_only=True, event_type=None) -> int:
    """Distinct enterprises that attended (or registered for) events starting in [start, end]:
    an enterprise at five events counts once."""
    qs = Registration.objects.filter(enterprise__isnull=False)
    if attended_only:
        qs = qs.filter(checked_in_at__isnull=False)
    # Bounds as local midnights, not ``__date`` lookups: on SQLite those convert every row's
    # time in Python (1.3 s per period at 10× the demo) and no index can serve them.
    if start:
        qs = qs.filter(event__starts_at__gte=_local_midnight(start))
    if end:
        qs = qs.filter(event__starts_at__lt=_local_midnight(end + dt.timedelta(days=1)))
    if event_type:
        qs = qs.filter(event__event_type=event_type)
    return qs.values("enterprise_id").distinct().count()
