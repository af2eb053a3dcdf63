"""Organisations that use the platform and the people who act for them."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xiake.core.crypto import EncryptedCharField
from xiake.core.models import AuditedModel
from xiake.core.policies import Policy
from xiake.core.querysets import RestrictedQuerySet
from xiake.core.roles import Role, is_system_admin, organization_id_of


class OrgType(models.TextChoices):
    UNIVERSITY = "university", _("University")
    INSTITUTE = "institute", _("Research institute")
    ENTERPRISE = "enterprise", _("Enterprise")
    NRI = "nri", _("New R&D institution")
    INTERMEDIARY = "intermediary", _("Intermediary")
    GOVERNMENT = "government", _("Government department")
    EVALUATOR = "evaluator", _("Evaluator")


class OrganizationPolicy(Policy):
    """Organisations are public; members of an organisation edit its profile; the bureau and the
    system administrator create and edit every organisation."""

    administrators_see = True
    create_roles = frozenset({Role.SYSTEM_ADMIN})

    def scope_view(self, qs, user):
        return qs

    def scope_change(self, qs, user):
        if is_system_admin(user):
            return qs
        org_id = organization_id_of(user)
        return qs.filter(pk=org_id) if org_id else qs.none()

    def scope_delete(self, qs, user):
        return qs.none()

    def contact_visible(self, user, obj, granted: set | None = None) -> bool:
        return organization_id_of(user) == obj.pk or super().contact_visible(user, obj, granted)


class Organization(AuditedModel):
    """A university, institute, enterprise, new R&D institution, intermediary, department or evaluator."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    short_name = models.CharField(_("short name"), max_length=60, blank=True)
    org_type = models.CharField(
        _("organisation type"), max_length=20, choices=OrgType.choices, db_index=True
    )
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        blank=True,
        null=True,
        unique=True,
        help_text=_("18 characters, as on the business licence."),
    )
    region_code = models.CharField(
        _("region code"), max_length=6, blank=True, help_text=_("GB/T 2260 six-digit code.")
    )
    is_local = models.BooleanField(
        _("local"), default=False, help_text=_("Registered in the district.")
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    website = models.URLField(_("website"), blank=True)
    contact_name = models.CharField(_("contact person"), max_length=60, blank=True)
    contact_phone = EncryptedCharField(_("contact phone"), max_length=40, blank=True)
    description = models.TextField(_("description"), blank=True)
    is_demo = models.BooleanField(_("demo record"), default=False, editable=False)

    contact_fields = ("contact_phone",)
    policy = OrganizationPolicy()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self):
        return self.name


class UserQuerySet(RestrictedQuerySet):
    pass


class XiakeUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


class UserPolicy(Policy):
    """People see their colleagues; the system administrator manages accounts (xiake/accounts/users.py)."""

    administrators_see = True

    def scope_view(self, qs, user):
        org_id = organization_id_of(user)
        cond = Q(pk=user.pk) if user.is_authenticated else Q(pk__in=[])
        if org_id:
            cond |= Q(organization_id=org_id)
        return qs.filter(cond)

    def scope_change(self, qs, user):
        return qs.filter(pk=user.pk) if user.is_authenticated else qs.none()


class User(AbstractUser):
    """A person who logs in; acts for one organisation in one role."""

    role = models.CharField(
        _("role"), max_length=20, choices=Role.choices, default=Role.PUBLIC, db_index=True
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    phone = EncryptedCharField(_("phone"), max_length=40, blank=True)
    job_title = models.CharField(_("job title"), max_length=60, blank=True)

    objects = XiakeUserManager()
    policy = UserPolicy()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def display_name(self) -> str:
        return (self.last_name + self.first_name) or self.username

    @property
    def effective_role(self) -> str:
        return Role.BUREAU if self.is_superuser else self.role
