"""Policy library and the policy consultation green channel (政策咨询绿色通道): an enterprise asks,
the bureau routes to an officer, the officer answers within a service-level time counted in working
days (holiday calendar and SLA are data), the enterprise closes and rates."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiake.core.calendar import add_working_days  # noqa: F401  (the one calendar, core)
from xiake.core.models import AuditedModel, ReviewedModel
from xiake.liaison import policies


class PolicyDocument(ReviewedModel):
    """A policy document in the library: issuing body, number, dates, validity and version. The
    bureau publishes it through the review workflow; the public (and the portal) read published
    documents only, so a text being prepared is not mistaken for policy in force."""

    title = models.CharField(_("policy title"), max_length=200)
    doc_number = models.CharField(_("document number"), max_length=100, blank=True)
    issuer = models.CharField(_("issuing body"), max_length=100)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    effective_from = models.DateField(_("effective from"), null=True, blank=True)
    effective_until = models.DateField(_("effective until"), null=True, blank=True)
    version = models.CharField(_("version"), max_length=30, blank=True)
    full_text = models.TextField(_("full text"), blank=True)
    is_demo = models.BooleanField(_("demo record"), default=False, editable=False)

    policy = policies.PublishedLibraryPolicy()

    class Meta:
        verbose_name = _("policy document")
        verbose_name_plural = _("policy documents")
        ordering = ["-issued_on", "title"]

    def __str__(self):
        return self.title


class PolicyClause(AuditedModel):
    """One article (条) of a policy document: what it grants, to whom and on which conditions, so
    that a question or an eligibility hint can point at the article rather than the whole text."""

    document = models.ForeignKey(
        PolicyDocument,
        verbose_name=_("policy document"),
        on_delete=models.CASCADE,
        related_name="clauses",
    )
    number = models.PositiveSmallIntegerField(_("article number"))
    heading = models.CharField(_("clause heading"), max_length=200, blank=True)
    text = models.TextField(_("clause text"))
    is_demo = models.BooleanField(_("demo record"), default=False, editable=False)

    policy = policies.PolicyClausePolicy()

    class Meta:
        verbose_name = _("policy clause")
        verbose_name_plural = _("policy clauses")
        ordering = ["document", "number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="liaison_clause_nk"),
        ]

    def __str__(self):
        return _("%(document)s, article %(number)d: %(heading)s") % {
            "document": self.document,
            "number": self.number,
            "heading": self.heading,
        }


class SlaRule(AuditedModel):
    """How many working days an answer may take, valid over a period (the newest valid rule wins)."""

    name = models.CharField(_("name"), max_length=100)
    working_days = models.PositiveSmallIntegerField(_("working days to answer"))
    remind_days_before = models.PositiveSmallIntegerField(_("remind days before"), default=1)
    effective_from = models.DateField(_("effective from"))
    effective_until = models.DateField(_("effective until"), null=True, blank=True)
    is_demo = models.BooleanField(_("demo record"), default=False, editable=False)

    policy = policies.BureauPolicy()

    class Meta:
        verbose_name = _("service-level rule")
        verbose_name_plural = _("service-level rules")
        ordering = ["-effective_from"]

    def __str__(self):
        return self.name

    @classmethod
    def current(cls, day=None):
        day = day or timezone.localdate()
        return (
            cls.objects.filter(effective_from__lte=day)
            .filter(Q(effective_until__isnull=True) | Q(effective_until__gte=day))
            .order_by("-effective_from")
            .first()
        )


class Consultation(AuditedModel):
    """An enterprise's policy question and its way through routing, answer, closing and rating."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        ROUTED = "routed", _("Routed to an officer")
        ANSWERED = "answered", _("Answered")
        CLOSED = "closed", _("Closed")

    owner_org = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        related_name="liaison_consultations",
    )
    policy_document = models.ForeignKey(
        PolicyDocument,
        verbose_name=_("policy document"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="consultations",
    )
    subject = models.CharField(_("subject"), max_length=200)
    question = models.TextField(_("question"))
    status = models.CharField(
        _("consultation status"),
        max_length=16,
        choices=Status.choices,
        default=Status.SUBMITTED,
        editable=False,
        db_index=True,
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("officer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    due_on = models.DateField(_("answer due"), null=True, blank=True, editable=False)
    answer = models.TextField(_("answer"), blank=True, editable=False)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction"),
        null=True,
        blank=True,
        editable=False,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    is_demo = models.BooleanField(_("demo record"), default=False, editable=False)

    policy = policies.EnterpriseOwnedPolicy()

    class Meta:
        verbose_name = _("policy consultation")
        verbose_name_plural = _("policy consultations")
        ordering = ["-created_at"]

    def __str__(self):
        return self.subject

    @property
    def status_badge(self) -> str:
        if self.is_late:
            return "danger"
        return {"closed": "success", "answered": "info"}.get(self.status, "warning")

    @property
    def is_late(self) -> bool:
        return (
            self.status in (self.Status.SUBMITTED, self.Status.ROUTED)
            and self.due_on is not None
            and self.due_on < timezone.localdate()
        )

    def clean(self):
        if self.status in (self.Status.ANSWERED, self.Status.CLOSED) and not self.answer.strip():
            raise ValidationError(_("A consultation cannot be closed without an answer."))

    def save(self, *args, **kwargs):
        self.clean()
        super().save(*args, **kwargs)

    # -- workflow: each step checks who may take it and raises ValidationError saying why not ------
    def route(self, user, officer):
        from xiake.core.roles import is_bureau

        if not is_bureau(user):
            raise ValidationError(_("Only the bureau routes consultations."))
        if self.status == self.Status.CLOSED:
            raise ValidationError(_("The consultation is closed."))
        rule = SlaRule.current()
        self.officer = officer
        self.status = self.Status.ROUTED
        if rule is not None:
            self.due_on = add_working_days(timezone.localdate(), rule.working_days)
        self.save()

    def respond(self, user, answer):
        from xiake.core.roles import is_bureau

        if not (is_bureau(user) or user.pk == self.officer_id):
            raise ValidationError(_("Only the officer or the bureau answers."))
        if self.status == self.Status.CLOSED:
            raise ValidationError(_("The consultation is closed."))
        self.answer = (answer or "").strip()
        self.status = self.Status.ANSWERED
        self.answered_at = timezone.now()
        self.save()

    def close(self, user, satisfaction=None):
        from xiake.core.roles import is_bureau

        if not (is_bureau(user) or user.organization_id == self.owner_org_id):
            raise ValidationError(_("Only the enterprise or the bureau closes a consultation."))
        if not self.answer.strip():
            raise ValidationError(_("A consultation cannot be closed without an answer."))
        if satisfaction is not None:
            if not 1 <= satisfaction <= 5:
                raise ValidationError(_("Choose a rating from 1 to 5."))
            self.satisfaction = satisfaction
        self.status = self.Status.CLOSED
        self.closed_at = timezone.now()
        self.save()


def remind_consultations(notify, today=None) -> int:
    """Remind officers of routed consultations due within the rule's reminder window, or late."""
    today = today or timezone.localdate()
    rule = SlaRule.current(today)
    window = rule.remind_days_before if rule else 1
    n = 0
    qs = Consultation.objects.filter(
        status=Consultation.Status.ROUTED, due_on__lte=today + dt.timedelta(days=window)
    ).select_related("officer")
    for c in qs:
        notify(
            c,
            [c.officer] if c.officer else [],
            f"[霞科] 政策咨询待答复：{c.subject}",
            f"政策咨询“{c.subject}”应于 {c.due_on:%Y-%m-%d} 前答复。",
        )
        n += 1
    return n
