"""Who sees and edits technology contracts.

- a party (a member of the seller or the buyer organisation) sees its contracts in every state;
- the seller's members edit the application while it is a draft or returned for correction, and
  delete it while it is a draft;
- the registrar (the bureau) sees contracts from submission on (and drafts it typed itself) and
  performs the registry's moves of the workflow; it never edits a party's application;
- everyone else: 404.

A confidential contract's amounts are shown only to the bureau and the parties' contract staff
(``confidential_visible``); other viewers see 保密.
"""

from django.db.models import Q

from xiake.core.policies import ALL_MEMBER_ROLES, Policy
from xiake.core.roles import Role, is_bureau, organization_id_of, role_of

EDITABLE = ("draft", "returned")


class ContractPolicy(Policy):
    create_roles = frozenset({Role.UNIVERSITY, Role.ENTERPRISE, Role.INSTITUTION})

    def _org(self, user):
        org_id = organization_id_of(user)
        if org_id is None or role_of(user) not in ALL_MEMBER_ROLES:
            return None
        return org_id

    def scope(self, qs, user, action):
        if not getattr(user, "is_authenticated", False):
            return qs.none()
        org_id = self._org(user)
        if action == "view":
            cond = Q(pk__in=[])
            if org_id is not None:
                cond |= Q(owner_org_id=org_id) | Q(buyer_org_id=org_id)
            if is_bureau(user):
                cond |= ~Q(status="draft") | Q(created_by=user)
            return qs.filter(cond)
        if action in ("change", "delete"):
            states = EDITABLE if action == "change" else ("draft",)
            cond = Q(pk__in=[])
            if org_id is not None and not is_bureau(user):
                cond |= Q(owner_org_id=org_id)
            if is_bureau(user):
                cond |= Q(created_by=user)
            return qs.filter(cond, status__in=states)
        if action == "review":
            return qs.exclude(status="draft") if is_bureau(user) else qs.none()
        return qs.none()

    def confidential_visible(self, user, obj) -> bool:
        """A confidential contract's amounts: the bureau (registrar) and the parties' contract
        staff (the roles that make contracts); others who see the contract — e.g. a technology
        manager of a party — see 保密."""
        if is_bureau(user):
            return True
        org_id = self._org(user)
        return (
            org_id is not None
            and role_of(user) in self.create_roles
            and org_id in (obj.owner_org_id, obj.buyer_org_id)
        )

    def amounts_scope(self, qs, user):
        """The contracts of ``qs`` whose confidential amounts ``user`` may see (statistics)."""
        if is_bureau(user):
            return qs
        org_id = self._org(user)
        if org_id is None or role_of(user) not in self.create_roles:
            return qs.none()
        return qs.filter(Q(owner_org_id=org_id) | Q(buyer_org_id=org_id))

    def can_act_as_party(self, user, obj) -> bool:
        """May ``user`` submit (or withdraw) the application: the seller's members."""
        org_id = self._org(user)
        if org_id is not None and obj.owner_org_id == org_id:
            return True
        return is_bureau(user) and obj.created_by_id == user.pk
