"""New R&D institutions (新型研发机构, domain.md §6): registry, monthly statistics, warnings,
tiers and the annual evaluation.

Rules that come from regulations (filing conditions, warning thresholds, tiers, indicator systems,
grade cut-offs) are rows with a version and an effective date, never constants in code.
"""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from xiake.core.models import AuditedModel, ReviewedModel
from xiake.core.review import ReviewStatus, Transition
from xiake.institutions import policies


def money(verbose_name, **kwargs):
    """An amount in 万元 with two decimals; never a float."""
    kwargs.setdefault("null", True)
    kwargs.setdefault("blank", True)
    return models.DecimalField(
        verbose_name, max_digits=14, decimal_places=2, validators=[MinValueValidator(0)], **kwargs
    )


def share(verbose_name, **kwargs):
    """A percentage 0–100 with two decimals."""
    kwargs.setdefault("null", True)
    kwargs.setdefault("blank", True)
    return models.DecimalField(
        verbose_name,
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        **kwargs,
    )


def count(verbose_name, **kwargs):
    kwargs.setdefault("default", 0)
    return models.PositiveIntegerField(verbose_name, **kwargs)


class VersionedRule(AuditedModel):
    """Base of rule data: a version label and the dates it is in force."""

    version = models.CharField(_("version"), max_length=40, unique=True)
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective to"), null=True, blank=True)
    source = models.CharField(_("source document"), max_length=200, blank=True)
    is_demo = models.BooleanField(_("demo record"), default=False, editable=False)

    policy = policies.RuleDataPolicy()

    class Meta:
        abstract = True
        ordering = ["-effective_from"]

    def __str__(self):
        return self.version

    @classmethod
    def in_force(cls, on=None):
        """The version in force on ``on`` (today by default), or None."""
        on = on or dt.date.today()
        return (
            cls.objects.filter(effective_from__lte=on)
            .filter(models.Q(effective_to__isnull=True) | models.Q(effective_to__gte=on))
            .order_by("-effective_from")
            .first()
        )


def months_between(start, on) -> int:
    """Whole calendar months from ``start`` to ``on`` (0 when ``start`` is unknown)."""
    if not start:
        return 0
    return (on.year - start.year) * 12 + on.month - start.month


class FilingRule(VersionedRule):
    """Filing (备案) conditions of one version, e.g. Nanjing 2020 (domain.md §6)."""

    min_team_share_pct = share(_("minimum team shareholding (%)"), default=Decimal("50"))
    min_registered_capital = money(_("minimum cash registered capital (10k yuan)"), default=300)
    min_team_shareholders = count(_("minimum team shareholders now"), default=5)
    min_team_shareholders_3y = count(_("minimum team shareholders within 3 years"), default=15)
    max_core_scientist_pct = share(_("maximum core scientist share (%)"), default=Decimal("15"))
    min_fulltime_rd_pct = share(_("minimum full-time R&D staff share (%)"), default=Decimal("30"))
    min_investment_3y = money(_("minimum investment within 3 years (10k yuan)"), default=3000)
    min_rd_equipment_3y = money(
        _("minimum R&D and equipment investment within 3 years (10k yuan)"), default=2000
    )
    recommended_fund = money(_("recommended industry fund (10k yuan)"), default=1000)

    class Meta(VersionedRule.Meta):
        verbose_name = _("filing rule")
        verbose_name_plural = _("filing rules")


class Park(AuditedModel):
    """A park or street of the district with its coordinates, for the overview map.

    Institutions name their park in ``Institution.park``; a park named there without a row here
    is listed under "no coordinates" instead of on the map.
    """

    class Kind(models.TextChoices):
        PARK = "park", _("Park")
        STREET = "street", _("Street")

    name = models.CharField(_("park or street"), max_length=60, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PARK)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=8,
        decimal_places=5,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=8,
        decimal_places=5,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    is_demo = models.BooleanField(_("demo record"), default=False, editable=False)

    policy = policies.RuleDataPolicy()

    class Meta:
        verbose_name = _("park or street")
        verbose_name_plural = _("parks and streets")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Institution(AuditedModel):
    """A new R&D institution in the registry: legal form, backing, filing and the 四位一体 parts."""

    class LegalForm(models.TextChoices):
        ENTERPRISE = "enterprise", _("Enterprise")
        PRIVATE_NON_ENTERPRISE = "private_ne", _("Private non-enterprise unit")
        PUBLIC_INSTITUTION = "public", _("Public institution")

    class Backing(models.TextChoices):
        UNIVERSITY = "university", _("University")
        CAS = "cas", _("CAS institute")
        ENTERPRISE = "enterprise", _("Enterprise")
        OUTSIDE_UNIVERSITY = "outside_university", _("University outside the city")
        OVERSEAS = "overseas", _("Overseas university")

    class Filing(models.TextChoices):
        NONE = "none", _("Not filed")
        CULTIVATING = "cultivating", _("Filed for cultivation")
        DISTRICT = "district", _("District level")
        CITY = "city", _("City level")

    owner_org = models.OneToOneField(
        "accounts.Organization",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="institution",
        limit_choices_to={"org_type": "nri"},
    )
    name = models.CharField(_("institution name"), max_length=200, unique=True)
    legal_form = models.CharField(_("legal form"), max_length=20, choices=LegalForm.choices)
    backing_type = models.CharField(
        _("backing platform type"), max_length=20, choices=Backing.choices
    )
    backing_name = models.CharField(_("backing platform"), max_length=200, blank=True)
    co_built_local = models.BooleanField(_("co-built with a local university"), default=False)
    filing_status = models.CharField(
        _("filing status"), max_length=20, choices=Filing.choices, default=Filing.NONE
    )
    filed_on = models.DateField(_("filed on"), null=True, blank=True)
    district_on = models.DateField(_("district level since"), null=True, blank=True)
    city_on = models.DateField(_("city level since"), null=True, blank=True)
    park = models.CharField(_("park or street"), max_length=60, blank=True)
    established_on = models.DateField(_("established on"), null=True, blank=True)
    registered_capital = money(_("cash registered capital (10k yuan)"))
    paid_in_capital = money(_("paid-in capital (10k yuan)"))
    team_share_pct = share(_("team shareholding (%)"))
    team_shareholders = count(_("team shareholders"))
    core_scientist_pct = share(_("core scientist share (%)"))
    leader_name = models.CharField(_("leader"), max_length=60, blank=True)
    research_team = models.TextField(_("research team"), blank=True)
    transfer_company = models.CharField(_("transfer platform company"), max_length=200, blank=True)
    fund_name = models.CharField(_("industry fund"), max_length=200, blank=True)
    fund_size = money(_("industry fund size (10k yuan)"))
    committed_investment_3y = money(_("committed investment within 3 years (10k yuan)"))
    committed_rd_equipment_3y = money(_("committed R&D and equipment within 3 years (10k yuan)"))
    committed_incubated_3y = count(_("committed incubated firms within 3 years"))
    tier = models.ForeignKey(
        "Tier",
        verbose_name=_("tier"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    is_demo = models.BooleanField(_("demo record"), default=False, editable=False)

    policy = policies.InstitutionPolicy()

    class Meta:
        verbose_name = _("new R&D institution")
        verbose_name_plural = _("new R&D institutions")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def months_operating(self, on=None) -> int:
        return months_between(self.established_on, on or dt.date.today())

    def filing_check(self, rule=None, on=None):
        """Each filing condition of the rule in force: (label, required, actual, met)."""
        from xiake.institutions.monitoring import filing_check

        return filing_check(self, rule or FilingRule.in_force(on), on)


class OwnInstitutionMixin:
    """Members may attach records only to an institution they may change (forms, API, import)."""

    def clean(self):
        from xiake.institutions.reporting import check_own_institution

        super().clean()
        check_own_institution(self)


class TeamMember(OwnInstitutionMixin, AuditedModel):
    """A leader, core scientist or team shareholder of an institution."""

    class Role(models.TextChoices):
        LEADER = "leader", _("Leader")
        CORE = "core", _("Core scientist")
        SHAREHOLDER = "shareholder", _("Team shareholder")

    institution = models.ForeignKey(
        Institution, verbose_name=_("institution"), on_delete=models.CASCADE, related_name="team"
    )
    name = models.CharField(_("name"), max_length=60)
    role = models.CharField(_("role in team"), max_length=20, choices=Role.choices)
    title = models.CharField(_("professional title"), max_length=60, blank=True)
    share_pct = share(_("shareholding (%)"))
    full_time = models.BooleanField(_("full-time"), default=True)

    policy = policies.InstitutionChildPolicy()

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        ordering = ["institution", "role", "name"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "name"], name="inst_team_nk"),
        ]

    def __str__(self):
        return self.name


class ProjectCompany(OwnInstitutionMixin, AuditedModel):
    """A project company of the industry chain, incubated or introduced, with registration data."""

    class Relation(models.TextChoices):
        INCUBATED = "incubated", _("Incubated")
        INTRODUCED = "introduced", _("Introduced")

    institution = models.ForeignKey(
        Institution,
        verbose_name=_("institution"),
        on_delete=models.CASCADE,
        related_name="companies",
    )
    name = models.CharField(_("company name"), max_length=200)
    relation = models.CharField(_("relation"), max_length=20, choices=Relation.choices)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    registered_on = models.DateField(_("registered on"), null=True, blank=True)
    registered_capital = money(_("registered capital (10k yuan)"))
    is_high_tech = models.BooleanField(_("high-tech enterprise"), default=False)
    main_business = models.CharField(_("main business"), max_length=200, blank=True)

    policy = policies.InstitutionChildPolicy()

    class Meta:
        verbose_name = _("project company")
        verbose_name_plural = _("project companies")
        ordering = ["institution", "-registered_on"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "name"], name="inst_company_nk"),
        ]

    def __str__(self):
        return self.name


class WarningRule(VersionedRule):
    """Deadlines and warning thresholds of one version (configurable, dated)."""

    deadline_day = models.PositiveSmallIntegerField(
        _("report due by day of the following month"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
    )
    reminder_days = models.PositiveSmallIntegerField(
        _("remind days before the deadline"), default=3
    )
    decline_share = share(
        _("warn when revenue or R&D spend falls by (%)"), default=Decimal("30"), null=False
    )
    decline_window = models.PositiveSmallIntegerField(_("decline window (months)"), default=3)
    no_new_firm_months = models.PositiveSmallIntegerField(
        _("warn after months without a new incubated firm"), default=6
    )
    commitment_min_pct = share(
        _("commitments on track at (share of pro-rata, %)"), default=Decimal("60"), null=False
    )
    robust_z = models.DecimalField(
        _("anomaly threshold (robust z-score)"),
        max_digits=4,
        decimal_places=1,
        default=Decimal("4"),
    )
    min_history = models.PositiveSmallIntegerField(_("months of history for anomalies"), default=12)
    outlier_factor = models.DecimalField(
        _("ask to confirm when a monthly figure exceeds its median by (times)"),
        max_digits=5,
        decimal_places=1,
        default=Decimal("5"),
    )

    class Meta(VersionedRule.Meta):
        verbose_name = _("warning rule")
        verbose_name_plural = _("warning rules")


class MonthlyReport(ReviewedModel):
    """One institution's statistics for one month (domain.md §6); submit → accept or return.

    Flows are the month's own figures; stocks (``*_cum``, fund size, equipment, floor area) are the
    state at the month's end. Cumulative figures never shrink unless a correction is stated.
    """

    institution = models.ForeignKey(
        Institution,
        verbose_name=_("institution"),
        on_delete=models.CASCADE,
        related_name="reports",
    )
    period = models.DateField(_("month"), help_text=_("First day of the reported month."))
    rd_spend = money(_("R&D spend (10k yuan)"), null=False, default=0)
    staff_total = count(_("staff"))
    fulltime_rd_staff = count(_("full-time R&D staff"))
    team_shareholders = count(_("team shareholders"))
    incubated_new = count(_("newly incubated firms"))
    introduced_new = count(_("newly introduced firms"))
    new_firm_names = models.TextField(
        _("names of new firms"), blank=True, help_text=_("One per line or separated by commas.")
    )
    incubated_cum = count(_("incubated firms, cumulative"))
    introduced_cum = count(_("introduced firms, cumulative"))
    hightech_cum = count(_("of which high-tech enterprises, cumulative"))
    revenue = money(_("revenue (10k yuan)"), null=False, default=0)
    technical_income = money(_("technical income (10k yuan)"), null=False, default=0)
    contract_value = money(_("technology contract value (10k yuan)"), null=False, default=0)
    patent_applications = count(_("patent applications"))
    invention_applications = count(_("of which invention applications"))
    patent_grants = count(_("patents granted"))
    invention_grants = count(_("of which invention patents granted"))
    software_copyrights = count(_("software copyrights"))
    fund_size = money(_("fund size (10k yuan)"), null=False, default=0)
    financing_raised = money(_("financing raised (10k yuan)"), null=False, default=0)
    equipment_value = money(_("equipment value (10k yuan)"), null=False, default=0)
    floor_area = models.DecimalField(
        _("floor area (m²)"),
        max_digits=10,
        decimal_places=1,
        default=0,
        validators=[MinValueValidator(0)],
    )
    correction_note = models.TextField(
        _("correction note"),
        blank=True,
        help_text=_("Required when a cumulative figure is lower than last month's."),
    )
    outliers_confirmed = models.BooleanField(
        _("unusual figures confirmed"),
        default=False,
        help_text=_("Tick to confirm figures far above this institution's usual months."),
    )

    policy = policies.InstitutionChildPolicy()

    #: Figures that may not decrease from one month to the next without a correction note.
    CUMULATIVE = ("incubated_cum", "introduced_cum", "hightech_cum")
    #: Monthly flows checked against the institution's own median (outliers asked to confirm).
    FLOWS = ("rd_spend", "revenue", "technical_income", "contract_value", "financing_raised")
    #: Every figure of the report (form, spreadsheet, API, evaluation formulas).
    FIGURES = (
        "rd_spend",
        "staff_total",
        "fulltime_rd_staff",
        "team_shareholders",
        "incubated_new",
        "introduced_new",
        "incubated_cum",
        "introduced_cum",
        "hightech_cum",
        "revenue",
        "technical_income",
        "contract_value",
        "patent_applications",
        "invention_applications",
        "patent_grants",
        "invention_grants",
        "software_copyrights",
        "fund_size",
        "financing_raised",
        "equipment_value",
        "floor_area",
    )

    class Meta:
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")
        ordering = ["-period", "institution"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "period"], name="inst_report_month"),
        ]
        indexes = [models.Index(fields=["period", "status"], name="inst_report_period_idx")]

    def __str__(self):
        name = self.institution.name if self.institution_id else ""
        return f"{name} {self.period:%Y-%m}" if self.period else name

    def clean(self):
        from xiake.institutions.reporting import validate_report

        validate_report(self)

    def transition(self, action: str, user, comment: str = "") -> None:
        """The shared workflow, refused for locked periods; submit re-validates the figures."""
        from xiake.core.review import TransitionError
        from xiake.institutions.reporting import validate_report

        if PeriodLock.objects.filter(period=self.period).exists():
            raise TransitionError(_("The month %(m)s is locked.") % {"m": f"{self.period:%Y-%m}"})
        if action == "submit":
            try:
                validate_report(self)
            except ValidationError as exc:
                raise TransitionError("；".join(exc.messages)) from None
        super().transition(action, user, comment)

    @property
    def is_accepted(self) -> bool:
        return self.status == ReviewStatus.PUBLISHED


class PeriodLock(AuditedModel):
    """A month the bureau has closed: its reports can no longer be changed or moved."""

    period = models.DateField(_("month"), unique=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    is_demo = models.BooleanField(_("demo record"), default=False, editable=False)

    policy = policies.RuleDataPolicy()

    class Meta:
        verbose_name = _("locked month")
        verbose_name_plural = _("locked months")
        ordering = ["-period"]

    def __str__(self):
        return f"{self.period:%Y-%m}"


class EarlyWarning(AuditedModel):
    """An early warning with its reason and the evidence (figures) that triggered it."""

    class Kind(models.TextChoices):
        MISSING = "missing", _("Missing report")
        LATE = "late", _("Late report")
        REVENUE_DROP = "revenue_drop", _("Revenue falling")
        RD_DROP = "rd_drop", _("R&D spend falling")
        NO_NEW_FIRM = "no_new_firm", _("No new incubated firm")
        COMMITMENT = "commitment", _("Commitment off track")
        ANOMALY = "anomaly", _("Anomalous jump")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        RESOLVED = "resolved", _("Resolved")

    class Severity(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")

    institution = models.ForeignKey(
        Institution,
        verbose_name=_("institution"),
        on_delete=models.CASCADE,
        related_name="warnings",
    )
    kind = models.CharField(_("warning type"), max_length=20, choices=Kind.choices, db_index=True)
    period = models.DateField(_("month"))
    key = models.CharField(_("key"), max_length=80, editable=False)
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.MEDIUM
    )
    reason = models.CharField(_("reason"), max_length=300)
    evidence = models.JSONField(_("evidence"), default=dict, blank=True, editable=False)
    rule = models.ForeignKey(
        WarningRule,
        verbose_name=_("warning rule"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    status = models.CharField(
        _("handling status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    note = models.TextField(_("handling note"), blank=True)

    policy = policies.WarningPolicy()

    class Meta:
        verbose_name = _("early warning")
        verbose_name_plural = _("early warnings")
        ordering = ["-period", "institution"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "key"], name="inst_warning_key"),
        ]

    def __str__(self):
        return f"{self.institution} · {self.get_kind_display()} · {self.period:%Y-%m}"

    @property
    def status_badge(self) -> str:
        return {"open": "danger", "acknowledged": "warning", "resolved": "success"}[self.status]


class Tier(VersionedRule):
    """A cultivation tier (分档) with its entry thresholds and differentiated measures.

    ``version`` names the tier within its rule set (e.g. ``2024-A``); ``rule_set`` groups tiers
    that are in force together; ``rank`` orders them (higher is better).
    """

    rule_set = models.CharField(_("rule set"), max_length=40)
    name = models.CharField(_("tier name"), max_length=60)
    rank = models.PositiveSmallIntegerField(_("rank"), default=1)
    min_months = models.PositiveSmallIntegerField(_("minimum months operating"), default=0)
    min_revenue_12m = money(_("minimum revenue over 12 months (10k yuan)"), default=0)
    min_rd_spend_12m = money(_("minimum R&D spend over 12 months (10k yuan)"), default=0)
    min_incubated = count(_("minimum incubated firms, cumulative"))
    min_patents_12m = count(_("minimum patent applications over 12 months"))
    measures = models.TextField(_("differentiated measures"), blank=True)

    class Meta(VersionedRule.Meta):
        verbose_name = _("cultivation tier")
        verbose_name_plural = _("cultivation tiers")
        ordering = ["rule_set", "-rank"]

    def __str__(self):
        return f"{self.name} {self.rule_set}"


class TierAssignment(AuditedModel):
    """A tier suggested from the evidence and, once the bureau confirms it, in effect."""

    institution = models.ForeignKey(
        Institution, verbose_name=_("institution"), on_delete=models.CASCADE, related_name="tiers"
    )
    suggested = models.ForeignKey(
        Tier,
        verbose_name=_("suggested tier"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    confirmed = models.ForeignKey(
        Tier,
        verbose_name=_("confirmed tier"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)
    as_of = models.DateField(_("as of"))
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    policy = policies.InstitutionChildPolicy()

    class Meta:
        verbose_name = _("tier assignment")
        verbose_name_plural = _("tier assignments")
        ordering = ["-as_of", "institution"]

    def __str__(self):
        return f"{self.institution} {self.as_of}"


# -- evaluation --------------------------------------------------------------------------------


class IndicatorSystem(VersionedRule):
    """A versioned indicator system with grade cut-offs and quotas.

    Frozen once a round using it is published: later changes of weights create a new version.
    """

    name = models.CharField(_("name"), max_length=100)
    excellent_min = models.DecimalField(
        _("excellent from (score)"), max_digits=5, decimal_places=2, default=85
    )
    good_min = models.DecimalField(
        _("good from (score)"), max_digits=5, decimal_places=2, default=75
    )
    pass_min = models.DecimalField(
        _("pass from (score)"), max_digits=5, decimal_places=2, default=60
    )
    excellent_quota_pct = share(_("at most excellent (%)"), default=Decimal("10"), null=False)
    top_quota_pct = share(_("at most excellent or good (%)"), default=Decimal("30"), null=False)
    min_months = models.PositiveSmallIntegerField(_("eligible after months operating"), default=12)
    is_frozen = models.BooleanField(_("frozen"), default=False, editable=False)

    class Meta(VersionedRule.Meta):
        verbose_name = _("indicator system")
        verbose_name_plural = _("indicator systems")

    def __str__(self):
        return f"{self.name} {self.version}"


class Indicator(AuditedModel):
    """A leaf of the indicator tree: dimension → indicator, weight, computed or scored."""

    class Dimension(models.TextChoices):
        INNOVATION = "innovation", _("Innovation capability")
        INDUSTRY = "industry", _("Industrial benefit")
        TALENT = "talent", _("Talent concentration")
        SERVICE = "service", _("Public service platform")

    class Method(models.TextChoices):
        COMPUTED = "computed", _("Computed from reports")
        SCORED = "scored", _("Scored by evaluators")

    class Normalisation(models.TextChoices):
        MINMAX = "minmax", _("Min–max")
        PERCENTILE = "percentile", _("Percentile")
        TARGET = "target", _("Against a target")

    system = models.ForeignKey(
        IndicatorSystem,
        verbose_name=_("indicator system"),
        on_delete=models.CASCADE,
        related_name="indicators",
    )
    dimension = models.CharField(_("dimension"), max_length=20, choices=Dimension.choices)
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("indicator name"), max_length=100)
    weight = models.DecimalField(
        _("weight (%)"), max_digits=5, decimal_places=2, validators=[MinValueValidator(0)]
    )
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    formula = models.CharField(
        _("formula"),
        max_length=300,
        blank=True,
        help_text=_("Over report fields, e.g. sum(rd_spend) / sum(revenue); see docs."),
    )
    normalisation = models.CharField(
        _("normalisation"), max_length=12, choices=Normalisation.choices, default="minmax"
    )
    target = models.DecimalField(
        _("target value"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    max_score = models.PositiveSmallIntegerField(_("maximum score"), default=10)

    policy = policies.RuleDataPolicy()

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["system", "dimension", "code"]
        constraints = [
            models.UniqueConstraint(fields=["system", "code"], name="inst_indicator_code"),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    def clean(self):
        from xiake.institutions.evaluation import check_formula

        if self.system_id and self.system.is_frozen:
            raise ValidationError(
                _(
                    "Version %(v)s is frozen by a published round; create a new version to "
                    "change weights or formulas."
                )
                % {"v": self.system.version}
            )
        if self.method == self.Method.COMPUTED:
            if not self.formula:
                raise ValidationError({"formula": _("A computed indicator needs a formula.")})
            try:
                check_formula(self.formula)
            except ValueError as exc:
                raise ValidationError({"formula": str(exc)}) from None
        if self.normalisation == self.Normalisation.TARGET and not self.target:
            raise ValidationError({"target": _("Target-based normalisation needs a target.")})


class EvaluationRound(AuditedModel):
    """One annual evaluation: the indicator version, the period, and (when published) results."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open for scoring")
        COMPUTED = "computed", _("Computed")
        PUBLISHED = "published", _("Published")

    name = models.CharField(_("round name"), max_length=100, unique=True)
    year = models.PositiveSmallIntegerField(_("year"))
    system = models.ForeignKey(
        IndicatorSystem,
        verbose_name=_("indicator system"),
        on_delete=models.PROTECT,
        related_name="rounds",
    )
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default="open")
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    inputs_hash = models.CharField(_("inputs fingerprint"), max_length=64, blank=True)
    is_demo = models.BooleanField(_("demo record"), default=False, editable=False)

    policy = policies.RoundPolicy()

    class Meta:
        verbose_name = _("evaluation round")
        verbose_name_plural = _("evaluation rounds")
        ordering = ["-year", "name"]

    def __str__(self):
        return self.name

    def check_move(self, action: str) -> Transition:
        """The round's move ``action`` (see ``ROUND_TRANSITIONS``), or TransitionError saying why
        it is not possible from the current status."""
        from xiake.core.review import TransitionError

        t = ROUND_TRANSITIONS[action]
        if self.status not in t.sources:
            raise TransitionError(
                _("“%(action)s” is not possible while the round is “%(status)s”.")
                % {"action": t.label, "status": self.get_status_display()}
            )
        return t


#: The evaluation round's workflow as data (core.review.Transition): results are computed (and
#: recomputed) until they are published; a published round is never recomputed.
ROUND_TRANSITIONS = {
    t.action: t
    for t in (
        Transition(
            "compute",
            _("Compute results"),
            (EvaluationRound.Status.OPEN, EvaluationRound.Status.COMPUTED),
            EvaluationRound.Status.COMPUTED,
            "reviewer",
        ),
        Transition(
            "publish",
            _("Publish results"),
            (EvaluationRound.Status.COMPUTED,),
            EvaluationRound.Status.PUBLISHED,
            "reviewer",
        ),
    )
}


class EvaluatorAssignment(AuditedModel):
    """An evaluator assigned to score one institution in one round."""

    round = models.ForeignKey(
        EvaluationRound,
        verbose_name=_("evaluation round"),
        on_delete=models.CASCADE,
        related_name="assignments",
    )
    evaluator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("evaluator"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"role": "evaluator"},
    )
    institution = models.ForeignKey(
        Institution, verbose_name=_("institution"), on_delete=models.CASCADE, related_name="+"
    )

    policy = policies.AssignmentPolicy()

    class Meta:
        verbose_name = _("evaluator assignment")
        verbose_name_plural = _("evaluator assignments")
        ordering = ["round", "institution"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "evaluator", "institution"], name="inst_assignment_nk"
            ),
        ]

    def __str__(self):
        return f"{self.round} · {self.institution}"


class Score(AuditedModel):
    """An evaluator's score of one qualitative indicator for one assigned institution."""

    assignment = models.ForeignKey(
        EvaluatorAssignment,
        verbose_name=_("assignment"),
        on_delete=models.CASCADE,
        related_name="scores",
    )
    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.PROTECT, related_name="+"
    )
    value = models.DecimalField(
        _("score"), max_digits=5, decimal_places=2, validators=[MinValueValidator(0)]
    )
    comment = models.TextField(_("comment"), blank=True)

    policy = policies.ScorePolicy()

    class Meta:
        verbose_name = _("evaluator score")
        verbose_name_plural = _("evaluator scores")
        constraints = [
            models.UniqueConstraint(fields=["assignment", "indicator"], name="inst_score_nk"),
        ]

    def __str__(self):
        return f"{self.assignment} · {self.indicator.code}"

    def clean(self):
        if self.indicator_id and self.value is not None and self.value > self.indicator.max_score:
            raise ValidationError(
                {"value": _("At most %(n)d points.") % {"n": self.indicator.max_score}}
            )


class EvaluationResult(AuditedModel):
    """One institution's result in a round: per-indicator raw and normalised values, total, grade."""

    class Grade(models.TextChoices):
        EXCELLENT = "excellent", _("Excellent")
        GOOD = "good", _("Good")
        PASS = "pass", _("Pass")
        FAIL = "fail", _("Fail")
        INELIGIBLE = "ineligible", _("Not eligible")

    round = models.ForeignKey(
        EvaluationRound,
        verbose_name=_("evaluation round"),
        on_delete=models.CASCADE,
        related_name="results",
    )
    institution = models.ForeignKey(
        Institution, verbose_name=_("institution"), on_delete=models.CASCADE, related_name="results"
    )
    eligible = models.BooleanField(_("eligible"), default=True)
    total = models.DecimalField(_("total score"), max_digits=6, decimal_places=2, null=True)
    rank = models.PositiveIntegerField(_("rank"), null=True)
    grade = models.CharField(_("grade"), max_length=12, choices=Grade.choices)
    award = models.CharField(_("award"), max_length=60, blank=True)
    details = models.JSONField(_("details"), default=dict)

    policy = policies.ResultPolicy()

    class Meta:
        verbose_name = _("evaluation result")
        verbose_name_plural = _("evaluation results")
        ordering = ["round", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["round", "institution"], name="inst_result_nk"),
        ]

    def __str__(self):
        return f"{self.round} · {self.institution}"
