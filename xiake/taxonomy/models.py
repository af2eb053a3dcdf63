"""Classification schemes and terms.

A *scheme* is one version of a classification (``gbt4754`` version ``2017``, ``chain`` version
``2023`` …). Several versions of a code may exist; exactly one is current, enforced by a partial
unique constraint that works on SQLite and PostgreSQL. Terms belong to one scheme version, so
records that point at a term of an old version keep their meaning when a new version becomes
current.
"""

from __future__ import annotations

from django.db import models, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Scheme(models.Model):
    """One version of a classification scheme, e.g. GB/T 4754 of 2017 or the 2023 chain list."""

    code = models.SlugField(_("code"), max_length=32, help_text=_("Stable code, e.g. gbt4754"))
    name = models.CharField(_("name"), max_length=100)
    version = models.CharField(_("version"), max_length=20)
    effective_from = models.DateField(_("effective from"), null=True, blank=True)
    effective_to = models.DateField(_("effective to"), null=True, blank=True)
    is_current = models.BooleanField(_("current version"), default=False)
    source = models.TextField(_("source"), blank=True, help_text=_("The standard or document"))

    class Meta:
        verbose_name = _("classification scheme")
        verbose_name_plural = _("classification schemes")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "version"], name="taxonomy_scheme_code_version"
            ),
            models.UniqueConstraint(
                fields=["code"], condition=Q(is_current=True), name="taxonomy_scheme_one_current"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code} {self.version})"

    def make_current(self) -> None:
        """Make this version the current one of its code (and no other)."""
        with transaction.atomic():
            Scheme.objects.filter(code=self.code, is_current=True).exclude(pk=self.pk).update(
                is_current=False
            )
            if not self.is_current:
                self.is_current = True
                Scheme.objects.filter(pk=self.pk).update(is_current=True)


class Term(models.Model):
    """One entry of a scheme version: a code, a Chinese name and its place in the hierarchy."""

    scheme = models.ForeignKey(
        Scheme, on_delete=models.CASCADE, related_name="terms", verbose_name=_("scheme")
    )
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    level = models.PositiveSmallIntegerField(_("level"), default=1)
    note = models.TextField(_("note"), blank=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("term")
        verbose_name_plural = _("terms")
        ordering = ["scheme_id", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "code"], name="taxonomy_term_scheme_code"),
        ]
        indexes = [
            models.Index(fields=["scheme", "name"], name="taxonomy_term_scheme_name"),
            models.Index(fields=["scheme", "level", "sort_order"], name="taxonomy_term_level"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """``"C 制造业"`` for standard codes; just the name for slug codes (``early`` → 初期…)."""
        if self.code.upper() != self.code:  # slug codes carry no meaning for readers
            return self.name
        return f"{self.code} {self.name}"
