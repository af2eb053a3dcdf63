from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PasswordHistory(models.Model):
    """One password a user has had, stored as the hash already in ``User.password`` (never in clear).

    The newest row of a user also dates their current password, which is what the expiry counts
    from. Rows are written by ``PasswordHistoryValidator.password_changed`` on every save that sets
    a password, and pruned to the configured history length.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="password_history"
    )
    encoded = models.CharField(_("password hash"), max_length=256)
    created_at = models.DateTimeField(_("set at"), db_index=True)

    class Meta:
        verbose_name = _("previous password")
        verbose_name_plural = _("previous passwords")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.user_id} @ {self.created_at:%Y-%m-%d}"


class WorkerHeartbeat(models.Model):
    """The lease of one running task worker (``xiake task_worker``), renewed every few seconds.

    A worker whose ``seen_at`` is older than ``TASK_WORKER_LEASE_SECONDS`` (by the database's
    clock, the one clock every node shares) is taken for dead by any other worker: its row gets
    ``expired_at`` and the tasks it left RUNNING go back in the queue (``xiake.ops.lease``). A
    worker that finds its own row expired stops at once, so a task never runs twice while its
    first worker still lives. A worker that stops normally expires its own row.
    """

    worker_id = models.CharField(_("worker id"), max_length=64, unique=True)
    host = models.CharField(_("host"), max_length=64)
    pid = models.PositiveIntegerField(_("process id"))
    started_at = models.DateTimeField(_("started at"))
    seen_at = models.DateTimeField(_("last heartbeat"), db_index=True)
    expired_at = models.DateTimeField(_("lease expired at"), null=True, blank=True)

    class Meta:
        verbose_name = _("task worker heartbeat")
        verbose_name_plural = _("task worker heartbeats")
        ordering = ["-seen_at"]

    def __str__(self):
        return f"{self.worker_id} (pid {self.pid})"
