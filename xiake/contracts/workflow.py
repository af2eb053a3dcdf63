"""The registration workflow: the pre-check, the moves as data, and the one function that makes them.

草稿 → 已提交 → 受理 | 退回补正 → 审核中 (→ 专家评审 when the rules say so) → 已登记 | 不予登记, then
变更登记 and 注销登记. Every move is checked against :data:`STEPS` (from which states, by whom),
written with an optimistic lock on ``TechContract.version`` (two registrars acting at once: one
wins, the other gets :class:`ConflictError`), and recorded in the change log with actor, time and
comment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from xiake.contracts import rollup
from xiake.contracts.models import (
    RegistrationRuleSet,
    RegistrationStatus,
    TechContract,
)
from xiake.core.changelog import record_change
from xiake.core.review import TransitionError
from xiake.core.roles import is_bureau

S = RegistrationStatus
PARTY, REGISTRAR = "party", "registrar"


@dataclass(frozen=True)
class Step:
    """One allowed move: from ``sources`` to ``target``, made by the party or the registrar."""

    action: str
    label: str
    sources: tuple[str, ...]
    target: str
    by: str
    comment_required: bool = False
    style: str = "primary"


STEPS = {
    s.action: s
    for s in (
        Step("submit", _("Submit for registration"), (S.DRAFT, S.RETURNED), S.SUBMITTED, PARTY),
        Step("accept", _("Accept"), (S.SUBMITTED,), S.ACCEPTED, REGISTRAR),
        Step(
            "return",
            _("Return for correction"),
            (S.SUBMITTED, S.ACCEPTED, S.REVIEWING, S.EXPERT_REVIEW),
            S.RETURNED,
            REGISTRAR,
            comment_required=True,
            style="outline-warning",
        ),
        Step("review", _("Start review"), (S.ACCEPTED,), S.REVIEWING, REGISTRAR),
        Step("register", _("Register"), (S.REVIEWING, S.EXPERT_REVIEW), S.REGISTERED, REGISTRAR),
        Step(
            "refuse",
            _("Refuse registration"),
            (S.ACCEPTED, S.REVIEWING, S.EXPERT_REVIEW),
            S.REFUSED,
            REGISTRAR,
            comment_required=True,
            style="outline-danger",
        ),
        Step(
            "amend",
            _("Record an amendment"),
            (S.REGISTERED, S.AMENDED),
            S.AMENDED,
            REGISTRAR,
            comment_required=True,
            style="outline-secondary",
        ),
        Step(
            "cancel",
            _("Cancel the registration"),
            (S.REGISTERED, S.AMENDED),
            S.CANCELLED,
            REGISTRAR,
            comment_required=True,
            style="outline-danger",
        ),
    )
}


class ConflictError(TransitionError):
    """Someone else moved the contract since it was read (optimistic lock)."""


# --- pre-check ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One reason the registry would refuse the application; ``field`` is the model field or ''."""

    field: str
    message: str

    def as_dict(self) -> dict:
        return {"field": self.field, "message": self.message}


def _has_attachment(names: list[str], words: list[str]) -> bool:
    return any(w.lower() in n.lower() for n in names for w in words)


def precheck(contract: TechContract, on: dt.date | None = None) -> list[Problem]:
    """Everything that would cause a refusal under the rules in force ``on`` (default today)."""
    on = on or timezone.localdate()
    rules = RegistrationRuleSet.in_force(on)
    req = rules.requirements or {}
    problems: list[Problem] = []

    def add(field, message):
        problems.append(Problem(field, str(message)))

    # parties
    if not contract.seller_party_type_id:
        add("seller_party_type", _("The seller's party type is missing."))
    if not contract.seller_region:
        add("seller_region", _("The seller's region code (GB/T 2260) is missing."))
    if contract.owner_org_id and not contract.owner_org.credit_code:
        add("owner_org", _("The seller has no unified social credit code on record."))
    if not contract.buyer_org_id:
        add("buyer_org", _("The buyer is missing."))
    if not contract.buyer_party_type_id:
        add("buyer_party_type", _("The buyer's party type is missing."))
    if contract.buyer_country == "156" and not contract.buyer_region:
        add("buyer_region", _("The buyer's region code (GB/T 2260) is missing."))
    # what and when
    if not contract.subject.strip():
        add("subject", _("The subject matter of the contract is not described."))
    if not contract.signed_on:
        add("signed_on", _("The signing date is missing."))
    elif contract.signed_on > on:
        add("signed_on", _("The signing date lies in the future."))
    if contract.valid_from and contract.valid_to and contract.valid_to < contract.valid_from:
        add("valid_to", _("The contract ends before it begins."))
    # category and the IP it implies
    category, sub = contract.category, contract.subcategory
    if category is not None:
        has_children = category.children.exists()
        if has_children and sub is None:
            add("subcategory", _("“%(c)s” needs a sub-category.") % {"c": category.name})
        if sub is not None and sub.parent_id != category.pk:
            add(
                "subcategory",
                _("“%(s)s” is not a sub-category of “%(c)s”.")
                % {"s": sub.name, "c": category.name},
            )
        if category.code == "license" and not contract.license_scope_id:
            add("license_scope", _("A licence needs its scope (exclusive, sole or ordinary)."))
        if category.code != "license" and contract.license_scope_id:
            add("license_scope", _("Only licences have a licence scope."))
    if sub is not None:
        allowed = (req.get("ip") or {}).get(sub.code)
        if allowed and (contract.ip_type is None or contract.ip_type.code not in allowed):
            add(
                "ip_type",
                _(
                    "“%(s)s” requires IP of the kind it transfers or licenses; “%(ip)s” does not fit."
                )
                % {"s": sub.name, "ip": contract.ip_type.name if contract.ip_type else "—"},
            )
        if sub.code in (req.get("ip_numbers_required") or []) and not contract.ip_numbers.strip():
            add("ip_numbers", _("Give the patent (application) numbers."))
    # amounts
    for field, message in contract.amount_errors().items():
        add(field, message)
    if contract.total_amount is not None and contract.total_amount <= 0:
        add("total_amount", _("The total value must be greater than zero."))
    payments = list(contract.payments.all()) if contract.pk else []
    if payments:
        due = sum(p.amount for p in payments)
        if due != contract.total_amount:
            add(
                "payments",
                _("The payment schedule adds up to %(due)s yuan, not the total %(total)s yuan.")
                % {"due": due, "total": contract.total_amount},
            )
        received = sum(p.received_amount for p in payments)
        if received > contract.total_amount:
            add("payments", _("More was received than the total value."))
    # attachments
    names = [a.name for a in contract.attachments.all()] if contract.pk else []
    for item in req.get("attachments") or []:
        only = item.get("subcategories")
        if only and (sub is None or sub.code not in only):
            continue
        if not _has_attachment(names, item.get("match") or []):
            add(
                "attachments",
                _("Attachment missing: %(label)s (a file whose name contains “%(word)s”).")
                % {"label": item.get("label", ""), "word": (item.get("match") or [""])[0]},
            )
    return problems


# --- moves --------------------------------------------------------------------------------------


def may(contract: TechContract, step: Step, user) -> bool:
    if step.by == PARTY:
        return TechContract.policy.can_act_as_party(user, contract)
    return is_bureau(user)


def available_steps(contract: TechContract, user) -> list[Step]:
    return [s for s in STEPS.values() if contract.status in s.sources and may(contract, s, user)]


def registry_code() -> str:
    """Six digits: province, city, registry (JJ-001); a setting, as each registry has its own."""
    return str(getattr(settings, "CONTRACT_REGISTRY_CODE", "320100"))


def next_registration_number(year: int) -> str:
    """16 digits: year (4) + province (2) + city (2) + registry (2) + serial (6)."""
    prefix = f"{year:04d}{registry_code()}"
    last = (
        TechContract.objects.filter(registration_no__startswith=prefix)
        .order_by("-registration_no")
        .values_list("registration_no", flat=True)
        .first()
    )
    serial = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{serial:06d}"


def transition(
    contract: TechContract, action: str, user, comment: str = "", *, version: int | None = None
) -> TechContract:
    """Make one move or raise :class:`TransitionError` (:class:`ConflictError` on a lost race).

    ``version`` is the version the user saw (a page's hidden field, the API's ``version``);
    default: the version of ``contract`` as loaded.
    """
    step = STEPS.get(action)
    if step is None:
        raise TransitionError(gettext("Unknown action “%(action)s”.") % {"action": action})
    if contract.status not in step.sources:
        raise TransitionError(
            gettext("“%(action)s” is not possible while the contract is “%(status)s”.")
            % {"action": step.label, "status": contract.get_status_display()}
        )
    if not may(contract, step, user):
        raise TransitionError(
            gettext("You may not “%(action)s” this contract.") % {"action": step.label}
        )
    comment = (comment or "").strip()
    if step.comment_required and not comment:
        raise TransitionError(
            gettext("A comment is required to “%(action)s”.") % {"action": step.label}
        )
    seen = contract.version if version is None else version

    today = timezone.localdate()
    now = timezone.now()
    changes: dict = {"status": step.target}
    note = ""
    rules = contract.rule_set
    if action == "submit":
        problems = precheck(contract, today)
        if problems:
            raise TransitionError(
                gettext("The pre-check found %(n)d problem(s): %(list)s")
                % {"n": len(problems), "list": "；".join(p.message for p in problems)}
            )
        rules = RegistrationRuleSet.in_force(today)
        changes.update(rule_set=rules, submitted_at=now)
        if contract.clock_started_on is None or rules.correction_restarts:
            changes["clock_started_on"] = today
        changes["deadline"] = rules.deadline(changes.get("clock_started_on", today))
    elif action == "accept":
        changes["registrar"] = user
    elif action == "review":
        if rules is not None and rules.needs_experts(contract.tech_amount, contract.disputed):
            changes.update(
                status=S.EXPERT_REVIEW,
                clock_started_on=today,
                deadline=rules.deadline(today, expert=True),
            )
            note = str(_("sent to expert review automatically"))
    elif action in ("return", "refuse"):
        changes["deadline"] = None
    elif action == "register":
        changes.update(registered_on=today, deadline=None)
    if step.by == REGISTRAR:
        changes["last_comment"] = comment

    before = contract.snapshot()
    for attempt in range(5):
        if action == "register":
            changes["registration_no"] = next_registration_number(today.year)
        try:
            with transaction.atomic():
                stored = rollup.fetch(contract.pk, lock=True)
                updated = TechContract.objects.filter(pk=contract.pk, version=seen).update(
                    version=seen + 1, updated_at=now, **changes
                )
                if not updated:
                    raise ConflictError(
                        gettext("Someone else changed this contract in the meantime; reload it.")
                    )
                contract.refresh_from_db()
                rollup.apply(stored, rollup.facts_of(contract))  # statistics follow the move
                text = f"{step.label}: {comment}".rstrip(": ")
                if note:
                    text = f"{text}（{note}）"
                record_change(contract, "review", before=before, comment=text, actor=user)
        except IntegrityError:
            if action == "register" and attempt < 4:  # two registrations took one serial
                continue
            raise
        return contract
    raise AssertionError("unreachable")
