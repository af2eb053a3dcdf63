"""Base filter set: one per model, used by the list page, the export and the API alike."""

import copy
from functools import partial

import django_filters
from django import forms
from django.db import models
from django.db.models import Q
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

#: Query parameters every list understands besides its filters.
RESERVED_PARAMS = frozenset({"page", "page_size", "ordering", "export", "format", "q"})


def _term_choices(scheme):
    from xiake.taxonomy.api import term_choices

    return term_choices(scheme)


class TermChoiceField(django_filters.fields.ChoiceField):
    """A choice field whose copies share its (lazy) choices.

    Every form deep-copies its fields; django-filter's choice iterator holds the field itself, so
    the default copy walked the whole field again for each of a dozen taxonomy filters per request.
    The iterator is read-only and calls ``term_choices`` afresh on each pass, so sharing it is safe.
    """

    def __deepcopy__(self, memo):
        result = forms.Field.__deepcopy__(self, memo)
        result._choices = self._choices
        return result


class TermFilter(django_filters.ChoiceFilter):
    """Filter on a taxonomy term by its code; a parent code also matches its children."""

    field_class = TermChoiceField

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

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        # django-filter's own __init__ (these six assignments) deep-copies every filter, with the
        # choices it carries, on every request. Filters are configuration that no request changes,
        # so a shallow copy is enough, with a method filter bound to its copy, not the original.
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = {}
        for name, base in self.base_filters.items():
            filter_ = copy.copy(base)
            if base.method is not None:
                filter_.method = base.method  # a new FilterMethod bound to the copy
            filter_.model = queryset.model
            filter_.parent = self
            self.filters[name] = filter_

    def get_form_class(self):
        """One form class per filter set instead of one per request.

        django-filter builds a new form class, with a new field per filter, for every request; that
        cost more than the query, and a new class per request defeated the per-form caches of the
        select widgets. Filters whose choices depend on the request (querysets given as callables)
        keep the per-request class.
        """
        cls = type(self)
        form_class = cls.__dict__.get("_shared_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            if not any(
                isinstance(f, django_filters.filters.QuerySetRequestMixin)
                for f in self.filters.values()
            ):
                cls._shared_form_class = form_class
        return form_class

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
