"""Docking cases (对接): a demand (or an enterprise) linked with achievements, experts and
platforms, followed up by a technology manager through 意向 → 联系 → 洽谈 → 签约 | 终止; and the
in-site notifications."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from xiake.brokerage.policies import DockingCasePolicy, NotificationPolicy
from xiake.core.changelog import record_change
from xiake.core.models import AuditedModel
from xiake.core.querysets import RestrictedQuerySet
from xiake.core.review import TransitionError


class Stage(models.TextChoices):
    INTENT = "intent", _("Intent")
    CONTACT = "contact", _("Contact")
    NEGOTIATION = "negotiation", _("Negotiation")
    SIGNED = "signed", _("Signed")
    TERMINATED = "terminated", _("Terminated")


# Allowed moves (data): from → to. A case may end (终止) from any open stage.
STAGE_MOVES = {
    Stage.INTENT: (Stage.CONTACT, Stage.TERMINATED),
    Stage.CONTACT: (Stage.NEGOTIATION, Stage.TERMINATED),
    Stage.NEGOTIATION: (Stage.SIGNED, Stage.TERMINATED),
    Stage.SIGNED: (),
    Stage.TERMINATED: (),
}


class DockingCase(AuditedModel):
    """One docking case: the enterprise side (usually the demand's owner), the
    offered achievements/experts/platforms (the providers), the technology manager, the stage."""

    title = models.CharField(_("title"), max_length=200)
    demand = models.ForeignKey(
        "catalog.Demand",
        verbose_name=_("demand"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    enterprise = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        related_name="docking_cases",
    )
    achievements = models.ManyToManyField(
        "catalog.Achievement", verbose_name=_("achievements"), blank=True, related_name="+"
    )
    experts = models.ManyToManyField(
        "catalog.Expert", verbose_name=_("experts"), blank=True, related_name="+"
    )
    platforms = models.ManyToManyField(
        "catalog.Platform", verbose_name=_("platforms"), blank=True, related_name="+"
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("technology manager"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="docking_cases",
    )
    stage = models.CharField(
        _("stage"),
        max_length=16,
        choices=Stage.choices,
        default=Stage.INTENT,
        db_index=True,
        editable=False,
    )
    stage_since = models.DateField(_("in this stage since"), default=timezone.localdate)
    notes = models.TextField(_("notes"), blank=True)
    end_reason = models.TextField(_("reason for ending"), blank=True, editable=False)
    enterprise_accepted = models.BooleanField(_("enterprise accepted"), default=False)
    provider_accepted = models.BooleanField(_("provider accepted"), default=False)

    policy = DockingCasePolicy()

    class Meta:
        verbose_name = _("docking case")
        verbose_name_plural = _("docking cases")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.title

    def clean(self):
        super().clean()
        if self.demand_id and self.enterprise_id and self.demand.owner_org_id != self.enterprise_id:
            raise ValidationError({"demand": gettext("The demand belongs to another enterprise.")})

    @property
    def contacts_revealed(self) -> bool:
        return self.enterprise_accepted and self.provider_accepted

    def move(self, to: str, user, note: str = "") -> None:
        """Move to stage ``to`` (data in STAGE_MOVES); ending needs the reason in ``note``."""
        if not self.policy.can(user, self, "change"):
            raise TransitionError(gettext("You may not move this case."))
        if to not in STAGE_MOVES.get(self.stage, ()):
            raise TransitionError(
                gettext("A case cannot move from “%(a)s” to “%(b)s”.")
                % {"a": self.get_stage_display(), "b": Stage(to).label}
            )
        note = (note or "").strip()
        if to == Stage.TERMINATED and not note:
            raise TransitionError(gettext("Give the reason the case ends."))
        with transaction.atomic():
            before = self.snapshot()
            self.stage = to
            self.stage_since = timezone.localdate()
            if to == Stage.TERMINATED:
                self.end_reason = note
            self._skip_changelog = True
            self.save()
            self._skip_changelog = False
            record_change(self, "review", before=before, comment=f"{Stage(to).label}: {note}")


class NotificationQuerySet(RestrictedQuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """One in-site message to one user; ``key`` makes an event notify a user at most once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    key = models.CharField(_("event key"), max_length=120)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()
    policy = NotificationPolicy()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="brokerage_notification_once")
        ]

    def __str__(self):
        return self.title


def notify(users, key: str, title: str, body: str = "", url: str = "") -> int:
    """Notify each user once per ``key`` (idempotent); returns how many were new."""
    users = [u for u in users if u is not None]
    existing = set(
        Notification.objects.filter(key=key, user__in=users).values_list("user_id", flat=True)
    )
    new = [
        Notification(user=u, key=key, title=title, body=body, url=url)
        for u in {u.pk: u for u in users}.values()
        if u.pk not in existing
    ]
    Notification.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)
