"""Row-level rules of the docking, meeting, event, policy and finance records.

Most of these records are the bureau's working files: the bureau reads and writes everything; the
organisation a record concerns (a university, an institute, an enterprise) reads its own rows.
"""

from django.db.models import Q

from xiake.core.policies import ALL_MEMBER_ROLES, OwnedRecordPolicy, Policy
from xiake.core.review import ReviewStatus
from xiake.core.roles import Role, organization_id_of, role_of


class ConcernedReadPolicy(Policy):
    """The bureau writes; members of the organisations named by ``concerned_fields`` read."""

    concerned_fields: tuple = ()

    def concerned_filter(self, user) -> Q:
        org_id = organization_id_of(user)
        if org_id is None or role_of(user) not in ALL_MEMBER_ROLES:
            return Q(pk__in=[])
        cond = Q(pk__in=[])
        for name in self.concerned_fields:
            cond |= Q(**{f"{name}_id": org_id})
        return cond

    def scope_view(self, qs, user):
        return qs.filter(self.concerned_filter(user)).distinct()


class AssignmentPolicy(ConcernedReadPolicy):
    concerned_fields = ("university__owner_org", "institute")


class ContactLogPolicy(ConcernedReadPolicy):
    concerned_fields = ("assignment__university__owner_org", "assignment__institute")


class MeetingPolicy(ConcernedReadPolicy):
    concerned_fields = ("university__owner_org",)


class DecisionPolicy(ConcernedReadPolicy):
    concerned_fields = ("meeting__university__owner_org",)


class TaskPolicy(ConcernedReadPolicy):
    """Tasks are read by the meeting's university and by the organisation that owns the task;
    the owning organisation also updates it (status, evidence)."""

    concerned_fields = ("decision__meeting__university__owner_org", "owner_org")

    def scope_change(self, qs, user):
        org_id = organization_id_of(user)
        if org_id is None or role_of(user) not in ALL_MEMBER_ROLES:
            return qs.none()
        return qs.filter(owner_org_id=org_id)


class EventPolicy(OwnedRecordPolicy):
    """Public events are seen by everyone; the organiser's members and the bureau edit them."""

    create_roles = frozenset({Role.UNIVERSITY, Role.INSTITUTION})
    public_filter = Q(is_public=True)


class RegistrationPolicy(Policy):
    """An enterprise sees its registrations; the event organiser sees the registrations of its events.

    Registering goes through ``Event.register`` (capacity-safe), so the form is the bureau's.
    """

    def _filter(self, user) -> Q:
        org_id = organization_id_of(user)
        cond = Q(user_id=user.pk) if user.is_authenticated else Q(pk__in=[])
        if org_id is not None and role_of(user) in ALL_MEMBER_ROLES:
            cond |= Q(enterprise_id=org_id) | Q(event__owner_org_id=org_id)
        return cond

    def scope_view(self, qs, user):
        return qs.filter(self._filter(user))

    def scope_change(self, qs, user):
        org_id = organization_id_of(user)
        if org_id is None:
            return qs.none()
        return qs.filter(event__owner_org_id=org_id)

    scope_delete = scope_change


class PublicLibraryPolicy(Policy):
    """Everyone reads (policy library, funding programme calls); the bureau writes."""

    def scope_view(self, qs, user):
        return qs


class PublishedLibraryPolicy(Policy):
    """Everyone reads the published documents (policy library); the bureau writes and reviews."""

    def scope_view(self, qs, user):
        return qs.filter(status=ReviewStatus.PUBLISHED)


class PolicyClausePolicy(Policy):
    """The articles of a published policy document are read by everyone."""

    def scope_view(self, qs, user):
        return qs.filter(document__status=ReviewStatus.PUBLISHED)


class BureauPolicy(Policy):
    """Only the bureau sees and writes (rule tables, internal registers)."""


class EnterpriseOwnedPolicy(OwnedRecordPolicy):
    """Records an enterprise files for itself (consultations, financing needs, applications)."""

    create_roles = frozenset({Role.ENTERPRISE, Role.INSTITUTION})
    public_filter = Q(pk__in=[])


# -- tech finance ----------------------------------------------------------------------------------


def _member_org(user):
    org_id = organization_id_of(user)
    if org_id is None or role_of(user) not in ALL_MEMBER_ROLES:
        return None
    return org_id


def is_alliance_investor(user) -> bool:
    from xiake.liaison.models.finance import Investor

    org_id = _member_org(user)
    return bool(org_id) and Investor.objects.filter(owner_org_id=org_id, is_active=True).exists()


class InvestorPolicy(OwnedRecordPolicy):
    """Members of any organisation see the fund alliance's investors; an investor edits its own
    profile; the bureau admits investors."""

    create_roles = frozenset()
    editor_roles = ALL_MEMBER_ROLES

    def scope_view(self, qs, user):
        return qs if _member_org(user) or role_of(user) == Role.MANAGER else qs.none()


class FinancingNeedPolicy(EnterpriseOwnedPolicy):
    """The firm owns its needs; alliance investors see the shared ones still open or in talks."""

    create_roles = frozenset({Role.ENTERPRISE})

    def scope_view(self, qs, user):
        cond = self.own_filter(user)
        if is_alliance_investor(user):
            cond |= Q(share_with_investors=True, status__in=("open", "matching"))
        return qs.filter(cond)


class RoadshowPolicy(ConcernedReadPolicy):
    """The bureau organises sessions; invited investors and pitching firms read them."""

    concerned_fields = ("needs__owner_org", "investors__owner_org")


class InvestorInterestPolicy(Policy):
    """The investor owns its interest; the firm whose need it is reads it; alliance investors
    create (``can_create``); the need must be visible to them (checked by the model)."""

    def scope_view(self, qs, user):
        org_id = _member_org(user)
        if org_id is None:
            return qs.none()
        return qs.filter(Q(owner_org_id=org_id) | Q(need__owner_org_id=org_id))

    def scope_change(self, qs, user):
        org_id = _member_org(user)
        return qs.none() if org_id is None else qs.filter(owner_org_id=org_id)

    scope_delete = scope_change

    def can_create(self, user) -> bool:
        return super().can_create(user) or is_alliance_investor(user)


class FollowUpPolicy(Policy):
    """Follow-ups are read by both sides of the interest, written by the investor."""

    def scope_view(self, qs, user):
        org_id = _member_org(user)
        if org_id is None:
            return qs.none()
        return qs.filter(Q(interest__owner_org_id=org_id) | Q(interest__need__owner_org_id=org_id))

    def scope_change(self, qs, user):
        org_id = _member_org(user)
        return qs.none() if org_id is None else qs.filter(interest__owner_org_id=org_id)

    scope_delete = scope_change

    def can_create(self, user) -> bool:
        return super().can_create(user) or is_alliance_investor(user)


class InvestmentPolicy(ConcernedReadPolicy):
    """Recorded by the bureau; the firm and every participating investor read it."""

    concerned_fields = ("owner_org", "shares__investor__owner_org")


class InvestmentSharePolicy(ConcernedReadPolicy):
    concerned_fields = ("investment__owner_org", "investment__shares__investor__owner_org")


class CompilationPolicy(OwnedRecordPolicy):
    """A compilation is seen and downloaded by the organisation that asked for it (or the person,
    when they belong to none) and the bureau; every member may ask for one."""

    create_roles = ALL_MEMBER_ROLES
    public_filter = Q(pk__in=[])

    def _mine(self, user) -> Q:
        cond = self.own_filter(user)
        if getattr(user, "is_authenticated", False):
            cond |= Q(created_by_id=user.pk)
        return cond

    def scope_view(self, qs, user):
        return qs.filter(self._mine(user))

    def scope_change(self, qs, user):
        return qs.filter(self._mine(user))

    scope_delete = scope_change


class FundingApplicationPolicy(EnterpriseOwnedPolicy):
    """The applicant sees its applications and edits them while draft or returned; the partner
    university reads them; the bureau reviews (``FundingApplication.act``)."""

    create_roles = frozenset({Role.ENTERPRISE, Role.INSTITUTION})

    def scope_view(self, qs, user):
        cond = self.own_filter(user)
        org_id = _member_org(user)
        if org_id is not None:
            cond |= Q(partner_university__owner_org_id=org_id)
        return qs.filter(cond)

    def scope_change(self, qs, user):
        return qs.filter(self.own_filter(user), status__in=("draft", "returned"))

    scope_delete = scope_change
