"""The change feed of searchable text, and the stored marks users give to matches."""

from django.db import models
from django.utils.translation import gettext_lazy as _


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
