"""Docking cases (对接): a demand (or an enterprise) linked with achievements, experts and
platforms, followed up by a technology manager through 意向 → 联系 → 洽谈 → 签约 | 终止; and the
in-site notifications."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from xiake.brokerage.policies import CaseMeetingPolicy, DockingCasePolicy, NotificationPolicy
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
            if to in (Stage.SIGNED, Stage.TERMINATED):
                MatchLabel.record(self)
        if to == Stage.SIGNED:
            self.announce_signed()

    def provider_org_ids(self) -> set[int]:
        ids = set()
        for link in ("achievements", "experts", "platforms"):
            ids.update(getattr(self, link).values_list("owner_org_id", flat=True))
        return ids

    def announce_signed(self) -> None:
        """Tell the providers' members that they can create the contract from the case."""
        from django.conf import settings as conf
        from django.utils import translation

        from xiake.brokerage.push import members_of

        with translation.override(conf.LANGUAGE_CODE):
            notify_ids(
                members_of(self.provider_org_ids()),
                f"case:{self.pk}:signed",
                gettext("Case “%(case)s” signed: create the technology contract from it")
                % {"case": self.title},
                url=self.get_absolute_url(),
            )


class CaseMeeting(AuditedModel):
    """A meeting held on a docking case: when, where (a place or online), who took part, the
    minutes and the next steps agreed; documents are attached to it (core attachments). Shown
    on the case page and in its timeline."""

    case = models.ForeignKey(
        DockingCase,
        verbose_name=_("docking case"),
        on_delete=models.CASCADE,
        related_name="meetings",
    )
    held_at = models.DateTimeField(_("held at"))
    online = models.BooleanField(_("online meeting"), default=False)
    place = models.CharField(
        _("place or meeting link"),
        max_length=300,
        blank=True,
        help_text=_("The address, or the link of an online meeting."),
    )
    participants = models.TextField(_("participants"), help_text=_("One per line: name, unit."))
    minutes = models.TextField(_("minutes"), blank=True)
    next_steps = models.TextField(_("next steps"), blank=True)

    policy = CaseMeetingPolicy()

    class Meta:
        verbose_name = _("case meeting")
        verbose_name_plural = _("case meetings")
        ordering = ["-held_at", "-id"]

    def __str__(self):
        return f"{self.case} · {timezone.localtime(self.held_at):%Y-%m-%d %H:%M}"

    def clean(self):
        super().clean()
        if not self.online and not (self.place or "").strip():
            raise ValidationError({"place": gettext("Give the place, or mark the meeting online.")})


class NotificationQuerySet(RestrictedQuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)


class EmailStatus(models.TextChoices):
    NONE = "", _("No e-mail")
    PENDING = "pending", _("E-mail pending")
    SENDING = "sending", _("E-mail being sent")
    SENT = "sent", _("E-mail sent")
    FAILED = "failed", _("E-mail failed")


class Notification(models.Model):
    """One in-site message to one user; ``key`` makes an event notify a user at most once.

    The in-site row is written first; the e-mail copy (``email_status``) is sent afterwards by a
    background task, so a failing mail server never loses the in-site message.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    key = models.CharField(_("event key"), max_length=120)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    email_status = models.CharField(
        _("e-mail"), max_length=8, choices=EmailStatus.choices, blank=True, default=""
    )
    email_error = models.CharField(_("e-mail error"), max_length=300, blank=True)

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


NOTIFY_BATCH = 2000


def notify(users, key: str, title: str, body: str = "", url: str = "", email=False) -> int:
    """Notify each user once per ``key`` (idempotent); returns how many were new.

    ``email=True`` marks the new rows of users with an address for the e-mail task
    (:func:`xiake.brokerage.tasks.send_emails`), which the caller enqueues.
    """
    return notify_ids([u.pk for u in users if u is not None], key, title, body, url, email=email)


def notify_ids(
    user_ids, key: str, title: str, body: str = "", url: str = "", *, email=False
) -> int:
    """:func:`notify` for user ids (the fan-out path: no user objects are loaded)."""
    from django.contrib.auth import get_user_model

    ids = sorted({pk for pk in user_ids if pk is not None})
    created = 0
    for start in range(0, len(ids), NOTIFY_BATCH):
        chunk = ids[start : start + NOTIFY_BATCH]
        existing = set(
            Notification.objects.filter(key=key, user_id__in=chunk).values_list(
                "user_id", flat=True
            )
        )
        chunk = [pk for pk in chunk if pk not in existing]
        with_email = set()
        if email and chunk:
            with_email = set(
                get_user_model()
                .objects.filter(pk__in=chunk)
                .exclude(email="")
                .values_list("pk", flat=True)
            )
        new = [
            Notification(
                user_id=pk,
                key=key,
                title=title[:200],
                body=body,
                url=url[:300],
                email_status=EmailStatus.PENDING if pk in with_email else EmailStatus.NONE,
            )
            for pk in chunk
        ]
        Notification.objects.bulk_create(new, ignore_conflicts=True)
        created += len(new)
    return created


class MatchOffer(models.Model):
    """One achievement or expert offered to a published demand (the demand's 推荐 list).

    Written once when the demand is published, from ``matching.api.recommend``; ``rank`` and
    ``score`` are as the engine gave them, ``reasons`` its explanation at that time.
    """

    class Kind(models.TextChoices):
        ACHIEVEMENT = "achievement", _("achievement")
        EXPERT = "expert", _("expert")

    demand = models.ForeignKey(
        "catalog.Demand",
        verbose_name=_("demand"),
        on_delete=models.CASCADE,
        related_name="match_offers",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    achievement = models.ForeignKey(
        "catalog.Achievement",
        verbose_name=_("achievement"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    expert = models.ForeignKey(
        "catalog.Expert",
        verbose_name=_("expert"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    rank = models.PositiveSmallIntegerField(_("rank"))
    score = models.FloatField(_("score"))
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("match offer")
        verbose_name_plural = _("match offers")
        ordering = ["demand_id", "kind", "rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["demand", "achievement"],
                condition=Q(achievement__isnull=False),
                name="brokerage_offer_achievement_once",
            ),
            models.UniqueConstraint(
                fields=["demand", "expert"],
                condition=Q(expert__isnull=False),
                name="brokerage_offer_expert_once",
            ),
            models.CheckConstraint(
                condition=(Q(kind="achievement", achievement__isnull=False, expert__isnull=True))
                | Q(kind="expert", expert__isnull=False, achievement__isnull=True),
                name="brokerage_offer_one_target",
            ),
        ]

    def __str__(self):
        return f"{self.demand_id} → {self.target}"

    @property
    def target(self):
        return self.achievement if self.kind == self.Kind.ACHIEVEMENT else self.expert


class Frequency(models.TextChoices):
    INSTANT = "instant", _("At once")
    DAILY = "daily", _("Daily digest")
    WEEKLY = "weekly", _("Weekly digest")


class Subscription(models.Model):
    """A user's interest in an industry (GB/T 4754), a discipline (GB/T 13745) or a keyword.

    New published achievements and demands that fit reach the user at once (``instant``, an
    in-site notification) or in the daily/weekly digest (``xiake send_digests``). An industry or
    discipline subscription also covers the terms below it.
    """

    class Kind(models.TextChoices):
        INDUSTRY = "industry", _("industry")
        DISCIPLINE = "discipline", _("discipline")
        KEYWORD = "keyword", _("keyword")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="subscriptions",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    term = models.ForeignKey(
        "taxonomy.Term",
        verbose_name=_("term"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"scheme__code__in": ("gbt4754", "gbt13745")},
    )
    keyword = models.CharField(_("keyword"), max_length=50, blank=True)
    frequency = models.CharField(
        _("frequency"), max_length=8, choices=Frequency.choices, default=Frequency.DAILY
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = RestrictedQuerySet.as_manager()
    policy = NotificationPolicy()  # a user's own, nobody else's

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["user_id", "kind", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "term"],
                condition=Q(term__isnull=False),
                name="brokerage_subscription_term_once",
            ),
            models.UniqueConstraint(
                fields=["user", "keyword"],
                condition=Q(kind="keyword"),
                name="brokerage_subscription_keyword_once",
            ),
            models.CheckConstraint(
                condition=(Q(kind="keyword", term__isnull=True) & ~Q(keyword=""))
                | (~Q(kind="keyword") & Q(term__isnull=False, keyword="")),
                name="brokerage_subscription_term_or_keyword",
            ),
        ]
        indexes = [models.Index(fields=["frequency", "kind"], name="brokerage_sub_freq_idx")]

    def __str__(self):
        return self.keyword or str(self.term)

    def clean(self):
        super().clean()
        self.keyword = (self.keyword or "").strip().lower()
        scheme = {self.Kind.INDUSTRY: "gbt4754", self.Kind.DISCIPLINE: "gbt13745"}.get(self.kind)
        if scheme:
            if self.term is None or self.term.scheme.code != scheme:
                raise ValidationError({"term": gettext("Choose a term of the right list.")})
            self.keyword = ""
        else:
            self.term = None
            if not self.keyword:
                raise ValidationError({"keyword": gettext("Give a keyword.")})


class Digest(models.Model):
    """One digest sent (or found empty) for one user and period; ``key`` makes it once per day
    (daily) or ISO week (weekly); ``until`` is where the next digest starts."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    period = models.CharField(_("period"), max_length=8, choices=Frequency.choices)
    key = models.CharField(_("event key"), max_length=60)
    since = models.DateTimeField(_("since"))
    until = models.DateTimeField(_("until"))
    items = models.PositiveIntegerField(_("items"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("digest")
        verbose_name_plural = _("digests")
        ordering = ["-until", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="brokerage_digest_once")
        ]

    def __str__(self):
        return self.key


class MatchLabel(models.Model):
    """The outcome of a docking case as a relevance label for a (demand, record) pair.

    One row per case and linked achievement/expert/platform, positive when the case was signed,
    negative when it ended (with the reason). Matching reads them through
    :func:`docking_labels` (registered in ``matching.labels.outcome_providers``): they re-rank
    the demand's matches and train ``xiake fit_match_weights`` beside users' marks.
    """

    class Outcome(models.TextChoices):
        SIGNED = "signed", _("Signed")
        TERMINATED = "terminated", _("Terminated")

    case = models.ForeignKey(
        DockingCase, verbose_name=_("docking case"), on_delete=models.CASCADE, related_name="labels"
    )
    demand = models.ForeignKey(
        "catalog.Demand",
        verbose_name=_("demand"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=16)
    object_id = models.PositiveBigIntegerField(_("record id"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    relevant = models.BooleanField(_("relevant"))
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("match label")
        verbose_name_plural = _("match labels")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "kind", "object_id"], name="brokerage_label_once"
            )
        ]

    def __str__(self):
        return f"{self.kind}:{self.object_id} {self.outcome}"

    @classmethod
    def record(cls, case: DockingCase) -> int:
        rows = [
            cls(
                case=case,
                demand_id=case.demand_id,
                kind=kind,
                object_id=pk,
                outcome=case.stage,
                relevant=case.stage == Stage.SIGNED,
                reason=case.end_reason,
            )
            for kind, link in (
                ("achievement", "achievements"),
                ("expert", "experts"),
                ("platform", "platforms"),
            )
            for pk in getattr(case, link).values_list("pk", flat=True)
        ]
        cls.objects.bulk_create(rows, ignore_conflicts=True)
        return len(rows)


def docking_labels(sources=None) -> list:
    """Docking outcomes as ``matching.labels.Label`` (source: the case's demand): of the demands
    ``sources["demand"]`` or, with ``sources`` None, of every demand."""
    from xiake.matching.labels import Label

    qs = MatchLabel.objects.filter(demand__isnull=False)
    if sources is not None:
        ids = sources.get("demand") or []
        if not ids:
            return []
        qs = qs.filter(demand_id__in=ids)
    return [
        Label(f"demand:{demand_id}", f"{kind}:{pk}", relevant, at, "docking")
        for demand_id, kind, pk, relevant, at in qs.values_list(
            "demand_id", "kind", "object_id", "relevant", "created_at"
        ).order_by("id")
    ]


class ReminderRule(models.Model):
    """A reminder threshold as data: days a case may sit in a stage (calendar days), or working
    days before a registration deadline from which the registrar is reminded. A missing row
    falls back to :data:`REMINDER_DEFAULTS` (the values shipped by migration)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    days = models.PositiveSmallIntegerField(_("days"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("reminder rule")
        verbose_name_plural = _("reminder rules")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code}: {self.days}"

    @classmethod
    def thresholds(cls) -> dict[str, int]:
        return {**REMINDER_DEFAULTS, **dict(cls.objects.values_list("code", "days"))}


# code → days. ``stage_<stage>``: calendar days in that stage before the manager is reminded;
# ``deadline_approaching``: working days before a registration deadline.
REMINDER_DEFAULTS = {
    "stage_intent": 7,
    "stage_contact": 14,
    "stage_negotiation": 30,
    "deadline_approaching": 3,
}
