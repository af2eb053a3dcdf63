"""Row-level policies: each model declares one, and every view, API and export goes through it.

A policy answers three questions: which rows a user may view/change/delete/review (``scope``), may the
user create such records (``can_create``), and may the user see a record's contact details
(``contact_visible``), identity document numbers (``identity_visible``) and confidential values
(``confidential_visible``). Views never write their own permission code.
"""

from django.db.models import Q

from xiake.core.review import ReviewStatus
from xiake.core.roles import ADMIN_ROLES, Role, is_bureau, organization_id_of, role_of

ALL_MEMBER_ROLES = frozenset(
    {Role.UNIVERSITY, Role.ENTERPRISE, Role.MANAGER, Role.INSTITUTION, Role.BUREAU}
)

# Other apps (docking cases) add functions ``(user, model, pks) -> set`` granting contact
# visibility, so that catalog does not have to know about them: given a model and some of its
# primary keys (a list, or a ``values("pk")`` queryset for a whole export), the keys whose contacts
# ``user`` is granted, in one query per kind of grant. Pages and exports ask once for all their
# rows (:func:`contact_grants`); a single record asks for its own key.
contact_grant_providers: list = []


def contact_grants(user, model, pks) -> set:
    """The keys among ``pks`` of ``model`` whose contact details a provider grants ``user``:
    asked once for a page or an export, so that masking its rows costs no query per row."""
    if is_bureau(user):
        return set()  # the bureau sees every contact anyway
    granted = set()
    for provider in contact_grant_providers:
        granted |= set(provider(user, model, pks))
    return granted


class Policy:
    """Base policy: bureau sees and does everything; others as the subclass allows."""

    create_roles: frozenset = frozenset()
    # The three administrators (system, security, audit) see no business record, not even a
    # published one; a policy of what they administer (accounts, organisations) says True.
    administrators_see = False

    def scope(self, qs, user, action):
        if is_bureau(user):
            return qs
        if not self.administrators_see and role_of(user) in ADMIN_ROLES:
            return qs.none()
        method = getattr(self, f"scope_{action}", None)
        if method is None:
            return qs.none()
        return method(qs, user)

    def can(self, user, obj, action: str) -> bool:
        if obj is None or obj.pk is None:
            return False
        return self.scope(type(obj).objects.filter(pk=obj.pk), user, action).exists()

    def can_create(self, user) -> bool:
        return is_bureau(user) or (
            getattr(user, "is_authenticated", False) and role_of(user) in self.create_roles
        )

    def can_review(self, user, obj=None) -> bool:
        return is_bureau(user)

    def can_import(self, user) -> bool:
        return self.can_create(user)

    def contact_visible(self, user, obj, granted: set | None = None) -> bool:
        """May ``user`` see ``obj``'s contact details? ``granted``: the keys of the page's rows
        that providers grant (:func:`contact_grants`); without it the row asks for itself."""
        if is_bureau(user):
            return True
        if granted is None:
            granted = contact_grants(user, type(obj), [obj.pk])
        return obj.pk in granted

    def confidential_visible(self, user, obj) -> bool:
        """May ``user`` see the values of a row marked confidential (``confidential_fields``)?"""
        return is_bureau(user)

    def identity_visible(self, user, obj) -> bool:
        """May ``user`` see a row's identity document numbers (``identity_fields``) in full? The
        bureau; subclasses add the record's owner. Narrower than contacts: nothing else grants it."""
        return is_bureau(user)


class PublicReadPolicy(Policy):
    """Everyone may read; only the bureau writes (reference lists, organisations' public data)."""

    def scope_view(self, qs, user):
        return qs


class BureauOnlyPolicy(Policy):
    """Only the bureau sees these rows (audit trail, import jobs of others)."""


class OwnedRecordPolicy(Policy):
    """Records owned by an organisation and published after review.

    - anyone (also anonymous) views published records;
    - members of the owning organisation view, change and delete their own records in any state;
    - only the bureau reviews.
    """

    owner_field = "owner_org"
    create_roles = frozenset({Role.UNIVERSITY, Role.ENTERPRISE, Role.INSTITUTION})
    editor_roles = ALL_MEMBER_ROLES
    public_filter = Q(status=ReviewStatus.PUBLISHED)

    def own_filter(self, user) -> Q:
        org_id = organization_id_of(user)
        if org_id is None or role_of(user) not in self.editor_roles:
            return Q(pk__in=[])
        return Q(**{f"{self.owner_field}_id": org_id})

    def scope_view(self, qs, user):
        return qs.filter(self.public_filter | self.own_filter(user))

    def scope_change(self, qs, user):
        return qs.filter(self.own_filter(user))

    scope_delete = scope_change

    def contact_visible(self, user, obj, granted: set | None = None) -> bool:
        org_id = organization_id_of(user)
        if org_id is not None and self.owner_id(obj) == org_id:
            return True
        return super().contact_visible(user, obj, granted)

    def identity_visible(self, user, obj) -> bool:
        """The owning organisation's staff (those who may edit the record) and the bureau."""
        org_id = organization_id_of(user)
        if (
            org_id is not None
            and role_of(user) in self.editor_roles
            and self.owner_id(obj) == org_id
        ):
            return True
        return super().identity_visible(user, obj)

    def owner_id(self, obj):
        """The owning organisation's id, following ``owner_field`` across relations."""
        *path, last = self.owner_field.split("__")
        for name in path:
            obj = getattr(obj, name, None)
            if obj is None:
                return None
        return getattr(obj, f"{last}_id", None)
