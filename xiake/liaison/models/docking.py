"""University–local docking: who answers for which university, faculty or institute, and the
contact log that shows whether anyone has been there lately."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiake.core.crypto import EncryptedCharField
from xiake.core.models import AuditedModel
from xiake.liaison import policies


class Assignment(AuditedModel):
    """A district leader, department, street or park assigned to one university, faculty or
    institute (校地对接责任). An assignment ends by setting ``ended_on``, never by deletion, so that
    the contact log keeps its subject."""

    class Kind(models.TextChoices):
        LEADER = "leader", _("District leader")
        DEPARTMENT = "department", _("Department")
        STREET = "street", _("Street")
        PARK = "park", _("Park")

    university = models.ForeignKey(
        "catalog.University",
        verbose_name=_("university"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="liaison_assignments",
    )
    faculty = models.ForeignKey(
        "catalog.Faculty",
        verbose_name=_("faculty"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="liaison_assignments",
    )
    institute = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("institute"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="liaison_assignments",
        limit_choices_to={"org_type__in": ["institute", "nri"]},
    )
    kind = models.CharField(_("responsible kind"), max_length=16, choices=Kind.choices)
    responsible = models.CharField(_("responsible leader or unit"), max_length=100)
    contact_person = models.CharField(_("contact person"), max_length=60, blank=True)
    contact_phone = EncryptedCharField(_("contact phone"), max_length=40, blank=True)
    started_on = models.DateField(_("assigned on"), default=timezone.localdate)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    is_demo = models.BooleanField(_("demo record"), default=False, editable=False)

    contact_fields = ("contact_phone",)
    policy = policies.AssignmentPolicy()

    class Meta:
        verbose_name = _("docking assignment")
        verbose_name_plural = _("docking assignments")
        ordering = ["university__name", "faculty__name", "responsible"]
        constraints = [
            models.CheckConstraint(
                condition=Q(university__isnull=False) | Q(institute__isnull=False),
                name="liaison_assignment_has_subject",
            ),
        ]

    def __str__(self):
        return f"{self.subject} · {self.responsible}"

    @property
    def subject(self) -> str:
        if self.faculty_id:
            return str(self.faculty)
        return str(self.university or self.institute or "")

    def clean(self):
        if not self.university_id and not self.institute_id:
            raise ValidationError(_("Choose a university or an institute."))
        if self.faculty_id and self.faculty.university_id != self.university_id:
            raise ValidationError({"faculty": _("The faculty belongs to another university.")})
        if self.ended_on and self.ended_on < self.started_on:
            raise ValidationError({"ended_on": _("The end precedes the start.")})


class ContactLog(AuditedModel):
    """One visit, call or meeting under an assignment, with its outcome and the follow-up agreed."""

    class Channel(models.TextChoices):
        VISIT = "visit", _("Visit")
        CALL = "call", _("Phone call")
        MEETING = "meeting", _("Meeting")
        ONLINE = "online", _("Online")

    assignment = models.ForeignKey(
        Assignment,
        verbose_name=_("docking assignment"),
        on_delete=models.PROTECT,
        related_name="contact_logs",
    )
    date = models.DateField(_("date"), default=timezone.localdate, db_index=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    participants = models.CharField(_("participants"), max_length=300, blank=True)
    summary = models.TextField(_("summary"))
    outcome = models.TextField(_("outcome"), blank=True)
    follow_up = models.TextField(_("follow-up"), blank=True)
    follow_up_due = models.DateField(_("follow-up due"), null=True, blank=True)
    follow_up_done = models.BooleanField(_("follow-up done"), default=False)
    is_demo = models.BooleanField(_("demo record"), default=False, editable=False)

    policy = policies.ContactLogPolicy()

    class Meta:
        verbose_name = _("contact log")
        verbose_name_plural = _("contact logs")
        ordering = ["-date", "-id"]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.assignment.subject} {self.get_channel_display()}"


def coverage(user, months: int = 3, today=None):
    """Active assignments the user may see, each with ``last_contact`` and ``stale`` (no contact in
    ``months`` months), the stale ones first."""
    today = today or timezone.localdate()
    month = today.month - months
    year = today.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    day = min(today.day, 28)
    cutoff = today.replace(year=year, month=month, day=day)
    qs = (
        Assignment.objects.restrict(user, "view")
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=today))
        .select_related("university", "faculty", "institute")
        .annotate(last_contact=Max("contact_logs__date"))
    )
    rows = []
    for a in qs:
        a.stale = a.last_contact is None or a.last_contact < cutoff
        rows.append(a)
    rows.sort(key=lambda a: (not a.stale, a.last_contact or today.replace(year=1900), a.subject))
    return rows, cutoff
