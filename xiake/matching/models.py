"""The change feed of searchable text, and the stored marks users give to matches."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xiake.core.policies import Policy
from xiake.core.querysets import RestrictedQuerySet


class IndexChange(models.Model):
    """One change to a searchable record, written in the same transaction as the change.

    Rows are never consumed destructively: every app node keeps its own index and its own cursor
    (the last id it applied, stored beside its index), so several nodes follow one shared feed.
    ``xiake index --prune DAYS`` deletes old rows once every node is past them.
    """

    class Action(models.TextChoices):
        UPSERT = "upsert", _("Added or changed")
        DELETE = "delete", _("Deleted")
        REBUILD = "rebuild", _("Rebuild everything")

    kind = models.CharField(_("record type"), max_length=20)
    object_id = models.BigIntegerField(_("record id"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("index change")
        verbose_name_plural = _("index changes")
        ordering = ["id"]

    def __str__(self):
        return f"{self.action} {self.kind}:{self.object_id}"


class OwnMarkPolicy(Policy):
    """A user sees and removes only their own marks; the bureau sees every mark (Policy)."""

    def scope_view(self, qs, user):
        if not getattr(user, "is_authenticated", False):
            return qs.none()
        return qs.filter(user_id=user.pk)

    scope_change = scope_delete = scope_view


class MatchFeedback(models.Model):
    """One user's mark on one match: the ``target`` record offered for the ``source`` record (a
    demand's achievement, an achievement's expert, …) is useful (有用) or not relevant (无关).

    One mark per user and pair: marking again changes it, clicking the same mark again removes
    it (``xiake.matching.labels.mark``). Records are referred to by kind and id as in the index
    (``demand:12``), not by foreign keys, because a pair spans four record kinds; a deleted record's
    marks stay as labels. Marks of people who may edit the source re-rank its matches; every mark
    is a label for ``xiake fit_match_weights``. Writes are audited (core change log).
    """

    class Value(models.TextChoices):
        USEFUL = "useful", _("Useful")
        NOT_USEFUL = "not_useful", _("Not relevant")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    source_kind = models.CharField(_("source type"), max_length=20)
    source_id = models.PositiveBigIntegerField(_("source id"))
    target_kind = models.CharField(_("target type"), max_length=20)
    target_id = models.PositiveBigIntegerField(_("target id"))
    value = models.CharField(_("mark"), max_length=12, choices=Value.choices)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = RestrictedQuerySet.as_manager()
    policy = OwnMarkPolicy()

    class Meta:
        verbose_name = _("match mark")
        verbose_name_plural = _("match marks")
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "source_kind", "source_id", "target_kind", "target_id"],
                name="matching_feedback_once",
            )
        ]
        indexes = [
            models.Index(fields=["source_kind", "source_id"], name="matching_feedback_source_idx")
        ]

    def __str__(self):
        return f"{self.source_kind}:{self.source_id} → {self.target_kind}:{self.target_id} {self.value}"

    @property
    def useful(self) -> bool:
        return self.value == self.Value.USEFUL

    def snapshot(self) -> dict:
        """What the change log stores of a mark (``core.changelog.record_change``)."""
        return {
            "user_id": self.user_id,
            "source": f"{self.source_kind}:{self.source_id}",
            "target": f"{self.target_kind}:{self.target_id}",
            "value": self.value,
            "reason": self.reason,
        }


class SignalWeights(models.Model):
    """One fit of the weights ``recommend`` gives its signals (text score, same industry, TRL, …),
    learned from the labels (marks and docking outcomes) by ``xiake fit_match_weights``.

    Rows are versions: the newest is used, older ones stay to show what changed and to go back
    (delete the newest). ``cv_auc`` and ``baseline_auc`` are the cross-validated AUC of the fitted
    and the hand-set weights on the same folds, at the time of the fit.
    """

    weights = models.JSONField(_("weights"))
    labels = models.PositiveIntegerField(_("labels"))
    positives = models.PositiveIntegerField(_("useful labels"))
    folds = models.PositiveSmallIntegerField(_("folds"))
    l2 = models.FloatField(_("L2 penalty"))
    cv_auc = models.FloatField(_("cross-validated AUC"))
    baseline_auc = models.FloatField(_("AUC of the hand-set weights"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("fitted by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("fitted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("signal weights")
        verbose_name_plural = _("signal weights")
        ordering = ["-id"]

    def __str__(self):
        return f"v{self.pk} ({self.created_at:%Y-%m-%d})"
