"""The dashboard's one stored thing: statistics briefs (数据简报) asked for by the bureau and built
by a background task. Everything else on the dashboard is computed from the other apps' data."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiake.core.models import GeneratedDocument

IN_FLIGHT = (GeneratedDocument.Status.QUEUED, GeneratedDocument.Status.RUNNING)


class StatisticsBrief(GeneratedDocument):
    """One statistics brief: who asked, for which period, in which format and language, and the
    built file. Only the user who asked sees or downloads it: its figures are computed over what
    that user may see, like the dashboard they were looking at.

    At most one build per (user, period, format, language) is in flight (a partial unique
    constraint, so two simultaneous requests cannot both queue one); a finished brief younger than
    ``DASHBOARD_CACHE_SECONDS`` (the age the page's own figures may have) is handed out again
    instead of building another."""

    class Format(models.TextChoices):
        DOCX = "docx", _("Word (DOCX)")
        PDF = "pdf", _("PDF")

    class Step(models.TextChoices):
        FIGURES = "figures", _("Computing the figures")
        CHARTS = "charts", _("Drawing the charts")
        LAYOUT = "layout", _("Laying out the document")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    period = models.CharField(_("period"), max_length=32)  # Period.key, e.g. 2025 or 2025-Q3
    format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    language = models.CharField(_("language"), max_length=16)
    recompute = models.BooleanField(_("figures recomputed"), default=False)
    step = models.CharField(
        _("build step"), max_length=8, choices=Step.choices, blank=True, editable=False
    )
    file = models.FileField(_("file"), upload_to="briefs/%Y/%m/", blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("statistics brief")
        verbose_name_plural = _("statistics briefs")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["requested_by", "period", "format", "language"],
                condition=Q(status__in=["queued", "running"]),
                name="dashboard_brief_one_build_in_flight",
            )
        ]

    def __str__(self):
        return f"{self.period}.{self.format}"

    @property
    def filename(self) -> str:
        return f"brief-{self.period}.{self.format}"

    @classmethod
    def request(cls, user, period_key: str, fmt: str, language: str, recompute: bool = False):
        """The brief to show for this request, and whether a build was queued for it.

        A build already in flight is reused, and so is a finished one still fresh (unless
        ``recompute``); one that has been in flight longer than ``DASHBOARD_BRIEF_STALE_SECONDS``
        (the worker died, or none runs) is marked failed so that it stops blocking new requests.
        """
        now = timezone.now()
        mine = cls.objects.filter(
            requested_by=user, period=period_key, format=fmt, language=language
        )
        stale = getattr(settings, "DASHBOARD_BRIEF_STALE_SECONDS", 600)
        mine.filter(status__in=IN_FLIGHT, created_at__lt=now - dt.timedelta(seconds=stale)).update(
            status=cls.Status.FAILED,
            message=str(_("The build did not finish in time; the task worker may not be running.")),
        )
        reusable = Q(status__in=IN_FLIGHT)
        fresh = getattr(settings, "DASHBOARD_CACHE_SECONDS", 120)
        if fresh and not recompute:
            since = now - dt.timedelta(seconds=fresh)
            reusable |= Q(status=cls.Status.DONE, finished_at__gte=since)
        existing = mine.filter(reusable).first()
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                brief = cls.objects.create(
                    requested_by=user,
                    period=period_key,
                    format=fmt,
                    language=language,
                    recompute=recompute,
                )
        except IntegrityError:  # another request queued the same brief a moment ago
            return mine.filter(status__in=IN_FLIGHT).first() or mine.first(), False
        brief_id = brief.pk
        transaction.on_commit(lambda: queue_build(brief_id))
        return brief, True


def queue_build(brief_id: int):
    from xiake.core.tasks import enqueue
    from xiake.dashboard.tasks import build_brief

    return enqueue(build_brief, brief_id)
