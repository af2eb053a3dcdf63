"""Funding programmes (省产学研合作项目, 成果转化专项资金): programmes, their calls, enterprises'
applications and their way through the bureau; and eligibility hints for an enterprise from its
declared profile, by rules kept as data."""

import operator
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiake.core.models import AuditedModel
from xiake.liaison import policies
from xiake.liaison.models.finance import money


class FundingProgramme(AuditedModel):
    """A funding programme: who runs it, under which policy, what it grants at most, and whether a
    university partner is required (产学研 projects)."""

    name = models.CharField(_("programme name"), max_length=200, unique=True)
    issuer = models.CharField(_("issuing body"), max_length=100)
    policy_document = models.ForeignKey(
        "liaison.PolicyDocument",
        verbose_name=_("policy document"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="programmes",
    )
    description = models.TextField(_("description"), blank=True)
    max_grant = money(_("largest grant (10k yuan)"), null=True, blank=True)
    requires_partner = models.BooleanField(_("university partner required"), default=False)
    is_demo = models.BooleanField(_("demo record"), default=False, editable=False)

    policy = policies.PublicLibraryPolicy()

    class Meta:
        verbose_name = _("funding programme")
        verbose_name_plural = _("funding programmes")
        ordering = ["name"]

    def __str__(self):
        return self.name


class FundingCall(AuditedModel):
    """One call for applications (申报通知) of a programme: year, window, budget, requirements."""

    programme = models.ForeignKey(
        FundingProgramme,
        verbose_name=_("funding programme"),
        on_delete=models.PROTECT,
        related_name="calls",
    )
    title = models.CharField(_("call title"), max_length=200)
    year = models.PositiveSmallIntegerField(_("year"))
    opens_on = models.DateField(_("opens on"))
    closes_on = models.DateField(_("closes on"), db_index=True)
    budget = money(_("budget (10k yuan)"), null=True, blank=True)
    requirements = models.TextField(_("requirements"), blank=True)
    is_demo = models.BooleanField(_("demo record"), default=False, editable=False)

    policy = policies.PublicLibraryPolicy()

    class Meta:
        verbose_name = _("funding call")
        verbose_name_plural = _("funding calls")
        ordering = ["-closes_on", "title"]

    def __str__(self):
        return self.title

    @property
    def is_open(self) -> bool:
        return self.opens_on <= timezone.localdate() <= self.closes_on

    def clean(self):
        if self.opens_on and self.closes_on and self.closes_on < self.opens_on:
            raise ValidationError({"closes_on": _("The end precedes the start.")})


class FundingApplication(AuditedModel):
    """An enterprise's application to a call and its way through the bureau. The states and who
    moves them are the table ``TRANSITIONS`` below (data, not if-statements)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        RETURNED = "returned", _("Returned for correction")
        ACCEPTED = "accepted", _("Accepted for review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Not approved")

    owner_org = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("applicant"),
        on_delete=models.PROTECT,
        related_name="funding_applications",
    )
    call = models.ForeignKey(
        FundingCall,
        verbose_name=_("funding call"),
        on_delete=models.PROTECT,
        related_name="applications",
    )
    project_title = models.CharField(_("project title"), max_length=200)
    partner_university = models.ForeignKey(
        "catalog.University",
        verbose_name=_("partner university"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="funding_applications",
    )
    amount_requested = money(_("amount requested (10k yuan)"))
    summary = models.TextField(_("project summary"))
    status = models.CharField(
        _("application status"),
        max_length=16,
        choices=Status.choices,
        default=Status.DRAFT,
        editable=False,
        db_index=True,
    )
    review_comment = models.TextField(_("review comment"), blank=True, editable=False)
    amount_granted = money(_("amount granted (10k yuan)"), null=True, blank=True, editable=False)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True, editable=False)
    is_demo = models.BooleanField(_("demo record"), default=False, editable=False)

    policy = policies.FundingApplicationPolicy()

    class Meta:
        verbose_name = _("funding application")
        verbose_name_plural = _("funding applications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner_org", "call", "project_title"], name="liaison_application_nk"
            ),
        ]

    def __str__(self):
        return self.project_title

    @property
    def status_badge(self) -> str:
        return {
            "approved": "success",
            "rejected": "danger",
            "returned": "warning",
            "draft": "secondary",
        }.get(self.status, "info")

    def clean(self):
        if self.call_id and self.amount_requested is not None:
            cap = self.call.programme.max_grant
            if cap is not None and self.amount_requested > cap:
                raise ValidationError(
                    {"amount_requested": _("The programme grants at most %(cap)s.") % {"cap": cap}}
                )

    def save(self, *args, **kwargs):
        self.clean()
        super().save(*args, **kwargs)

    def actions_for(self, user) -> list[str]:
        from xiake.core.roles import is_bureau

        own = self.policy.can(user, self, "change")
        return [
            name
            for name, (sources, _target, by) in TRANSITIONS.items()
            if self.status in sources
            and ((by == "bureau" and is_bureau(user)) or (by == "owner" and own))
        ]

    def act(self, user, action: str, comment: str = "", amount=None):
        """Take one step of the workflow or raise ValidationError saying why not."""
        if action not in self.actions_for(user):
            raise ValidationError(_("This step is not possible now."))
        _sources, target, _by = TRANSITIONS[action]
        comment = (comment or "").strip()
        if action == "submit":
            if not self.call.is_open:
                raise ValidationError(_("The call is not open."))
            if self.call.programme.requires_partner and not self.partner_university_id:
                raise ValidationError(_("This programme requires a partner university."))
            self.submitted_at = timezone.now()
        if action in ("return", "reject") and not comment:
            raise ValidationError(_("Say why."))
        if action == "approve":
            try:
                granted = Decimal(str(amount))
            except Exception:
                raise ValidationError(_("Enter the amount granted.")) from None
            if granted <= 0 or granted > self.amount_requested:
                raise ValidationError(_("The grant must be above zero and at most the request."))
            self.amount_granted = granted
        if action != "submit":
            self.review_comment = comment
        self.status = target
        self.save()


# action: (source states, target state, who) — the bureau's review of applications
TRANSITIONS = {
    "submit": (("draft", "returned"), "submitted", "owner"),
    "return": (("submitted", "accepted"), "returned", "bureau"),
    "accept": (("submitted",), "accepted", "bureau"),
    "approve": (("accepted",), "approved", "bureau"),
    "reject": (("submitted", "accepted"), "rejected", "bureau"),
}


class EnterpriseProfile(AuditedModel):
    """What an enterprise declares about itself (certifications and last year's figures), from which
    eligibility hints are computed."""

    owner_org = models.OneToOneField(
        "accounts.Organization",
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        related_name="enterprise_profile",
    )
    year = models.PositiveSmallIntegerField(_("figures of the year"))
    is_high_tech = models.BooleanField(_("high-tech enterprise"), default=False)
    is_tech_sme = models.BooleanField(_("registered tech SME"), default=False)
    employees = models.PositiveIntegerField(_("employees"), default=0)
    rd_staff = models.PositiveIntegerField(_("R&D staff"), default=0)
    revenue = money(_("revenue (10k yuan)"), default=Decimal("0"))
    rd_spend = money(_("R&D spending (10k yuan)"), default=Decimal("0"))
    invention_patents = models.PositiveIntegerField(_("invention patents"), default=0)
    is_demo = models.BooleanField(_("demo record"), default=False, editable=False)

    policy = policies.EnterpriseOwnedPolicy()

    class Meta:
        verbose_name = _("enterprise profile")
        verbose_name_plural = _("enterprise profiles")
        ordering = ["owner_org__name"]

    def __str__(self):
        return f"{self.owner_org} {self.year}"

    def clean(self):
        if self.rd_staff > self.employees:
            raise ValidationError({"rd_staff": _("More R&D staff than employees.")})

    def value_of(self, attribute: str):
        if attribute == "rd_ratio":
            return (
                (self.rd_spend * 100 / self.revenue).quantize(Decimal("0.01"))
                if self.revenue
                else Decimal("0")
            )
        if attribute == "rd_staff_ratio":
            return (
                (Decimal(self.rd_staff) * 100 / self.employees).quantize(Decimal("0.01"))
                if self.employees
                else Decimal("0")
            )
        return getattr(self, attribute)


class EligibilityRule(AuditedModel):
    """One condition of a policy or a programme on the enterprise profile (e.g. “R&D spend ≥ 100万元”),
    valid over a period. A policy or programme is hinted as fitting when all its valid rules hold."""

    class Attribute(models.TextChoices):
        IS_HIGH_TECH = "is_high_tech", _("high-tech enterprise")
        IS_TECH_SME = "is_tech_sme", _("registered tech SME")
        EMPLOYEES = "employees", _("employees")
        RD_STAFF_RATIO = "rd_staff_ratio", _("R&D staff share (%)")
        REVENUE = "revenue", _("revenue (10k yuan)")
        RD_SPEND = "rd_spend", _("R&D spending (10k yuan)")
        RD_RATIO = "rd_ratio", _("R&D spending share of revenue (%)")
        INVENTION_PATENTS = "invention_patents", _("invention patents")

    class Operator(models.TextChoices):
        GE = "ge", "≥"
        LE = "le", "≤"
        IS_TRUE = "true", _("is yes")
        IS_FALSE = "false", _("is no")

    name = models.CharField(_("rule"), max_length=200)
    policy_document = models.ForeignKey(
        "liaison.PolicyDocument",
        verbose_name=_("policy document"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="eligibility_rules",
    )
    programme = models.ForeignKey(
        FundingProgramme,
        verbose_name=_("funding programme"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="eligibility_rules",
    )
    attribute = models.CharField(_("profile figure"), max_length=24, choices=Attribute.choices)
    operator = models.CharField(_("condition"), max_length=8, choices=Operator.choices)
    value = models.DecimalField(
        _("threshold"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    hint = models.TextField(_("hint when not met"), blank=True)
    effective_from = models.DateField(_("effective from"), null=True, blank=True)
    effective_until = models.DateField(_("effective until"), null=True, blank=True)
    is_demo = models.BooleanField(_("demo record"), default=False, editable=False)

    policy = policies.PublicLibraryPolicy()

    class Meta:
        verbose_name = _("eligibility rule")
        verbose_name_plural = _("eligibility rules")
        ordering = ["policy_document", "programme", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(policy_document__isnull=False) | Q(programme__isnull=False),
                name="liaison_rule_has_target",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if not self.policy_document_id and not self.programme_id:
            raise ValidationError(_("Choose a policy document or a funding programme."))
        if self.operator in ("ge", "le") and self.value is None:
            raise ValidationError({"value": _("Enter the threshold.")})

    def holds(self, profile) -> tuple[bool, object]:
        actual = profile.value_of(self.attribute)
        if self.operator == "true":
            return bool(actual), actual
        if self.operator == "false":
            return not actual, actual
        op = operator.ge if self.operator == "ge" else operator.le
        return op(Decimal(actual), self.value), actual


def eligibility_hints(profile, day=None) -> list[dict]:
    """For every policy document and programme with valid rules: whether all hold, and each rule
    with the enterprise's figure; fitting ones first."""
    day = day or timezone.localdate()
    rules = (
        EligibilityRule.objects.filter(Q(effective_from__isnull=True) | Q(effective_from__lte=day))
        .filter(Q(effective_until__isnull=True) | Q(effective_until__gte=day))
        .select_related("policy_document", "programme")
        .order_by("id")
    )
    groups: dict = {}
    for rule in rules:
        target = rule.programme or rule.policy_document
        ok, actual = rule.holds(profile)
        shown = (_("Yes") if actual else _("No")) if isinstance(actual, bool) else actual
        groups.setdefault(target, []).append(
            {"rule": rule, "met": ok, "actual": actual, "shown": shown}
        )
    out = [
        {"target": target, "fits": all(r["met"] for r in checks), "checks": checks}
        for target, checks in groups.items()
    ]
    out.sort(key=lambda h: (not h["fits"], str(h["target"])))
    return out
