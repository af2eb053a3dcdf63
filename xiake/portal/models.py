"""News and announcements of the bureau, shown on the public portal after review."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiake.core.models import ReviewedModel
from xiake.core.policies import Policy
from xiake.core.review import ReviewStatus


class NewsPolicy(Policy):
    """Everyone reads published news; the bureau writes, reviews and publishes."""

    def scope_view(self, qs, user):
        return qs.filter(status=ReviewStatus.PUBLISHED)


class NewsItem(ReviewedModel):
    """One piece of news or an announcement (通知公告) of the bureau. Written as a draft, published
    through the review workflow like every library record; the portal shows published items only."""

    class Kind(models.TextChoices):
        NEWS = "news", _("News")
        NOTICE = "notice", _("Announcement")

    title = models.CharField(_("headline"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.NEWS)
    news_date = models.DateField(_("date"), default=timezone.localdate, db_index=True)
    source = models.CharField(_("source"), max_length=100, blank=True)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    body = models.TextField(_("text"))
    is_demo = models.BooleanField(_("demo record"), default=False, editable=False)

    policy = NewsPolicy()

    class Meta:
        verbose_name = _("news item")
        verbose_name_plural = _("news and announcements")
        ordering = ["-news_date", "-id"]

    def __str__(self):
        return self.title

    def get_public_url(self):
        from django.urls import reverse

        return reverse("portal:public_news_item", args=[self.pk])
