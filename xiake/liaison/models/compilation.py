"""Achievement compilations (成果汇编): a request for a PDF and a DOCX of the published achievements
of a university, a field or a period, with an enterprise demand list, built by a background task."""

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from xiake.catalog.models import term_fk
from xiake.core.models import AuditedModel, GeneratedDocument
from xiake.liaison import policies


class CompilationJob(GeneratedDocument, AuditedModel):
    """One compilation: its scope, and the build's status and progress (the page polls them).

    Every ``save()`` (creating it, or changing its scope) queues a new build through Django's task
    API after the transaction commits; the task writes status, progress and the files with
    ``UPDATE`` statements, so it never queues itself again."""

    class Phase(models.TextChoices):
        PDF = "pdf", _("Laying out the PDF")
        DOCX = "docx", _("Writing the DOCX")

    title = models.CharField(_("compilation title"), max_length=200)
    owner_org = models.ForeignKey(
        "accounts.Organization",
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="compilation_jobs",
    )
    university = models.ForeignKey(
        "catalog.University",
        verbose_name=_("university"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="compilation_jobs",
    )
    field = term_fk("hightech8", _("high-tech field"))
    period_from = models.DateField(_("completed from"), null=True, blank=True)
    period_to = models.DateField(_("completed until"), null=True, blank=True)
    include_demands = models.BooleanField(_("with the enterprise demand list"), default=True)
    phase = models.CharField(
        _("build step"), max_length=8, choices=Phase.choices, blank=True, editable=False
    )
    pages_done = models.PositiveIntegerField(_("pages laid out"), default=0, editable=False)
    pages_total = models.PositiveIntegerField(_("pages expected"), default=0, editable=False)
    achievement_count = models.PositiveIntegerField(
        _("achievements included"), default=0, editable=False
    )
    demand_count = models.PositiveIntegerField(_("demands included"), default=0, editable=False)
    pdf_file = models.FileField(
        _("PDF"), upload_to="compilations/%Y/%m/", blank=True, editable=False
    )
    docx_file = models.FileField(
        _("DOCX"), upload_to="compilations/%Y/%m/", blank=True, editable=False
    )

    policy = policies.CompilationPolicy()
    # The build's own output stays out of the change log (file handles are not JSON).
    changelog_exclude = (*AuditedModel.changelog_exclude, "pdf_file", "docx_file")

    class Meta:
        verbose_name = _("achievement compilation")
        verbose_name_plural = _("achievement compilations")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.title

    def clean(self):
        if self.period_from and self.period_to and self.period_to < self.period_from:
            raise ValidationError({"period_to": _("The end precedes the start.")})

    def save(self, *args, **kwargs):
        if self.owner_org_id is None and self.created_by_id:
            self.owner_org_id = self.created_by.organization_id
        self.status, self.progress, self.message = self.Status.QUEUED, 0, ""
        self.phase, self.pages_done, self.pages_total = "", 0, 0
        super().save(*args, **kwargs)
        job_id = self.pk
        transaction.on_commit(lambda: queue_build(job_id))


def queue_build(job_id: int):
    from xiake.core.tasks import enqueue
    from xiake.liaison.tasks import build_compilation

    return enqueue(build_compilation, job_id)
