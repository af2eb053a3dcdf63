"""The review workflow shared by every library record: 草稿 → 待审核 → 已发布 | 退回整改 | 已拒绝."""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReviewStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING = "pending", _("Pending review")
    PUBLISHED = "published", _("Published")
    RETURNED = "returned", _("Returned for revision")
    REJECTED = "rejected", _("Rejected")


STATUS_BADGES = {
    ReviewStatus.DRAFT: "secondary",
    ReviewStatus.PENDING: "warning",
    ReviewStatus.PUBLISHED: "success",
    ReviewStatus.RETURNED: "info",
    ReviewStatus.REJECTED: "danger",
}


@dataclass(frozen=True)
class Transition:
    """One allowed move of the workflow; ``by`` is "owner" (the record's editors) or "reviewer"."""

    action: str
    label: str
    sources: tuple[str, ...]
    target: str
    by: str
    comment_required: bool = False


TRANSITIONS = {
    t.action: t
    for t in (
        Transition(
            "submit",
            _("Submit for review"),
            (ReviewStatus.DRAFT, ReviewStatus.RETURNED),
            ReviewStatus.PENDING,
            "owner",
        ),
        Transition("withdraw", _("Withdraw"), (ReviewStatus.PENDING,), ReviewStatus.DRAFT, "owner"),
        Transition(
            "publish", _("Publish"), (ReviewStatus.PENDING,), ReviewStatus.PUBLISHED, "reviewer"
        ),
        Transition(
            "return",
            _("Return for revision"),
            (ReviewStatus.PENDING,),
            ReviewStatus.RETURNED,
            "reviewer",
            comment_required=True,
        ),
        Transition(
            "reject",
            _("Reject"),
            (ReviewStatus.PENDING,),
            ReviewStatus.REJECTED,
            "reviewer",
            comment_required=True,
        ),
        Transition(
            "unpublish",
            _("Unpublish"),
            (ReviewStatus.PUBLISHED,),
            ReviewStatus.DRAFT,
            "reviewer",
            comment_required=True,
        ),
    )
}


class TransitionError(Exception):
    """A workflow move that is not allowed from the record's current state or by this user."""
