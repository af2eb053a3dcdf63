"""Service events (公益大讲堂, 高校专家巡诊, 企业进高校, 路演, 培训): capacity-safe registration, QR
check-in, attendance, feedback and the count of distinct enterprises served."""

import datetime as dt
import re
import secrets
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


class DuplicateRegistration(ValidationError):
    """The same phone number or e-mail address is already registered for the event."""


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
    registration_closes_at = models.DateTimeField(
        _("registration closes at"),
        null=True,
        blank=True,
        help_text=_("Empty: visitors may register until the event starts."),
    )
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

    @property
    def registration_deadline(self):
        """When public registration closes: the explicit deadline, or the start."""
        return self.registration_closes_at or self.starts_at

    @property
    def accepts_registrations(self) -> bool:
        """Open, before the deadline and not full (what the public form is shown for)."""
        return (
            self.registration_open
            and self.places_left > 0
            and timezone.now() < self.registration_deadline
        )

    def clean(self):
        if self.starts_at and self.ends_at and self.ends_at < self.starts_at:
            raise ValidationError({"ends_at": _("The end precedes the start.")})
        if (
            self.starts_at
            and self.registration_closes_at
            and self.registration_closes_at > self.starts_at
        ):
            raise ValidationError(
                {"registration_closes_at": _("Registration must close before the event starts.")}
            )
        if self.pk and self.capacity is not None and self.capacity < self.registered_count:
            raise ValidationError(
                {
                    "capacity": _("%(n)d people have registered already.")
                    % {"n": self.registered_count}
                }
            )


class Registration(AuditedModel):
    """One person registered for an event, for an enterprise (or as an expert), or a visitor
    without an account who registered on the public portal (``kind=visitor``: organisation as
    typed, e-mail, consent time and the reference they cancel with). The token is what the QR
    code carries for check-in."""

    class Kind(models.TextChoices):
        ENTERPRISE = "enterprise", _("Enterprise")
        EXPERT = "expert", _("Expert")
        VISITOR = "visitor", _("Visitor (public portal)")

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
    organisation = models.CharField(_("organisation (as given)"), max_length=120, blank=True)
    phone = EncryptedCharField(_("phone"), max_length=40, blank=True)
    # equality without decrypting: the same phone registering twice for an event
    phone_index = BlindIndexField(source="phone")
    email = models.EmailField(_("e-mail"), blank=True)
    consent_at = models.DateTimeField(
        _("privacy notice accepted at"), null=True, blank=True, editable=False
    )
    reference = models.CharField(
        _("reference"), max_length=16, null=True, blank=True, unique=True, editable=False
    )
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

    contact_fields = ("phone", "email")
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

    #: Set on a visitor's registration: the place is taken under the public deadline too.
    public_deadline = False

    def save(self, *args, **kwargs):
        if self._state.adding:
            with transaction.atomic():
                take_place(self.event_id, public=self.public_deadline)
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


def take_place(event_id, public: bool = False) -> None:
    """Take one place of the event or raise EventFull: one conditional UPDATE, atomic on every
    database (no read-then-write race). ``public`` also holds the public deadline (the explicit
    one, else the start): members may still register on the day, e.g. at the door."""
    now = timezone.now()
    cond = Q(pk=event_id, registration_open=True, registered_count__lt=F("capacity"))
    cond &= Q(registration_closes_at__isnull=True) | Q(registration_closes_at__gt=now)
    if public:
        cond &= Q(starts_at__gt=now)
    taken = Event.objects.filter(cond).update(registered_count=F("registered_count") + 1)
    if not taken:
        event = Event.objects.filter(pk=event_id).first()
        if event is not None and event.registration_open:
            deadline = event.registration_deadline if public else event.registration_closes_at
            if deadline is None or deadline > now:
                raise EventFull(
                    _("The event is full: all %(n)d places are taken.") % {"n": event.capacity}
                )
        raise EventFull(_("Registration for this event is closed."))


# -- public registration (the portal's form; visitors without an account) -------------------------

# No 0/O, 1/I/L: a reference is read aloud on the phone and typed from a screenshot.
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
REFERENCE_LENGTH = 10


def new_reference() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def normalise_reference(value: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", (value or "").upper())


def format_reference(value: str) -> str:
    """``ABCDE-FGHJK``: two halves are easier to read back."""
    half = len(value or "") // 2
    return f"{value[:half]}-{value[half:]}" if value else ""


def normalise_phone(value: str) -> str:
    """Digits only, without a +86 prefix: the stored form, so duplicates compare equal."""
    digits = re.sub(r"\D", "", value or "")
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def find_duplicate(event, phone: str = "", email: str = ""):
    """A registration of ``event`` with the same phone number or e-mail address, if any."""
    cond = Q(pk__in=[])
    if phone:
        cond |= Q(phone_index=blind_index(phone))
    if email:
        cond |= Q(email__iexact=email)
    return Registration.objects.filter(cond, event=event).first()


def register_visitor(event, *, attendee_name, organisation, phone, email) -> "Registration":
    """A visitor's registration from the public portal: refused when the same phone or e-mail is
    registered already (``DuplicateRegistration``), when the event is full or registration is
    closed (``EventFull``). The place is taken and the row written in one transaction."""
    with transaction.atomic():
        if find_duplicate(event, phone, email):
            raise DuplicateRegistration(
                _(
                    "This phone number or e-mail address is already registered for this event; "
                    "nothing else is needed. To change the registration, cancel it with its "
                    "reference and register again."
                )
            )
        reg = Registration(
            event=event,
            kind=Registration.Kind.VISITOR,
            attendee_name=attendee_name,
            organisation=organisation,
            phone=phone,
            email=email,
            consent_at=timezone.now(),
            reference=new_reference(),
        )
        reg.public_deadline = True
        reg.save()
    return reg


class CancelRefused(ValidationError):
    """The reference and contact do not match a registration, or the event has started."""


def visitor_registration(reference: str):
    """The visitor registration with ``reference`` (typed in any case, with or without the
    hyphen), with its event, or None."""
    ref = normalise_reference(reference)
    if not ref:
        return None
    return (
        Registration.objects.select_related("event")
        .filter(reference=ref, kind=Registration.Kind.VISITOR)
        .first()
    )


def cancel_visitor_registration(reference: str, contact: str) -> "Registration":
    """Cancel (delete, freeing the place) the visitor registration with ``reference`` whose phone
    or e-mail is ``contact``; both must match, so a guessed reference alone cancels nothing."""
    reg = visitor_registration(reference)
    contact = (contact or "").strip()
    matches = reg is not None and (
        (reg.phone and reg.phone == normalise_phone(contact))
        or (reg.email and reg.email.lower() == contact.lower())
    )
    if not matches:
        raise CancelRefused(
            _("No registration matches this reference and phone number or e-mail address.")
        )
    if reg.event.starts_at <= timezone.now():
        raise CancelRefused(
            _("The event has started; the registration can no longer be cancelled.")
        )
    reg.delete()
    return reg


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
