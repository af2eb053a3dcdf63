"""Base filter set: one per model, used by the list page, the export and the API alike."""

from functools import partial

import django_filters
from django import forms
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

#: Query parameters every list understands besides its filters.
RESERVED_PARAMS = frozenset({"page", "page_size", "ordering", "export", "format", "q"})


def _term_choices(scheme):
    from xiake.taxonomy.api import term_choices

    return term_choices(scheme)


class TermFilter(django_filters.ChoiceFilter):
    """Filter on a taxonomy term by its code; a parent code also matches its children."""

    def __init__(self, *args, scheme: str, **kwargs):
        self.scheme = scheme
        kwargs.setdefault("lookup_expr", "exact")
        super().__init__(*args, choices=partial(_term_choices, scheme), **kwargs)

    def filter(self, qs, value):
        if value in ([], (), {}, None, ""):
            return qs
        from xiake.taxonomy.api import subtree_ids

        qs = qs.filter(**{f"{self.field_name}__in": subtree_ids(self.scheme, value)})
        return qs.distinct() if self.distinct else qs


class BaseFilterSet(django_filters.FilterSet):
    """Adds the full-text box ``q`` over ``search_fields`` and ``ordering`` over ``ordering_fields``."""

    q = django_filters.CharFilter(method="filter_q", label=_("Search"))

    search_fields: tuple = ()

    def filter_q(self, queryset, name, value):
        words = (value or "").split()[:8]
        for word in words:
            cond = Q()
            for field in self.search_fields:
                cond |= Q(**{f"{field}__icontains": word[:100]})
            queryset = queryset.filter(cond)
        return queryset

    @classmethod
    def filter_for_field(cls, field, field_name, lookup_expr=None):
        remote = getattr(field, "related_model", None)
        if remote is not None and remote._meta.label == "taxonomy.Term":
            scheme = (field.remote_field.limit_choices_to or {}).get("scheme__code")
            return TermFilter(
                field_name=field_name,
                scheme=scheme,
                label=field.verbose_name,
                distinct=isinstance(field, models.ManyToManyField),
            )
        if remote is not None and remote._meta.label == "accounts.Organization":
            # Thousands of organisations: by id for links and the API, by name in the form
            # (see filterset_for).
            return django_filters.NumberFilter(
                field_name=field_name, label=field.verbose_name, widget=forms.HiddenInput
            )
        return super().filter_for_field(field, field_name, lookup_expr)


def filterset_for(model, fields, search_fields=(), ordering=()):
    """Build ``<Model>FilterSet`` from a list of field names."""
    meta = type("Meta", (), {"model": model, "fields": list(fields)})
    attrs = {"Meta": meta, "search_fields": tuple(search_fields)}
    for name in fields:
        f = model._meta.get_field(name)
        if f.is_relation and f.related_model._meta.label == "accounts.Organization":
            attrs[f"{name}_name"] = django_filters.CharFilter(
                field_name=f"{name}__name", lookup_expr="icontains", label=f.verbose_name
            )
    if ordering:
        attrs["ordering"] = django_filters.OrderingFilter(
            fields=[(f, f) for f in ordering], label=_("Sort")
        )
    return type(f"{model.__name__}FilterSet", (BaseFilterSet,), attrs)


def unknown_params(params, filterset_class) -> list[str]:
    """Query parameters that no filter understands (answered with 400, never silently ignored)."""
    known = set(filterset_class.base_filters) | RESERVED_PARAMS
    return sorted(k for k in params if k not in known)
