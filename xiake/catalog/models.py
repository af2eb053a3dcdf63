"""Resource libraries of the technology transfer market (domain.md §1, §3, §4, §5)."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from xiake.catalog import policies
from xiake.core.crypto import BlindIndexField, EncryptedCharField
from xiake.core.identity import IdNumberField, IdType
from xiake.core.models import AuditedModel, ReviewedModel

TERM = "taxonomy.Term"


def term_fk(scheme: str, verbose_name, **kwargs):
    """A foreign key to a taxonomy term of one scheme (current or older version)."""
    kwargs.setdefault("null", True)
    kwargs.setdefault("blank", True)
    return models.ForeignKey(
        TERM,
        verbose_name=verbose_name,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"scheme__code": scheme},
        **kwargs,
    )


def term_m2m(scheme: str, verbose_name, **kwargs):
    return models.ManyToManyField(
        TERM,
        verbose_name=verbose_name,
        blank=True,
        related_name="+",
        limit_choices_to={"scheme__code": scheme},
        **kwargs,
    )


def owner_fk(verbose_name=None, **kwargs):
    return models.ForeignKey(
        "accounts.Organization",
        verbose_name=verbose_name or _("organisation"),
        on_delete=models.PROTECT,
        related_name="+",
        **kwargs,
    )


def money(verbose_name, **kwargs):
    """An amount in 万元 with two decimals; never a float."""
    return models.DecimalField(
        verbose_name,
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        **kwargs,
    )


class IdentityMixin(models.Model):
    """The identity document of a person on a register (证件类型 and 证件号码): stored encrypted,
    one record per number (blind index), masked for all but the bureau, the owning organisation's
    staff and the person (see policies and docs/operations.md, Data protection)."""

    id_type = models.CharField(
        _("ID type"), max_length=16, choices=IdType.choices, default=IdType.RESIDENT, blank=True
    )
    id_number = IdNumberField(
        _("ID number"),
        type_field="id_type",
        help_text=_("Resident identity card: 18 characters, checked against its check digit."),
    )
    id_number_index = BlindIndexField(source="id_number", normaliser="text")

    identity_fields = ("id_number",)

    class Meta:
        abstract = True


class ContactMixin(models.Model):
    """Contact details that are masked for people who may not see them (see policies)."""

    contact_name = models.CharField(_("contact person"), max_length=60, blank=True)
    contact_phone = EncryptedCharField(_("contact phone"), max_length=40, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)

    contact_fields = ("contact_phone", "contact_email")

    class Meta:
        abstract = True


class Achievement(ContactMixin, ReviewedModel):
    """A scientific and technological achievement (科技成果) offered for transfer (domain.md §3)."""

    class Origin(models.TextChoices):
        ORIGINAL = "original", _("Original innovation")
        IMPORTED = "imported", _("Imported, digested and absorbed")
        SECONDARY = "secondary", _("Secondary development")

    title = models.CharField(_("achievement name"), max_length=200)
    achievement_type = term_fk("achievement_type", _("achievement type"))
    owner_org = owner_fk(_("owner organisation"))
    completers = models.CharField(_("completers"), max_length=300, blank=True)
    keywords = models.CharField(
        _("keywords"), max_length=300, blank=True, help_text=_("Separate with commas.")
    )
    discipline = term_fk("gbt13745", _("discipline"))
    industry = term_fk("gbt4754", _("industry"))
    emerging_industry = term_fk("sei2018", _("strategic emerging industry"))
    hightech_field = term_fk("hightech8", _("high-tech field"))
    chain = term_fk("chain", _("industrial chain"))
    trl = term_fk("trl", _("technology readiness level"))
    stage = term_fk("stage", _("stage"))
    ip_type = term_fk("ip_type", _("IP type"))
    ip_numbers = models.CharField(
        _("IP numbers"),
        max_length=300,
        blank=True,
        help_text=_("Patent or registration numbers, comma separated."),
    )
    cooperation_modes = term_m2m("coop_mode", _("cooperation modes"))
    asking_price = money(
        _("asking price (10k yuan)"), help_text=_("Leave empty when the price is negotiable.")
    )
    origin = models.CharField(_("origin"), max_length=16, choices=Origin.choices, blank=True)
    completion_date = models.DateField(_("completion date"), null=True, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    technical_indicators = models.TextField(_("technical indicators"), blank=True)
    application_fields = models.TextField(_("application fields"), blank=True)
    is_demo = models.BooleanField(_("demo record"), default=False, editable=False)

    policy = policies.AchievementPolicy()

    class Meta:
        verbose_name = _("achievement")
        verbose_name_plural = _("achievements")
        ordering = ["-id"]  # newest first; the id order is what the status index serves
        constraints = [
            models.UniqueConstraint(fields=["owner_org", "title"], name="catalog_achievement_nk"),
        ]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="catalog_ach_status_idx"),
            # The dashboard counts achievements published per period (dated by review, else by
            # creation) from this index alone, without reading the wide rows (docs/dashboard.md).
            models.Index(
                fields=["status", "reviewed_at", "created_at"], name="catalog_ach_published_idx"
            ),
        ]

    def __str__(self):
        return self.title


class Demand(ContactMixin, ReviewedModel):
    """An enterprise's technology demand (企业技术需求, domain.md §4)."""

    title = models.CharField(_("demand name"), max_length=200)
    owner_org = owner_fk(_("enterprise"))
    demand_type = term_fk("demand_type", _("demand type"))
    keywords = models.CharField(
        _("keywords"), max_length=300, blank=True, help_text=_("Separate with commas.")
    )
    # the discipline the solution is likely to come from; the 需求质量 panel suggests one
    discipline = term_fk("gbt13745", _("discipline"))
    industry = term_fk("gbt4754", _("industry"))
    chain = term_fk("chain", _("industrial chain"))
    description = models.TextField(_("problem description"))
    technical_indicators = models.TextField(_("key technical indicators"), blank=True)
    cooperation_modes = term_m2m("coop_mode", _("cooperation modes"))
    budget = money(_("budget (10k yuan)"))
    expected_investment = money(_("expected investment (10k yuan)"))
    preferred_partner = models.CharField(_("preferred partner"), max_length=200, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    is_confidential = models.BooleanField(
        _("confidential"),
        default=False,
        help_text=_("Only the bureau and assigned technology managers can see it."),
    )
    assigned_managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned technology managers"),
        blank=True,
        related_name="assigned_demands",
    )
    is_demo = models.BooleanField(_("demo record"), default=False, editable=False)

    policy = policies.DemandPolicy()

    class Meta:
        verbose_name = _("demand")
        verbose_name_plural = _("demands")
        ordering = ["-id"]  # newest first; the id order is what the status index serves
        constraints = [
            models.UniqueConstraint(fields=["owner_org", "title"], name="catalog_demand_nk"),
        ]

    def __str__(self):
        return self.title


class Expert(IdentityMixin, ReviewedModel):
    """A technical expert, with the achievements that show what they can solve. Experts are paid
    for reviews (contract expert review, evaluations), hence the identity number: fee payments
    and the individual income tax withheld on them are declared under it."""

    name = models.CharField(_("name"), max_length=60)
    owner_org = owner_fk(_("organisation"))
    title = models.CharField(_("professional title"), max_length=60, blank=True)
    disciplines = term_m2m("gbt13745", _("disciplines"))
    research_fields = models.TextField(_("research fields"), blank=True)
    bio = models.TextField(_("profile"), blank=True)
    phone = EncryptedCharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    achievements = models.ManyToManyField(
        Achievement, verbose_name=_("achievements"), blank=True, related_name="experts"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="expert",
    )
    is_demo = models.BooleanField(_("demo record"), default=False, editable=False)

    contact_fields = ("phone", "email")
    policy = policies.ExpertPolicy()

    class Meta:
        verbose_name = _("expert")
        verbose_name_plural = _("experts")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner_org", "name"], name="catalog_expert_nk"),
            models.UniqueConstraint(
                fields=["id_number_index"],
                condition=~models.Q(id_number_index=""),
                name="catalog_expert_one_per_id",
            ),
        ]

    def __str__(self):
        return self.name


class Platform(ContactMixin, ReviewedModel):
    """A research platform (科研平台) with equipment and services open to enterprises."""

    name = models.CharField(_("platform name"), max_length=200)
    owner_org = owner_fk(_("host organisation"))
    platform_type = term_fk("platform_type", _("platform type"))
    level = term_fk("platform_level", _("level"))
    discipline = term_fk("gbt13745", _("discipline"))
    industry = term_fk("gbt4754", _("industry"))
    services = models.TextField(_("services"), blank=True)
    equipment = models.TextField(_("equipment"), blank=True)
    open_to_enterprises = models.BooleanField(_("open to enterprises"), default=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    is_demo = models.BooleanField(_("demo record"), default=False, editable=False)

    policy = policies.PlatformPolicy()

    class Meta:
        verbose_name = _("research platform")
        verbose_name_plural = _("research platforms")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner_org", "name"], name="catalog_platform_nk"),
        ]

    def __str__(self):
        return self.name


class Agency(ContactMixin, ReviewedModel):
    """A technology intermediary (科技中介服务机构): IP, evaluation, legal, finance, brokerage."""

    name = models.CharField(_("agency name"), max_length=200, unique=True)
    owner_org = owner_fk(_("organisation"))
    service_types = models.CharField(_("service types"), max_length=200, blank=True)
    services = models.TextField(_("services"), blank=True)
    qualification = models.CharField(_("qualification"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    is_demo = models.BooleanField(_("demo record"), default=False, editable=False)

    policy = policies.BureauCuratedPolicy()

    class Meta:
        verbose_name = _("intermediary")
        verbose_name_plural = _("intermediaries")
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


class TransferStaff(IdentityMixin, ReviewedModel):
    """A technology transfer person: technology manager (技术经理人), broker or company commissioner.
    The identity number is the certificate holder's, as on the broker/manager registration."""

    class Kind(models.TextChoices):
        MANAGER = "manager", _("Technology manager")
        BROKER = "broker", _("Technology broker")
        COMMISSIONER = "commissioner", _("Enterprise technology commissioner")

    class Level(models.TextChoices):
        JUNIOR = "junior", _("Junior")
        INTERMEDIATE = "intermediate", _("Intermediate")
        SENIOR = "senior", _("Senior")

    name = models.CharField(_("name"), max_length=60)
    owner_org = owner_fk(_("organisation"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.MANAGER)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices, blank=True)
    certificate_no = models.CharField(
        _("certificate number"), max_length=60, blank=True, null=True, unique=True
    )
    certificate_issuer = models.CharField(_("certificate issuer"), max_length=100, blank=True)
    certificate_expires = models.DateField(_("certificate expiry"), null=True, blank=True)
    expertise = models.TextField(_("fields of expertise"), blank=True)
    phone = EncryptedCharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="transfer_staff",
    )
    is_demo = models.BooleanField(_("demo record"), default=False, editable=False)

    contact_fields = ("phone", "email")
    policy = policies.TransferStaffPolicy()

    class Meta:
        verbose_name = _("transfer staff")
        verbose_name_plural = _("transfer staff")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["owner_org", "name"], name="catalog_staff_nk"),
            models.UniqueConstraint(
                fields=["id_number_index"],
                condition=~models.Q(id_number_index=""),
                name="catalog_staff_one_per_id",
            ),
        ]

    def __str__(self):
        return self.name


class University(ReviewedModel):
    """A university docked with the district, with its transfer office contact."""

    class Level(models.TextChoices):
        UNDERGRADUATE = "undergraduate", _("Undergraduate")
        VOCATIONAL = "vocational", _("Vocational college")

    name = models.CharField(_("university name"), max_length=200, unique=True)
    owner_org = models.OneToOneField(
        "accounts.Organization",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="university",
    )
    code = models.CharField(_("MoE institution code"), max_length=10, blank=True)
    level = models.CharField(
        _("level"), max_length=16, choices=Level.choices, default=Level.UNDERGRADUATE
    )
    authority = models.CharField(_("competent authority"), max_length=60, blank=True)
    city = models.CharField(_("city"), max_length=30, blank=True)
    is_local = models.BooleanField(_("in the district"), default=False)
    transfer_office = models.CharField(_("transfer office"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    is_demo = models.BooleanField(_("demo record"), default=False, editable=False)

    policy = policies.UniversityPolicy()

    class Meta:
        verbose_name = _("university")
        verbose_name_plural = _("universities")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Faculty(AuditedModel):
    """A school or faculty (院系) of a university."""

    university = models.ForeignKey(
        University, verbose_name=_("university"), on_delete=models.CASCADE, related_name="faculties"
    )
    name = models.CharField(_("faculty name"), max_length=100)
    research_fields = models.TextField(_("research fields"), blank=True)

    policy = policies.UniversityChildPolicy()

    class Meta:
        verbose_name = _("faculty")
        verbose_name_plural = _("faculties")
        ordering = ["university", "name"]
        constraints = [
            models.UniqueConstraint(fields=["university", "name"], name="catalog_faculty_nk"),
        ]

    def __str__(self):
        return f"{self.university} {self.name}"


class SubCentre(ContactMixin, AuditedModel):
    """A university technology transfer sub-centre (高校技术转移分中心) set up with the district."""

    university = models.ForeignKey(
        University,
        verbose_name=_("university"),
        on_delete=models.PROTECT,
        related_name="sub_centres",
    )
    name = models.CharField(_("sub-centre name"), max_length=200, unique=True)
    established_on = models.DateField(_("established on"), null=True, blank=True)
    director = models.CharField(_("director"), max_length=60, blank=True)
    services = models.TextField(_("services"), blank=True)

    policy = policies.UniversityChildPolicy()

    class Meta:
        verbose_name = _("transfer sub-centre")
        verbose_name_plural = _("transfer sub-centres")
        ordering = ["name"]

    def __str__(self):
        return self.name


class AllianceMember(AuditedModel):
    """Membership of the university technology transfer alliance (高校技术转移联盟)."""

    class MemberRole(models.TextChoices):
        CHAIR = "chair", _("Chair")
        VICE_CHAIR = "vice_chair", _("Vice chair")
        COUNCIL = "council", _("Council member")
        MEMBER = "member", _("Member")

    owner_org = models.OneToOneField(
        "accounts.Organization",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="alliance_membership",
    )
    member_role = models.CharField(
        _("role in the alliance"),
        max_length=16,
        choices=MemberRole.choices,
        default=MemberRole.MEMBER,
    )
    joined_on = models.DateField(_("joined on"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    policy = policies.PublicListPolicy()

    class Meta:
        verbose_name = _("alliance member")
        verbose_name_plural = _("alliance members")
        ordering = ["member_role", "owner_org__name"]

    def __str__(self):
        return str(self.owner_org)
