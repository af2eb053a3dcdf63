"""Labels on matches: users' marks (有用 / 无关) and docking outcomes.

Other apps call only these functions, never the model:

- :func:`mark` stores (or changes, or removes) a user's mark on a match (source record → target
  record); the user must be signed in and may view both records. Audited.
- :func:`labels_for` — the user's own marks on a source's matches (to show the buttons' state).
- :func:`apply` — used by ``api.recommend``: targets marked 无关 by someone who may edit the source
  (its organisation's staff, its assigned technology managers, the bureau), or ending in a
  terminated docking case, go below the unmarked ones (已标记为无关); those marked 有用, or signed
  in a docking case, are lifted (已标记有用).
- :func:`all_labels` — every mark and docking outcome, for ``xiake fit_match_weights``.

Docking outcomes live in brokerage; it registers a function in :data:`outcome_providers` (as it
does for contact grants), so matching does not import brokerage.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from xiake.core.models import ChangeAction
from xiake.core.roles import is_bureau
from xiake.matching.documents import restricted
from xiake.matching.feed import KINDS
from xiake.matching.models import MatchFeedback

__all__ = [
    "LIFT",
    "NOT_USEFUL",
    "USEFUL",
    "Label",
    "MarkError",
    "all_labels",
    "apply",
    "labels_for",
    "mark",
    "outcome_providers",
    "split_key",
    "viewable",
]

USEFUL = MatchFeedback.Value.USEFUL.value
NOT_USEFUL = MatchFeedback.Value.NOT_USEFUL.value
REMOVE = ("", "none", None)
MAX_REASON = 200
# the lift of a match marked useful, on the scale where the best text match scores 1 (the
# discipline agreement's size): enough to pass a few unmarked neighbours, not to jump the list
LIFT = 0.3

_KEY = re.compile(r"^(?P<kind>[a-z]+):(?P<pk>[1-9][0-9]{0,17})$")


@dataclass(frozen=True)
class Label:
    """One judgement of a pair: a user's mark (``origin`` "mark") or a docking outcome
    ("docking": signed = useful, terminated = not useful)."""

    source: str  # "demand:12"
    target: str  # "achievement:7"
    useful: bool
    at: datetime.datetime
    origin: str
    user_id: int | None = None


# Functions ``(sources) -> Iterable[Label]`` other apps add (brokerage: docking outcomes).
# ``sources``: {kind: [ids]} to ask for the labels of those source records only, or None for all.
outcome_providers: list[Callable[[dict[str, list[int]] | None], Iterable[Label]]] = []


class MarkError(ValueError):
    """Bad input for a mark; ``field`` names the input it concerns."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def split_key(value, field: str = "source") -> tuple[str, int]:
    """``"demand:12"`` → ("demand", 12); MarkError naming ``field`` otherwise."""
    m = _KEY.match(str(value or "").strip())
    if m is None or m["kind"] not in KINDS:
        raise MarkError(
            field,
            _("Write the record as type:id, e.g. demand:12 (types: %(kinds)s).")
            % {"kinds": ", ".join(KINDS)},
        )
    return m["kind"], int(m["pk"])


def viewable(user, kind: str, pk: int):
    """The ``kind`` record ``pk`` if ``user`` may view it, else None (absent or hidden alike)."""
    return restricted(kind, user).filter(pk=pk).first()


def _key(obj) -> str:
    from xiake.matching.feed import kind_of

    return f"{kind_of(type(obj))}:{obj.pk}"


def _pair(source, target) -> dict:
    s_kind, s_pk = _key(source).split(":")
    t_kind, t_pk = _key(target).split(":")
    return {
        "source_kind": s_kind,
        "source_id": int(s_pk),
        "target_kind": t_kind,
        "target_id": int(t_pk),
    }


def mark(user, source, target, value, reason: str = "") -> MatchFeedback | None:
    """Store ``user``'s mark on the match ``source`` → ``target``: ``value`` "useful" or
    "not_useful" (changes an earlier mark), or "" / "none" / None to remove it. Returns the stored
    mark, or None once removed. Raises PermissionDenied unless ``user`` is signed in and may view
    both records, MarkError for a bad value or reason. Every change is written to the audit log."""
    from xiake.core.changelog import record_change

    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied
    for obj in (source, target):
        if not type(obj).policy.can(user, obj, "view"):
            raise PermissionDenied
    if value not in REMOVE and value not in (USEFUL, NOT_USEFUL):
        raise MarkError("value", _("The mark must be useful, not_useful or none."))
    reason = str(reason or "").replace("\x00", "").strip()  # PostgreSQL refuses NUL in text
    if len(reason) > MAX_REASON:
        raise MarkError(
            "reason", _("The reason is too long (at most %(n)s characters).") % {"n": MAX_REASON}
        )
    pair = _pair(source, target)
    comment = f"match mark {pair['source_kind']}:{pair['source_id']} → "
    comment += f"{pair['target_kind']}:{pair['target_id']}"
    with transaction.atomic():
        existing = MatchFeedback.objects.select_for_update().filter(user=user, **pair).first()
        if value in REMOVE:
            if existing is not None:
                before = existing.snapshot()
                record_change(
                    existing, ChangeAction.DELETE, before=before, comment=comment, actor=user
                )
                existing.delete()
            return None
        if existing is None:
            try:
                with transaction.atomic():  # a savepoint: a double click may race us here
                    created = MatchFeedback.objects.create(
                        user=user, value=value, reason=reason, **pair
                    )
            except IntegrityError:  # the other request stored its mark first: change that one
                existing = MatchFeedback.objects.select_for_update().get(user=user, **pair)
            else:
                record_change(created, ChangeAction.CREATE, comment=comment, actor=user)
                return created
        if (existing.value, existing.reason) != (value, reason):
            before = existing.snapshot()
            existing.value, existing.reason = value, reason
            existing.save(update_fields=["value", "reason", "updated_at"])
            record_change(existing, ChangeAction.UPDATE, before=before, comment=comment, actor=user)
        return existing


def labels_for(user, source, targets=None) -> dict[str, str]:
    """``user``'s own marks on ``source``'s matches: {target key ("achievement:7"): value}.
    ``targets``: keys to limit to (None: all)."""
    marks = own_marks(user, source)
    if targets is not None:
        wanted = set(targets)
        marks = {k: v for k, v in marks.items() if k in wanted}
    return {k: value for k, (value, _reason) in marks.items()}


def own_marks(user, source) -> dict[str, tuple[str, str]]:
    """``user``'s own marks on ``source``'s matches with their reasons: {target key: (value,
    reason)}; the buttons show the reason again, so re-marking does not silently clear it."""
    if not getattr(user, "is_authenticated", False):
        return {}
    s_kind, s_pk = _key(source).split(":")
    rows = MatchFeedback.objects.filter(user_id=user.pk, source_kind=s_kind, source_id=s_pk)
    return {
        f"{k}:{pk}": (v, reason)
        for k, pk, v, reason in rows.values_list("target_kind", "target_id", "value", "reason")
    }


def _editors(source, user_ids: Iterable[int]) -> set[int]:
    """Those of ``user_ids`` who may edit ``source``: the bureau, whoever its policy lets change
    it (its organisation's staff) and, for a demand, its assigned technology managers. A policy
    check per distinct user: a source has few markers."""
    from django.contrib.auth import get_user_model

    ids = set(user_ids)
    if not ids:
        return set()
    assigned = set()
    if hasattr(source, "assigned_managers"):
        assigned = set(source.assigned_managers.filter(pk__in=ids).values_list("pk", flat=True))
    out = set(assigned)
    for user in get_user_model().objects.filter(pk__in=ids - assigned, is_active=True):
        if is_bureau(user) or type(source).policy.can(user, source, "change"):
            out.add(user.pk)
    return out


def _outcomes(sources: dict[str, list[int]] | None) -> list[Label]:
    out: list[Label] = []
    for provider in outcome_providers:
        out.extend(provider(sources))
    return out


def verdicts(source) -> dict[str, Label]:
    """Per target of ``source``: the judgement that counts for its ranking, from the marks of
    those who may edit the source and the docking outcomes. Each counts one vote; the majority
    wins, a tie goes to the newest. The returned Label is the winning side's newest."""
    s_key = _key(source)
    s_kind, s_pk = s_key.split(":")
    rows = list(
        MatchFeedback.objects.filter(source_kind=s_kind, source_id=s_pk).values_list(
            "user_id", "target_kind", "target_id", "value", "updated_at"
        )
    )
    editors = _editors(source, {r[0] for r in rows})
    labels = [
        Label(s_key, f"{tk}:{tid}", value == USEFUL, at, "mark", uid)
        for uid, tk, tid, value, at in rows
        if uid in editors
    ]
    labels += _outcomes({s_kind: [int(s_pk)]})
    by_target: dict[str, list[Label]] = {}
    for label in labels:
        if label.source == s_key:
            by_target.setdefault(label.target, []).append(label)
    out = {}
    for target, found in by_target.items():
        net = sum(1 if x.useful else -1 for x in found)
        newest = max(found, key=lambda x: x.at)
        useful = net > 0 if net else newest.useful
        out[target] = max((x for x in found if x.useful == useful), key=lambda x: x.at)
    return out


def apply(user, source, matches: list) -> list:
    """Re-rank ``source``'s matches by their labels (see :func:`verdicts`) and note ``user``'s
    own mark on each (``Match.mark``). Matches judged not relevant go below every other one
    (sorted by score within each group); useful ones are lifted by :data:`LIFT`. Returns the
    matches sorted."""
    found = verdicts(source) if matches else {}
    own = own_marks(user, source) if matches else {}
    for m in matches:
        key = m.key
        m.mark, m.mark_reason = own.get(key, (None, ""))
        label = found.get(key)
        if label is None:
            continue
        if label.useful:
            signal = {"code": "feedback_useful", "weight": LIFT, "label": _("Marked useful")}
        else:
            signal = {
                "code": "feedback_not_useful",
                "weight": -LIFT,
                "label": _("Marked not relevant"),
            }
        m.signals.append(signal)
        m.score += signal["weight"]
    demoted = {key for key, label in found.items() if not label.useful}
    return sorted(matches, key=lambda m: (m.key in demoted, -m.score))


def all_labels() -> list[Label]:
    """Every label: each user's mark on each pair and each docking outcome (a case per record)."""
    rows = MatchFeedback.objects.values_list(
        "user_id", "source_kind", "source_id", "target_kind", "target_id", "value", "updated_at"
    )
    out = [
        Label(f"{sk}:{sid}", f"{tk}:{tid}", value == USEFUL, at, "mark", uid)
        for uid, sk, sid, tk, tid, value, at in rows.order_by("id")
    ]
    return out + _outcomes(None)
