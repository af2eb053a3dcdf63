"""Tech finance (科技金融): financing needs of small tech firms, the investors of the district's fund
alliance, roadshow sessions pairing firms with investors, the investors' interest and follow-ups, and
the investments finally made (alone or as co-investments).

Money is 万元 with two decimals. Who may do what lives in ``xiake.liaison.policies``; rules that
depend on who is acting (an investor may only take interest in a need shared with the alliance, and
follow up only its own interest) are checked in ``clean()`` with the acting user from
``xiake.core.context`` and again in ``save()``, so forms, the API and scripts obey the same rules.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiake.core.crypto import EncryptedCharField
from xiake.core.models import AuditedModel
from xiake.liaison import policies


def money(verbose_name, **kwargs):
    kwargs.setdefault("validators", [MinValueValidator(Decimal("0"))])
    return models.DecimalField(verbose_name, max_digits=12, decimal_places=2, **kwargs)


def acting_user():
    from xiake.core.context import current

    return current().actor()


class Investor(AuditedModel):
    """An organisation in the district's fund alliance (科技金融基金联盟): a venture or equity fund
    manager, the government guidance fund, a bank or a guarantee company, with what it invests in."""

    class Kind(models.TextChoices):
        VC = "vc", _("Venture capital fund")
        PE = "pe", _("Private equity fund")
        ANGEL = "angel", _("Angel investor")
        GUIDANCE = "guidance", _("Government guidance fund")
        BANK = "bank", _("Bank")
        GUARANTEE = "guarantee", _("Guarantee company")

    owner_org = models.OneToOneField(
        "accounts.Organization",
        verbose_name=_("investor organisation"),
        on_delete=models.PROTECT,
        related_name="fund_investor",
    )
    kind = models.CharField(_("investor kind"), max_length=16, choices=Kind.choices)
    focus = models.TextField(_("investment focus"), blank=True)
    ticket_min = money(_("smallest ticket (10k yuan)"), null=True, blank=True)
    ticket_max = money(_("largest ticket (10k yuan)"), null=True, blank=True)
    fund_size = money(_("fund size (10k yuan)"), null=True, blank=True)
    joined_on = models.DateField(_("joined the alliance on"), default=timezone.localdate)
    is_active = models.BooleanField(_("active alliance member"), default=True)
    contact_name = models.CharField(_("contact person"), max_length=60, blank=True)
    contact_phone = EncryptedCharField(_("contact phone"), max_length=40, blank=True)
    is_demo = models.BooleanField(_("demo record"), default=False, editable=False)

    contact_fields = ("contact_phone",)
    policy = policies.InvestorPolicy()

    class Meta:
        verbose_name = _("fund alliance investor")
        verbose_name_plural = _("fund alliance investors")
        ordering = ["owner_org__name"]

    def __str__(self):
        return str(self.owner_org)

    def clean(self):
        if self.ticket_min and self.ticket_max and self.ticket_min > self.ticket_max:
            raise ValidationError({"ticket_max": _("The largest ticket is below the smallest.")})

    def save(self, *args, **kwargs):
        self.clean()
        super().save(*args, **kwargs)


def investor_org_ids():
    return Investor.objects.filter(is_active=True).values("owner_org_id")


class FinancingNeed(AuditedModel):
    """What a small tech firm wants to raise: amount, stage, how, for what, and the IP it can pledge.
    Shared needs are seen by the alliance's investors; the rest only by the firm and the bureau."""

    class Stage(models.TextChoices):
        SEED = "seed", _("Seed")
        STARTUP = "startup", _("Start-up")
        GROWTH = "growth", _("Growth")
        EXPANSION = "expansion", _("Expansion")
        PRE_IPO = "pre_ipo", _("Pre-IPO")

    class Method(models.TextChoices):
        EQUITY = "equity", _("Equity")
        LOAN = "loan", _("Bank loan")
        IP_PLEDGE = "ip_pledge", _("IP pledge loan")
        GUARANTEE = "guarantee", _("Guaranteed loan")
        INVEST_LOAN = "invest_loan", _("Investment-loan linkage")

    class Status(models.TextChoices):
        OPEN = "open", _("Open to offers")
        MATCHING = "matching", _("In talks")
        FINANCED = "financed", _("Financed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    owner_org = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        related_name="financing_needs",
    )
    title = models.CharField(_("financing need"), max_length=200)
    amount = money(_("amount sought (10k yuan)"))
    stage = models.CharField(_("company stage"), max_length=16, choices=Stage.choices)
    method = models.CharField(_("financing method"), max_length=16, choices=Method.choices)
    use_of_funds = models.TextField(_("use of funds"))
    ip_to_pledge = models.TextField(
        _("IP to pledge"), blank=True, help_text=_("Patent or registration numbers, one a line.")
    )
    revenue_last_year = money(_("revenue last year (10k yuan)"), null=True, blank=True)
    deadline = models.DateField(_("wanted by"), null=True, blank=True)
    status = models.CharField(
        _("need status"), max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    share_with_investors = models.BooleanField(
        _("shared with alliance investors"),
        default=True,
        help_text=_("Investors of the fund alliance may see the need and express interest."),
    )
    is_demo = models.BooleanField(_("demo record"), default=False, editable=False)

    policy = policies.FinancingNeedPolicy()

    class Meta:
        verbose_name = _("financing need")
        verbose_name_plural = _("financing needs")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.title

    @property
    def status_badge(self) -> str:
        return {"financed": "success", "withdrawn": "secondary", "matching": "info"}.get(
            self.status, "warning"
        )

    def clean(self):
        if self.amount is not None and self.amount <= 0:
            raise ValidationError({"amount": _("Enter an amount above zero.")})
        if self.method == self.Method.IP_PLEDGE and not self.ip_to_pledge.strip():
            raise ValidationError({"ip_to_pledge": _("Name the IP to pledge for an IP loan.")})

    def save(self, *args, **kwargs):
        self.clean()
        super().save(*args, **kwargs)


class RoadshowSession(AuditedModel):
    """A roadshow (路演) where firms pitch their financing needs to invited alliance investors,
    optionally held as one of the service events."""

    title = models.CharField(_("session title"), max_length=200)
    event = models.ForeignKey(
        "liaison.Event",
        verbose_name=_("event"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="roadshow_sessions",
        limit_choices_to={"event_type": "roadshow"},
    )
    held_at = models.DateTimeField(_("held at"), db_index=True)
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    needs = models.ManyToManyField(
        FinancingNeed, verbose_name=_("pitching firms' needs"), blank=True, related_name="sessions"
    )
    investors = models.ManyToManyField(
        Investor, verbose_name=_("invited investors"), blank=True, related_name="sessions"
    )
    summary = models.TextField(_("summary"), blank=True)
    is_demo = models.BooleanField(_("demo record"), default=False, editable=False)

    policy = policies.RoadshowPolicy()

    class Meta:
        verbose_name = _("roadshow session")
        verbose_name_plural = _("roadshow sessions")
        ordering = ["-held_at"]

    def __str__(self):
        return self.title


class InvestorInterest(AuditedModel):
    """An alliance investor's interest in a financing need and how far it has gone."""

    class Status(models.TextChoices):
        INTERESTED = "interested", _("Interested")
        TALKS = "talks", _("In talks")
        DUE_DILIGENCE = "due_diligence", _("Due diligence")
        TERM_SHEET = "term_sheet", _("Term sheet signed")
        INVESTED = "invested", _("Invested")
        DECLINED = "declined", _("Declined")

    owner_org = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("investor organisation"),
        on_delete=models.PROTECT,
        related_name="investor_interests",
    )
    need = models.ForeignKey(
        FinancingNeed,
        verbose_name=_("financing need"),
        on_delete=models.PROTECT,
        related_name="interests",
        limit_choices_to={"share_with_investors": True},
    )
    session = models.ForeignKey(
        RoadshowSession,
        verbose_name=_("roadshow session"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interests",
    )
    status = models.CharField(
        _("interest status"),
        max_length=16,
        choices=Status.choices,
        default=Status.INTERESTED,
        db_index=True,
    )
    amount_considered = money(_("amount considered (10k yuan)"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    next_follow_up_on = models.DateField(_("next follow-up"), null=True, blank=True)
    is_demo = models.BooleanField(_("demo record"), default=False, editable=False)

    policy = policies.InvestorInterestPolicy()

    class Meta:
        verbose_name = _("investor interest")
        verbose_name_plural = _("investor interests")
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["owner_org", "need"], name="liaison_interest_once"),
        ]

    def __str__(self):
        return f"{self.owner_org} → {self.need}"

    @property
    def status_badge(self) -> str:
        return {"invested": "success", "declined": "secondary"}.get(self.status, "info")

    def clean(self):
        from xiake.core.roles import is_bureau, organization_id_of

        user = acting_user()
        org_id = self.owner_org_id or (organization_id_of(user) if user else None)
        if org_id and not Investor.objects.filter(owner_org_id=org_id, is_active=True).exists():
            raise ValidationError(_("Only investors of the fund alliance express interest."))
        if self.need_id and user is not None and not is_bureau(user):
            if not FinancingNeed.objects.restrict(user, "view").filter(pk=self.need_id).exists():
                raise ValidationError(
                    {"need": _("Choose a financing need shared with the fund alliance.")}
                )

    def save(self, *args, **kwargs):
        self.clean()
        super().save(*args, **kwargs)


class FollowUp(AuditedModel):
    """One contact between an investor and a firm about an interest: what was said, what next."""

    class Channel(models.TextChoices):
        MEETING = "meeting", _("Meeting")
        CALL = "call", _("Phone call")
        VISIT = "visit", _("Site visit")
        ROADSHOW = "roadshow", _("Roadshow")

    interest = models.ForeignKey(
        InvestorInterest,
        verbose_name=_("investor interest"),
        on_delete=models.CASCADE,
        related_name="follow_ups",
    )
    date = models.DateField(_("date"), default=timezone.localdate)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    note = models.TextField(_("what was discussed"))
    next_step = models.CharField(_("next step"), max_length=200, blank=True)
    is_demo = models.BooleanField(_("demo record"), default=False, editable=False)

    policy = policies.FollowUpPolicy()

    class Meta:
        verbose_name = _("investor follow-up")
        verbose_name_plural = _("investor follow-ups")
        ordering = ["-date", "-id"]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.interest}"

    def clean(self):
        user = acting_user()
        if self.interest_id and user is not None:
            if (
                not InvestorInterest.objects.restrict(user, "change")
                .filter(pk=self.interest_id)
                .exists()
            ):
                raise ValidationError({"interest": _("You may only follow up your own interest.")})

    def save(self, *args, **kwargs):
        self.clean()
        super().save(*args, **kwargs)


class Investment(AuditedModel):
    """An investment made in a firm (equity or loan), by one investor or several (co-investment,
    one share each), recorded by the bureau from the alliance's reports."""

    class Round(models.TextChoices):
        ANGEL = "angel", _("Angel round")
        PRE_A = "pre_a", _("Pre-A round")
        A = "a", _("Series A")
        B = "b", _("Series B")
        LATER = "later", _("Later round")
        LOAN = "loan", _("Loan")

    owner_org = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        related_name="investments_received",
    )
    need = models.ForeignKey(
        FinancingNeed,
        verbose_name=_("financing need"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="investments",
    )
    session = models.ForeignKey(
        RoadshowSession,
        verbose_name=_("roadshow session"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="investments",
    )
    round = models.CharField(_("round"), max_length=16, choices=Round.choices)
    amount = money(_("amount (10k yuan)"))
    closed_on = models.DateField(_("closed on"), db_index=True)
    note = models.TextField(_("note"), blank=True)
    is_demo = models.BooleanField(_("demo record"), default=False, editable=False)

    policy = policies.InvestmentPolicy()

    class Meta:
        verbose_name = _("investment")
        verbose_name_plural = _("investments")
        ordering = ["-closed_on", "-id"]

    def __str__(self):
        return f"{self.owner_org} {self.get_round_display()} {self.amount}"

    def clean(self):
        if self.need_id and self.owner_org_id and self.need.owner_org_id != self.owner_org_id:
            raise ValidationError({"need": _("The need belongs to another enterprise.")})

    def save(self, *args, **kwargs):
        self.clean()
        super().save(*args, **kwargs)

    @property
    def is_co_investment(self) -> bool:
        return self.shares.count() > 1


class InvestmentShare(AuditedModel):
    """One investor's part of an investment; two or more shares make a co-investment (联合投资).
    The shares of an investment never add up to more than its amount."""

    investment = models.ForeignKey(
        Investment,
        verbose_name=_("investment"),
        on_delete=models.CASCADE,
        related_name="shares",
    )
    investor = models.ForeignKey(
        Investor, verbose_name=_("investor"), on_delete=models.PROTECT, related_name="shares"
    )
    amount = money(_("amount (10k yuan)"))
    is_lead = models.BooleanField(_("lead investor"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)
    is_demo = models.BooleanField(_("demo record"), default=False, editable=False)

    policy = policies.InvestmentSharePolicy()

    class Meta:
        verbose_name = _("investment share")
        verbose_name_plural = _("investment shares")
        ordering = ["investment", "-is_lead", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["investment", "investor"], name="liaison_share_once_per_investor"
            ),
        ]

    def __str__(self):
        return f"{self.investor} {self.amount} {self.note}".strip()

    def clean(self):
        if not self.investment_id or self.amount is None:
            return
        others = (
            InvestmentShare.objects.filter(investment_id=self.investment_id)
            .exclude(pk=self.pk)
            .aggregate(s=Sum("amount"))["s"]
            or 0
        )
        if others + self.amount > self.investment.amount:
            raise ValidationError(
                {
                    "amount": _("The shares would add up to %(total)s, above the investment.")
                    % {"total": others + self.amount}
                }
            )

    def save(self, *args, **kwargs):
        self.clean()
        super().save(*args, **kwargs)
