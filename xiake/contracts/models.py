"""Technology contracts (技术合同), their payments, and the registration rules and calendar as data.

Money is ``Decimal`` in yuan with two places (the registration form states amounts in 元). The
technology transaction value (技术交易额) is never typed in: it is the total (成交额) less the
non-technical costs, computed on every save and checked so that it can never be negative.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xiake.contracts.policies import ContractPolicy
from xiake.core.calendar import add_working_days
from xiake.core.crypto import SealableDecimalField, SealedValuesField
from xiake.core.models import AuditedModel
from xiake.core.querysets import RestrictedQuerySet

ZERO = Decimal("0.00")
AMOUNT_FIELDS = ("total_amount", "non_technical_amount", "tech_amount")
PAYMENT_AMOUNT_FIELDS = ("amount", "received_amount")
MONEY = {"max_digits": 16, "decimal_places": 2}
region_code = RegexValidator(r"^\d{6}$", _("A GB/T 2260 region code has six digits."))
country_code = RegexValidator(r"^\d{3}$", _("A country code has three digits."))


def _term(scheme: str, verbose_name, *, required: bool = False, **limit):
    """A foreign key to a taxonomy term of one scheme (``limit``: e.g. ``level=1``)."""
    return models.ForeignKey(
        "taxonomy.Term",
        verbose_name=verbose_name,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"scheme__code": scheme, **limit},
        null=not required,
        blank=not required,
    )


class RegistrationRuleSet(models.Model):
    """One version of the registration rules, in force from ``effective_from`` until the next one.

    Deadlines, the expert-review threshold and what the pre-check demands (attachments, the IP a
    sub-category implies) are data here, so that a new regulation is a new row, not a code change.
    """

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    source = models.TextField(_("source"), blank=True)
    effective_from = models.DateField(_("effective from"), unique=True)
    deadline_days = models.PositiveSmallIntegerField(_("deadline (days)"))
    working_days = models.BooleanField(
        _("counted in working days"), default=True, help_text=_("Otherwise calendar days.")
    )
    expert_threshold = models.DecimalField(
        _("expert review threshold (yuan)"),
        null=True,
        blank=True,
        help_text=_("Technology transaction value from which experts review; empty: never."),
        **MONEY,
    )
    expert_days = models.PositiveSmallIntegerField(
        _("expert review deadline (working days)"), null=True, blank=True
    )
    disputed_to_experts = models.BooleanField(_("disputed contracts go to experts"), default=False)
    correction_restarts = models.BooleanField(_("a correction restarts the clock"), default=True)
    requirements = models.JSONField(_("pre-check requirements"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("registration rule set")
        verbose_name_plural = _("registration rule sets")
        ordering = ["-effective_from"]

    def __str__(self):
        return self.name

    @classmethod
    def in_force(cls, on: dt.date) -> RegistrationRuleSet:
        rules = cls.objects.filter(effective_from__lte=on).order_by("-effective_from").first()
        if rules is None:
            raise LookupError(f"no registration rules in force on {on}")
        return rules

    def needs_experts(self, tech_amount: Decimal, disputed: bool) -> bool:
        if disputed and self.disputed_to_experts:
            return True
        return self.expert_threshold is not None and tech_amount >= self.expert_threshold

    def deadline(self, start: dt.date, *, expert: bool = False) -> dt.date:
        """The last day of the statutory period that starts on ``start``."""
        if expert and self.expert_days:
            return add_working_days(start, self.expert_days)
        if self.working_days:
            return add_working_days(start, self.deadline_days)
        return start + dt.timedelta(days=self.deadline_days)


class RegistrationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    ACCEPTED = "accepted", _("Accepted")
    RETURNED = "returned", _("Returned for correction")
    REVIEWING = "reviewing", _("Under review")
    EXPERT_REVIEW = "expert_review", _("Expert review")
    REGISTERED = "registered", _("Registered")
    REFUSED = "refused", _("Registration refused")
    AMENDED = "amended", _("Registered (amended)")
    CANCELLED = "cancelled", _("Registration cancelled")


# States counted as registered contracts in statistics and certificates.
REGISTERED_STATES = (RegistrationStatus.REGISTERED, RegistrationStatus.AMENDED)
# States in which the registry owes an answer within the statutory period.
OPEN_STATES = (
    RegistrationStatus.SUBMITTED,
    RegistrationStatus.ACCEPTED,
    RegistrationStatus.REVIEWING,
    RegistrationStatus.EXPERT_REVIEW,
)


class TechContractQuerySet(RestrictedQuerySet):
    def overdue(self, today: dt.date | None = None):
        today = today or dt.date.today()
        return self.filter(status__in=OPEN_STATES, deadline__lt=today)


class TechContract(AuditedModel):
    """A technology contract and its registration (认定登记) by the seller side.

    ``owner_org`` is the seller (developer, assignor, licensor, contractor, trainer or broker): the
    party that registers and edits the application. The buyer's members read it. The registrar
    (the bureau) sees it from submission on. ``version`` is the optimistic lock of the workflow.
    """

    title = models.CharField(_("project name"), max_length=200)
    contract_no = models.CharField(_("contract number"), max_length=60, blank=True)
    category = _term("contract_type", _("category"), required=True, level=1)
    subcategory = _term("contract_type", _("sub-category"), level=2)
    license_scope = _term("license_scope", _("licence scope"))
    technical_field = _term("contract_field", _("technical field"))
    owner_org = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("seller (registering party)"),
        on_delete=models.PROTECT,
        related_name="contracts_sold",
    )
    seller_party_type = _term("party_type", _("seller party type"))
    seller_region = models.CharField(
        _("seller region code"), max_length=6, blank=True, validators=[region_code]
    )
    buyer_org = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("buyer"),
        on_delete=models.PROTECT,
        related_name="contracts_bought",
        null=True,
        blank=True,
    )
    buyer_party_type = _term("party_type", _("buyer party type"))
    buyer_region = models.CharField(
        _("buyer region code"), max_length=6, blank=True, validators=[region_code]
    )
    buyer_country = models.CharField(
        _("buyer country code"), max_length=3, default="156", validators=[country_code]
    )
    subject = models.TextField(_("subject matter"), blank=True)
    ip_type = _term("ip_type", _("IP involved"))
    ip_numbers = models.CharField(
        _("IP numbers"), max_length=500, blank=True, help_text=_("Patent or registration numbers.")
    )
    signed_on = models.DateField(_("signing date"), null=True, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid until"), null=True, blank=True)
    confidential = models.BooleanField(
        _("confidential"),
        default=False,
        help_text=_(
            "A confidential (保密) contract: its amounts are stored encrypted and shown only to "
            "the bureau and the parties' contract staff."
        ),
    )
    # While ``confidential`` is set the three amount columns hold 0 and the amounts are here,
    # encrypted (xiake.core.crypto); statistics add them in application code (docs/contracts.md).
    total_amount = SealableDecimalField(
        _("total value (yuan)"),
        validators=[MinValueValidator(ZERO)],
        sealed_by="confidential",
        **MONEY,
    )
    non_technical_amount = SealableDecimalField(
        _("non-technical costs (yuan)"),
        default=ZERO,
        validators=[MinValueValidator(ZERO)],
        help_text=_("Purchased equipment, instruments, parts and raw materials."),
        sealed_by="confidential",
        **MONEY,
    )
    tech_amount = SealableDecimalField(
        _("technology transaction value (yuan)"),
        default=ZERO,
        editable=False,
        sealed_by="confidential",
        **MONEY,
    )
    sealed_amounts = SealedValuesField(
        _("sealed amounts"),
        fields=AMOUNT_FIELDS,
        flag="confidential",
    )
    disputed = models.BooleanField(_("disputed"), default=False)
    docking_case = models.ForeignKey(
        "brokerage.DockingCase",
        verbose_name=_("docking case"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="contracts",
        help_text=_("The docking case the contract came from (set when created from the case)."),
    )
    signed_online = models.BooleanField(_("signed on the platform"), default=False)

    status = models.CharField(
        _("registration status"),
        max_length=16,
        choices=RegistrationStatus.choices,
        default=RegistrationStatus.DRAFT,
        db_index=True,
        editable=False,
    )
    version = models.PositiveIntegerField(_("version"), default=0, editable=False)
    rule_set = models.ForeignKey(
        RegistrationRuleSet,
        verbose_name=_("rules applied"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True, editable=False)
    clock_started_on = models.DateField(
        _("period started on"), null=True, blank=True, editable=False
    )
    deadline = models.DateField(_("deadline"), null=True, blank=True, editable=False)
    registrar = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registrar"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    registration_no = models.CharField(
        _("registration number"),
        max_length=16,
        null=True,
        blank=True,
        unique=True,
        editable=False,
    )
    registered_on = models.DateField(_("registered on"), null=True, blank=True, editable=False)
    last_comment = models.TextField(_("registrar's comment"), blank=True, editable=False)

    objects = TechContractQuerySet.as_manager()
    policy = ContractPolicy()
    changelog_exclude = (*AuditedModel.changelog_exclude, "version")
    confidential_fields = AMOUNT_FIELDS
    confidential_flag = "confidential"

    class Meta:
        verbose_name = _("technology contract")
        verbose_name_plural = _("technology contracts")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_amount__gte=0)
                & Q(non_technical_amount__gte=0)
                & Q(non_technical_amount__lte=models.F("total_amount")),
                name="contracts_amounts_consistent",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def seller_org(self):
        return self.owner_org

    def amount_errors(self) -> dict[str, str]:
        """Field → message for amounts that are negative or do not add up."""
        errors: dict[str, str] = {}
        total, non_tech = self.total_amount, self.non_technical_amount
        for name, value in (("total_amount", total), ("non_technical_amount", non_tech)):
            if value is None:
                if name == "total_amount":
                    errors[name] = str(_("The total value is required."))
                continue
            if not isinstance(value, Decimal):
                errors[name] = str(_("Amounts are decimals in yuan, not floats."))
            elif value < 0:
                errors[name] = str(_("An amount cannot be negative."))
            elif value.as_tuple().exponent < -2:
                errors[name] = str(_("Amounts have at most two decimal places (fen)."))
        if not errors and non_tech > total:
            errors["non_technical_amount"] = str(
                _("The non-technical costs exceed the total value.")
            )
        return errors

    def clean(self):
        super().clean()
        errors = self.amount_errors()
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            errors["valid_to"] = str(_("The contract ends before it begins."))
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        if isinstance(self.total_amount, (int, str)):
            self.total_amount = Decimal(self.total_amount)
        if isinstance(self.non_technical_amount, (int, str)):
            self.non_technical_amount = Decimal(self.non_technical_amount)
        errors = self.amount_errors()
        if errors:
            raise ValidationError(errors)
        self.tech_amount = self.total_amount - (self.non_technical_amount or ZERO)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and set(update_fields) & {"confidential", *AMOUNT_FIELDS}:
            # sealing moves values between the amount columns and the sealed one: write all
            kwargs["update_fields"] = {*update_fields, "confidential", "sealed_amounts"}
            kwargs["update_fields"] |= set(AMOUNT_FIELDS)
        from xiake.contracts import rollup

        # The statistics cells move with the contract, in the same transaction.
        with transaction.atomic():
            old = rollup.fetch(self.pk, lock=True) if self.pk else None
            super().save(*args, **kwargs)
            # read back what was stored (``update_fields`` may have left other changes unsaved)
            rollup.apply(old, rollup.fetch(self.pk))
            for payment in self.payments.exclude(confidential=self.confidential):
                payment.contract = self
                payment.reseal()

    @property
    def is_registered(self) -> bool:
        return self.status in REGISTERED_STATES

    @property
    def is_overdue(self) -> bool:
        return (
            self.status in OPEN_STATES
            and self.deadline is not None
            and self.deadline < dt.date.today()
        )

    @property
    def status_badge(self) -> str:
        return {
            RegistrationStatus.DRAFT: "secondary",
            RegistrationStatus.RETURNED: "info",
            RegistrationStatus.REGISTERED: "success",
            RegistrationStatus.AMENDED: "success",
            RegistrationStatus.REFUSED: "danger",
            RegistrationStatus.CANCELLED: "dark",
        }.get(self.status, "warning")


class Payment(AuditedModel):
    """One instalment of a contract's payment schedule, and what was received against it.

    Edited on the contract's page by whoever may change the contract; read with the contract.
    """

    contract = models.ForeignKey(
        TechContract,
        verbose_name=_("contract"),
        on_delete=models.CASCADE,
        related_name="payments",
    )
    due_on = models.DateField(_("due on"))
    # The instalments add up to the contract's total, so a confidential contract's are sealed too;
    # ``confidential`` is the contract's flag, copied on every save (and when the contract's
    # flag changes, by ``TechContract.save``).
    confidential = models.BooleanField(_("confidential"), default=False, editable=False)
    amount = SealableDecimalField(
        _("amount due (yuan)"),
        validators=[MinValueValidator(ZERO)],
        sealed_by="confidential",
        **MONEY,
    )
    received_on = models.DateField(_("received on"), null=True, blank=True)
    received_amount = SealableDecimalField(
        _("amount received (yuan)"),
        default=ZERO,
        validators=[MinValueValidator(ZERO)],
        sealed_by="confidential",
        **MONEY,
    )
    sealed_amounts = SealedValuesField(
        _("sealed amounts"), fields=PAYMENT_AMOUNT_FIELDS, flag="confidential"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["contract_id", "due_on", "id"]

    def get_absolute_url(self):
        # a payment has no page of its own: it is shown (and edited) on its contract's page
        return self.contract.get_absolute_url() + "#payments"

    def __str__(self):
        if self.confidential:  # no amount where the contract's own is confidential
            return f"{self.contract} {self.due_on}"
        return f"{self.contract} {self.due_on} {self.amount}"

    def save(self, *args, **kwargs):
        self.confidential = self.contract.confidential
        super().save(*args, **kwargs)

    def reseal(self) -> None:
        """Follow the contract's flag (sealed or plain) without a change of the payment itself."""
        from xiake.core.crypto import update_values

        self.confidential = self.contract.confidential
        Payment.objects.filter(pk=self.pk).update(**update_values(self, ["confidential"]))

    def clean(self):
        super().clean()
        errors = {}
        for name in ("amount", "received_amount"):
            value = getattr(self, name)
            if value is not None and value < 0:
                errors[name] = _("An amount cannot be negative.")
        if self.received_amount and not self.received_on:
            errors["received_on"] = _("Give the date the money was received.")
        if errors:
            raise ValidationError(errors)


class ContractRollup(models.Model):
    """Running totals of contracts for the statistics page (``xiake.contracts.rollup``).

    One row per breakdown (``dimension``: signing month, category, technical field, seller party
    type, buyer organisation, seller organisation), key within it (yyyymm, term id or
    organisation id; 0 = not given), registration status and signed-online flag: how many
    contracts, and their 成交额 and 技术交易额 in fen (integers, so sums are exact on every
    database). Kept in step with the contracts in the same transaction as every save, delete
    and workflow move; ``xiake contract_rollup --rebuild`` recomputes it after bulk writes.
    """

    class Dimension(models.TextChoices):
        MONTH = "month", _("Month")
        CATEGORY = "category", _("Category")
        FIELD = "field", _("Technical field")
        PARTY_TYPE = "party_type", _("Seller party type")
        BUYER = "buyer", _("Buyer")
        SELLER = "seller", _("Seller")

    dimension = models.CharField(_("dimension"), max_length=12, choices=Dimension.choices)
    key = models.BigIntegerField(_("key"))
    status = models.CharField(
        _("registration status"), max_length=16, choices=RegistrationStatus.choices
    )
    signed_online = models.BooleanField(_("signed on the platform"))
    count = models.BigIntegerField(_("contracts"), default=0)
    total_fen = models.BigIntegerField(_("total value (fen)"), default=0)
    tech_fen = models.BigIntegerField(_("technology transaction value (fen)"), default=0)

    class Meta:
        verbose_name = _("contract statistics row")
        verbose_name_plural = _("contract statistics rows")
        constraints = [
            models.UniqueConstraint(
                fields=["dimension", "key", "status", "signed_online"],
                name="contracts_rollup_cell",
            )
        ]

    def __str__(self):
        return f"{self.dimension}={self.key} {self.status} {self.signed_online}: {self.count}"
