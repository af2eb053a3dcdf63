"""Row-level rules of the institutions app (see core.policies for the shared behaviour).

- institution users see and change only their own institution and its records;
- evaluators see only the institutions (and their reports) assigned to them in a round;
- the bureau sees and does everything; rule data (versions) is read by members, written by the bureau.
"""

from django.db.models import Q

from xiake.core.policies import OwnedRecordPolicy, Policy
from xiake.core.roles import Role, organization_id_of, role_of

NOTHING = Q(pk__in=[])


def assigned_institution_ids(user):
    """Ids of institutions assigned to ``user`` as evaluator (a subquery)."""
    from xiake.institutions.models import EvaluatorAssignment

    return EvaluatorAssignment.objects.filter(evaluator_id=user.pk).values("institution_id")


class InstitutionPolicy(OwnedRecordPolicy):
    """Registry entries: the institution itself, its assigned evaluators and the bureau."""

    create_roles = frozenset()
    editor_roles = frozenset({Role.INSTITUTION})
    public_filter = NOTHING
    path = ""  # "" for Institution itself, "institution__" for its child records

    def evaluator_filter(self, user) -> Q:
        if not user.is_authenticated or role_of(user) != Role.EVALUATOR:
            return NOTHING
        key = "institution_id__in" if self.path else "pk__in"
        return Q(**{key: assigned_institution_ids(user)})

    def scope_view(self, qs, user):
        return qs.filter(self.own_filter(user) | self.evaluator_filter(user))


class InstitutionChildPolicy(InstitutionPolicy):
    """Team members, project companies and monthly reports of one institution."""

    owner_field = "institution__owner_org"
    path = "institution__"
    create_roles = frozenset({Role.INSTITUTION})


class WarningPolicy(InstitutionChildPolicy):
    """Institutions read their warnings; only the bureau works through them."""

    create_roles = frozenset()

    def scope_change(self, qs, user):
        return qs.none()

    scope_delete = scope_change


class RuleDataPolicy(Policy):
    """Versioned rules (filing conditions, thresholds, tiers, indicators): members read them."""

    def scope_view(self, qs, user):
        if not user.is_authenticated or role_of(user) == Role.PUBLIC:
            return qs.none()
        return qs


class RoundPolicy(Policy):
    """Evaluation rounds: evaluators see rounds they are assigned in; institutions published ones."""

    def scope_view(self, qs, user):
        if not user.is_authenticated:
            return qs.none()
        role = role_of(user)
        if role == Role.EVALUATOR:
            return qs.filter(assignments__evaluator_id=user.pk).distinct()
        if role == Role.INSTITUTION:
            return qs.filter(status="published")
        return qs.none()


class AssignmentPolicy(Policy):
    """An evaluator sees only their own assignments; nobody but the bureau changes them."""

    def scope_view(self, qs, user):
        if not user.is_authenticated or role_of(user) != Role.EVALUATOR:
            return qs.none()
        return qs.filter(evaluator_id=user.pk)


class ScorePolicy(Policy):
    """Scores belong to the evaluator who gave them (while the round is open)."""

    def scope_view(self, qs, user):
        if not user.is_authenticated or role_of(user) != Role.EVALUATOR:
            return qs.none()
        return qs.filter(assignment__evaluator_id=user.pk)

    def scope_change(self, qs, user):
        return self.scope_view(qs, user).exclude(assignment__round__status="published")


class ResultPolicy(Policy):
    """Results of published rounds: the institution its own, evaluators their assignments."""

    def scope_view(self, qs, user):
        if not user.is_authenticated:
            return qs.none()
        qs = qs.filter(round__status="published")
        role = role_of(user)
        if role == Role.INSTITUTION and organization_id_of(user):
            return qs.filter(institution__owner_org_id=organization_id_of(user))
        if role == Role.EVALUATOR:
            return qs.filter(institution_id__in=assigned_institution_ids(user))
        return qs.none()
