"""Platform models: the change log, attachments, import jobs and the abstract bases of every record."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiake.core.auditsearch import SEARCHED_FIELDS, terms_of
from xiake.core.policies import BureauOnlyPolicy
from xiake.core.querysets import RestrictedQuerySet
from xiake.core.review import STATUS_BADGES, TRANSITIONS, ReviewStatus, TransitionError


class ChangeAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Updated")
    DELETE = "delete", _("Deleted")
    REVIEW = "review", _("Reviewed")
    IMPORT = "import", _("Imported")
    EXPORT = "export", _("Exported")
    LOGIN = "login", _("Logged in")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOGOUT = "logout", _("Logged out")
    PERMISSION = "permission", _("Permission changed")
    DOWNLOAD = "download", _("Downloaded")
    PRUNE = "prune", _("Audit log pruned")
    REVEAL = "reveal", _("Identity number viewed")


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete an audit record (the log is append-only)."""


class ChangeRecordQuerySet(RestrictedQuerySet):
    """Inserts only: update and delete raise; ``prune`` is the one way rows leave the table."""

    def update(self, **kwargs):
        raise AppendOnlyError("The audit log is append-only: records cannot be updated.")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("The audit log is append-only: records cannot be updated.")

    def delete(self):
        raise AppendOnlyError("The audit log is append-only: use `xiake prune_audit`.")

    delete.queryset_only = True

    def prune(self, before) -> int:
        """Delete the records older than ``before`` (the retention cut-off; ``xiake prune_audit``).

        The database triggers refuse rows younger than the legal minimum whatever ``before`` is.
        """
        return self.filter(time__lt=before)._raw_delete(self.db)

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            obj.search_terms = obj.terms()
        return super().bulk_create(objs, *args, **kwargs)


class ChangeRecord(models.Model):
    """One entry of the audit trail: who did what to which record, when, with before/after snapshots.

    Written by the signal handlers in ``core.changelog`` (saves, deletes, logins) and by the workflow,
    import and export code. The application only ever inserts rows.
    """

    time = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    action = models.CharField(
        _("action"), max_length=20, choices=ChangeAction.choices, db_index=True
    )
    content_type = models.ForeignKey(
        ContentType,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    before = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    comment = models.TextField(_("comment"), blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    # What the free-text search's index holds (``xiake.core.auditsearch``), written on insert.
    search_terms = models.TextField(blank=True, default="", editable=False)

    objects = ChangeRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("change record")
        verbose_name_plural = _("change records")
        ordering = ["-time", "-id"]
        # The audit search filters by one of these and pages newest first (benchmarks/bench_audit.py).
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="core_change_object_idx"),
            models.Index(fields=["object_id", "time"], name="core_change_objid_idx"),
            models.Index(fields=["action", "time"], name="core_change_action_idx"),
            models.Index(fields=["actor_name", "time"], name="core_change_actor_idx"),
            models.Index(fields=["ip", "time"], name="core_change_ip_idx"),
            models.Index(fields=["request_id"], name="core_change_request_idx"),
        ]

    def __str__(self):
        return f"{self.time:%Y-%m-%d %H:%M} {self.actor_name} {self.get_action_display()} {self.object_repr}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("The audit log is append-only: records cannot be changed.")
        self.search_terms = self.terms()
        super().save(*args, **kwargs)

    def terms(self) -> str:
        """The free-text index's terms of this record (``xiake.core.auditsearch``)."""
        return terms_of(*(getattr(self, name) for name in SEARCHED_FIELDS))

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("The audit log is append-only: use `xiake prune_audit`.")

    def changed_fields(self) -> list[tuple[str, object, object]]:
        before, after = self.before or {}, self.after or {}
        keys = sorted(set(before) | set(after))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


class Attachment(models.Model):
    """A file attached to any record (contract scans, certificates, achievement brochures)."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    parent = GenericForeignKey("content_type", "object_id")
    file = models.FileField(_("file"), upload_to="attachments/%Y/%m/")
    name = models.CharField(_("name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="core_attach_object_idx")
        ]

    def __str__(self):
        return self.name


class ImportJob(models.Model):
    """One spreadsheet import: the uploaded file, what validation found, and what was written."""

    class Status(models.TextChoices):
        VALIDATED = "validated", _("Validated")
        FAILED = "failed", _("Has errors")
        IMPORTED = "imported", _("Imported")

    resource = models.CharField(_("library"), max_length=64)
    file_name = models.CharField(_("file name"), max_length=255)
    file = models.FileField(upload_to="imports/%Y/%m/", blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    valid_rows = models.PositiveIntegerField(_("valid rows"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.resource} {self.file_name}"


class GeneratedDocument(models.Model):
    """Abstract base of a document built by a background task (a compilation, a statistics
    brief): its build status, progress and failure message, which the requesting page polls.

    The task writes these with ``UPDATE`` statements through :func:`xiake.core.documents.build`
    (never ``save()``), so a model whose ``save()`` queues a build does not queue itself again.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    status = models.CharField(
        _("build status"),
        max_length=16,
        choices=Status.choices,
        default=Status.QUEUED,
        editable=False,
        db_index=True,
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0, editable=False)
    message = models.TextField(_("message"), blank=True, editable=False)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    @property
    def status_badge(self) -> str:
        return {"done": "success", "failed": "danger", "running": "info"}.get(
            self.status, "secondary"
        )

    @property
    def is_running(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


class AuditedModel(models.Model):
    """Base of every business record: timestamps, creator, attachments, and change logging.

    ``_loaded_values`` keeps the field values read from the database so that the change log can
    write a before/after snapshot without an extra query.
    """

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    attachments = GenericRelation(Attachment)

    objects = RestrictedQuerySet.as_manager()

    # Fields left out of change-log snapshots (noise, or derived).
    changelog_exclude = ("updated_at", "created_at", "search_text")

    class Meta:
        abstract = True

    def get_absolute_url(self):
        from django.urls import reverse

        meta = self._meta
        return reverse(f"{meta.app_label}:{meta.model_name}_detail", args=[self.pk])

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_values = dict(zip(field_names, values, strict=True))
        return instance

    def snapshot(self) -> dict:
        """Concrete field values as stored (foreign keys as ids), for the change log."""
        from xiake.core.crypto import audit_values

        data = {}
        for f in self._meta.concrete_fields:
            if f.name in self.changelog_exclude:
                continue
            data[f.attname] = f.value_from_object(self)
        # encrypted and sealed values never reach the change log in clear
        return audit_values(type(self), data)

    def loaded_snapshot(self) -> dict | None:
        loaded = getattr(self, "_loaded_values", None)
        if loaded is None:
            return None
        from xiake.core.crypto import audit_values

        return audit_values(
            type(self),
            {
                k: v
                for k, v in loaded.items()
                if k not in self.changelog_exclude
                and k in {f.attname for f in self._meta.concrete_fields}
            },
        )


class ReviewedModel(AuditedModel):
    """A record that goes through the bureau's review before the public sees it."""

    status = models.CharField(
        _("review status"),
        max_length=16,
        choices=ReviewStatus.choices,
        default=ReviewStatus.DRAFT,
        db_index=True,
    )
    review_comment = models.TextField(_("review comment"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True, editable=False)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    @property
    def status_badge(self) -> str:
        return STATUS_BADGES.get(self.status, "secondary")

    def available_transitions(self, user) -> list:
        policy = type(self).policy
        result = []
        for t in TRANSITIONS.values():
            if self.status not in t.sources:
                continue
            if t.by == "reviewer" and policy.can_review(user, self):
                result.append(t)
            elif t.by == "owner" and policy.can(user, self, "change"):
                result.append(t)
        return result

    def transition(self, action: str, user, comment: str = "") -> None:
        """Move the record through the workflow, or raise TransitionError saying why not."""
        from xiake.core.changelog import record_change

        t = TRANSITIONS.get(action)
        if t is None:
            raise TransitionError(_("Unknown action “%(action)s”.") % {"action": action})
        if t not in self.available_transitions(user):
            if self.status not in t.sources:
                raise TransitionError(
                    _("“%(action)s” is not possible while the record is “%(status)s”.")
                    % {"action": t.label, "status": self.get_status_display()}
                )
            raise TransitionError(_("You may not “%(action)s” this record.") % {"action": t.label})
        comment = (comment or "").strip()
        if t.comment_required and not comment:
            raise TransitionError(_("A comment is required to “%(action)s”.") % {"action": t.label})
        before = self.snapshot()
        now = timezone.now()
        self.status = t.target
        if t.by == "reviewer":
            self.review_comment = comment
            self.reviewed_by = user
            self.reviewed_at = now
        elif action == "submit":
            self.submitted_at = now
        self._skip_changelog = True
        self.save()
        self._skip_changelog = False
        record_change(self, "review", before=before, comment=f"{t.label}: {comment}".rstrip(": "))


class Holiday(AuditedModel):
    """One day of the official calendar that differs from Monday–Friday: a public holiday, or a
    weekend day worked in exchange (调休, ``is_workday``). The platform's only calendar: contract
    registration deadlines, consultation service levels and reminders all count with it
    (``xiake.core.calendar``)."""

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=60)
    is_workday = models.BooleanField(
        _("working day"), default=False, help_text=_("A weekend day worked (调休).")
    )
    source = models.CharField(_("source"), max_length=200, blank=True)

    policy = BureauOnlyPolicy()

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("holiday calendar")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.name}"

    @classmethod
    def calendar(cls) -> tuple[frozenset, frozenset]:
        """(holidays, adjusted working days) — the whole table: a few dozen rows a year."""
        holidays, workdays = set(), set()
        for date, working in cls.objects.values_list("date", "is_workday"):
            (workdays if working else holidays).add(date)
        return frozenset(holidays), frozenset(workdays)

    @classmethod
    def known_years(cls) -> list[int]:
        return sorted({d.year for d in cls.objects.values_list("date", flat=True)})
