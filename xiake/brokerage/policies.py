"""Who sees docking cases, and the contact grant they give once both sides accept.

- the bureau sees and edits every case; the assigned technology manager sees and edits theirs;
- the enterprise and the organisations owning the linked achievements, experts and
  platforms (the providers) read the case;
- contact details of the other side become visible when both sides have accepted the case.
"""

from django.db.models import Q

from xiake.core.policies import ALL_MEMBER_ROLES, Policy
from xiake.core.roles import Role, organization_id_of, role_of

PROVIDER_LINKS = ("achievements", "experts", "platforms")


def provider_q(org_id, prefix="") -> Q:
    q = Q(pk__in=[])
    if org_id is None:  # never match cases that simply lack a link
        return q
    for link in PROVIDER_LINKS:
        q |= Q(**{f"{prefix}{link}__owner_org_id": org_id})
    return q


class DockingCasePolicy(Policy):
    create_roles = frozenset({Role.MANAGER})

    def scope_view(self, qs, user):
        cond = Q(manager_id=user.pk) if user.is_authenticated else Q(pk__in=[])
        org_id = organization_id_of(user)
        if org_id is not None and role_of(user) in ALL_MEMBER_ROLES:
            cond |= Q(enterprise_id=org_id) | provider_q(org_id)
        return qs.filter(cond).distinct()

    def scope_change(self, qs, user):
        if not user.is_authenticated:
            return qs.none()
        return qs.filter(manager_id=user.pk)

    scope_delete = scope_change


class NotificationPolicy(Policy):
    """A user's own notifications; nobody else's (not even the bureau's business)."""

    def scope(self, qs, user, action):
        if not getattr(user, "is_authenticated", False):
            return qs.none()
        return qs.filter(user_id=user.pk)


def case_contact_grant(user, model, pks) -> set:
    """The keys among ``pks`` of ``model`` whose contact details are visible to ``user`` as the
    other side of a case both sides accepted: one query per kind of record (organisations, which
    may be either side, take one per side and link)."""
    from xiake.brokerage.models import DockingCase

    org_id = organization_id_of(user)
    if not getattr(user, "is_authenticated", False):
        return set()
    accepted = DockingCase.objects.filter(enterprise_accepted=True, provider_accepted=True)
    label = model._meta.label
    if label == "catalog.Demand":
        cases = accepted.filter(demand_id__in=pks)
        cases = cases.filter(Q(manager_id=user.pk) | provider_q(org_id))
        return set(cases.values_list("demand_id", flat=True))
    link = {
        "catalog.Achievement": "achievements",
        "catalog.Expert": "experts",
        "catalog.Platform": "platforms",
    }.get(label)
    if link is not None:
        cases = accepted.filter(**{f"{link}__in": pks})
        cases = cases.filter(Q(manager_id=user.pk) | Q(enterprise_id=org_id))
        return set(cases.values_list(link, flat=True)) - {None}
    if label == "accounts.Organization" and org_id is not None:
        # the enterprise of a case whose provider ``user`` is, and the providers of its own cases
        granted = set(
            accepted.filter(enterprise_id__in=pks)
            .filter(provider_q(org_id))
            .values_list("enterprise_id", flat=True)
        )
        for provider in PROVIDER_LINKS:
            owner = f"{provider}__owner_org_id"
            as_enterprise = accepted.filter(enterprise_id=org_id, **{f"{owner}__in": pks})
            granted |= set(as_enterprise.values_list(owner, flat=True))
        return granted
    return set()


class CaseMeetingPolicy(Policy):
    """Meetings of a case: read by whoever reads the case; written by the case's manager (and
    the bureau). A manager records meetings only on cases they manage (``owner_field``)."""

    create_roles = frozenset({Role.MANAGER})
    owner_field = "case__manager"

    def scope_view(self, qs, user):
        from xiake.brokerage.models import DockingCase

        visible = DockingCase.objects.restrict(user, "view").values("pk")
        return qs.filter(case_id__in=visible)

    def scope_change(self, qs, user):
        if not user.is_authenticated:
            return qs.none()
        return qs.filter(case__manager_id=user.pk)

    scope_delete = scope_change
