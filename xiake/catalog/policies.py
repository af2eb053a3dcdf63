"""Row-level rules of the libraries (see core.policies for the shared behaviour)."""

from django.db.models import Q

from xiake.core.policies import OwnedRecordPolicy
from xiake.core.review import ReviewStatus
from xiake.core.roles import Role


class AchievementPolicy(OwnedRecordPolicy):
    create_roles = frozenset({Role.UNIVERSITY, Role.ENTERPRISE, Role.INSTITUTION})


class DemandPolicy(OwnedRecordPolicy):
    """Confidential demands are seen only by their owner, the bureau and the assigned managers."""

    create_roles = frozenset({Role.ENTERPRISE, Role.INSTITUTION})
    public_filter = Q(status=ReviewStatus.PUBLISHED, is_confidential=False)

    def assigned_filter(self, qs, user) -> Q:
        if not user.is_authenticated:
            return Q(pk__in=[])
        through = qs.model.assigned_managers.through
        return Q(pk__in=through.objects.filter(user_id=user.pk).values("demand_id"))

    def scope_view(self, qs, user):
        return qs.filter(
            self.public_filter | self.own_filter(user) | self.assigned_filter(qs, user)
        )


class PersonRecordMixin:
    """A record describing a person who may have an account (``user``): that person sees their
    own identity number in full."""

    def identity_visible(self, user, obj) -> bool:
        if user.is_authenticated and obj.user_id == user.pk:
            return True
        return super().identity_visible(user, obj)


class ExpertPolicy(PersonRecordMixin, OwnedRecordPolicy):
    """Experts' phone and e-mail are masked except for the bureau, their organisation, themselves
    and the parties of an accepted docking case (granted through contact_grant_providers). Their
    identity number (collected to pay review fees) only for the bureau, their organisation's
    staff and themselves."""

    create_roles = frozenset({Role.UNIVERSITY, Role.INSTITUTION})

    def contact_visible(self, user, obj, granted: set | None = None) -> bool:
        if user.is_authenticated and obj.user_id == user.pk:
            return True
        return super().contact_visible(user, obj, granted)


class PlatformPolicy(OwnedRecordPolicy):
    create_roles = frozenset({Role.UNIVERSITY, Role.INSTITUTION, Role.ENTERPRISE})


class BureauCuratedPolicy(OwnedRecordPolicy):
    """Libraries the bureau curates; member organisations still edit their own entries."""

    create_roles = frozenset()


class TransferStaffPolicy(PersonRecordMixin, BureauCuratedPolicy):
    """The registry of technology managers and brokers: the identity number (the certificate
    holder's) for the bureau, the person's organisation and the person."""


class UniversityPolicy(OwnedRecordPolicy):
    create_roles = frozenset()


class UniversityChildPolicy(OwnedRecordPolicy):
    """Faculties and sub-centres belong to their university's transfer office."""

    owner_field = "university__owner_org"
    create_roles = frozenset({Role.UNIVERSITY})
    public_filter = Q(university__status=ReviewStatus.PUBLISHED)


class PublicListPolicy(BureauCuratedPolicy):
    """A list without review (alliance membership): everyone reads it."""

    def scope_view(self, qs, user):
        return qs
