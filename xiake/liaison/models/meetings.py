"""Joint meetings (联席会议): their decisions, and the tasks that carry each decision out."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiake.core.models import AuditedModel
from xiake.core.querysets import RestrictedQuerySet
from xiake.liaison import policies


class JointMeeting(AuditedModel):
    """A joint meeting of the district and a university (or of all docked universities)."""

    title = models.CharField(_("meeting title"), max_length=200)
    held_on = models.DateField(_("held on"), default=timezone.localdate, db_index=True)
    university = models.ForeignKey(
        "catalog.University",
        verbose_name=_("university"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="joint_meetings",
        help_text=_("Empty for a meeting with all docked universities."),
    )
    location = models.CharField(_("location"), max_length=200, blank=True)
    agenda = models.TextField(_("agenda"), blank=True)
    participants = models.TextField(_("participants"), blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    is_demo = models.BooleanField(_("demo record"), default=False, editable=False)

    policy = policies.MeetingPolicy()

    class Meta:
        verbose_name = _("joint meeting")
        verbose_name_plural = _("joint meetings")
        ordering = ["-held_on", "-id"]

    def __str__(self):
        return self.title


class Decision(AuditedModel):
    """One decision recorded in a meeting's minutes; tasks carry it out."""

    meeting = models.ForeignKey(
        JointMeeting,
        verbose_name=_("joint meeting"),
        on_delete=models.CASCADE,
        related_name="decisions",
    )
    number = models.PositiveSmallIntegerField(_("number"), default=1)
    text = models.TextField(_("decision"))
    is_demo = models.BooleanField(_("demo record"), default=False, editable=False)

    policy = policies.DecisionPolicy()

    class Meta:
        verbose_name = _("meeting decision")
        verbose_name_plural = _("meeting decisions")
        ordering = ["meeting", "number"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "number"], name="liaison_decision_nk"),
        ]

    def __str__(self):
        return f"{self.meeting} #{self.number}"


class TaskQuerySet(RestrictedQuerySet):
    def open(self):
        return self.filter(status__in=Task.OPEN_STATES)

    def overdue(self, today=None):
        return self.open().filter(due_on__lt=today or timezone.localdate())


class Task(AuditedModel):
    """An action that carries out a decision: who, by when, in which state, with what evidence.

    A task is closed as done only with evidence (text or an attached file)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Not started")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    OPEN_STATES = (Status.OPEN, Status.IN_PROGRESS)

    decision = models.ForeignKey(
        Decision,
        verbose_name=_("meeting decision"),
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    title = models.CharField(_("task"), max_length=200)
    owner_org = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("responsible organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="liaison_tasks",
    )
    owner_name = models.CharField(_("responsible person"), max_length=60, blank=True)
    due_on = models.DateField(_("due on"), db_index=True)
    status = models.CharField(
        _("task status"),
        max_length=16,
        choices=Status.choices,
        default=Status.OPEN,
        db_index=True,
    )
    evidence = models.TextField(_("evidence"), blank=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True, editable=False)
    is_demo = models.BooleanField(_("demo record"), default=False, editable=False)

    objects = TaskQuerySet.as_manager()
    policy = policies.TaskPolicy()

    class Meta:
        verbose_name = _("meeting task")
        verbose_name_plural = _("meeting tasks")
        ordering = ["due_on", "id"]

    def __str__(self):
        return self.title

    @property
    def is_overdue(self) -> bool:
        return self.status in self.OPEN_STATES and self.due_on < timezone.localdate()

    def clean(self):
        if self.status == self.Status.DONE and not self.evidence.strip():
            has_file = self.pk and self.attachments.exists()
            if not has_file:
                raise ValidationError(
                    {"evidence": _("A task is closed as done only with evidence.")}
                )

    @property
    def status_badge(self) -> str:
        if self.is_overdue:
            return "danger"
        return {"done": "success", "cancelled": "secondary"}.get(self.status, "warning")

    def save(self, *args, **kwargs):
        self.clean()  # the API and scripts get the same rule as the form
        if self.status == self.Status.DONE and self.completed_on is None:
            self.completed_on = timezone.localdate()
        elif self.status != self.Status.DONE:
            self.completed_on = None
        super().save(*args, **kwargs)
