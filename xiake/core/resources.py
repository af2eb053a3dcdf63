"""Resources: one declarative class per model from which pages, API, import and export are derived.

A domain app declares, for example::

    class AchievementResource(Resource):
        model = Achievement
        list_columns = ("title", "owner_org", "trl", "status")
        filter_fields = ("status", "owner_org", "industry", "trl")
        search_fields = ("title", "keywords", "summary")
        form_fields = (...)
        natural_key = ("owner_org", "title")
        api_name = "achievements"

and registers it; ``core.urls`` then builds the list/detail/edit/delete/review/history/import/export
pages and ``core.api`` the REST endpoints, all going through ``Model.objects.restrict``.
"""

from functools import cached_property

from django.db import models
from django.utils.translation import override

from xiake.core.filtersets import filterset_for

_registry: dict[str, "Resource"] = {}


class Resource:
    model: type[models.Model]
    list_columns: tuple = ()
    filter_fields: tuple = ()
    search_fields: tuple = ()
    ordering_fields: tuple = ()
    form_fields: tuple = ()
    detail_fields: tuple = ()  # defaults to form_fields
    import_fields: tuple = ()  # defaults to form_fields; headers come from the zh-hans labels
    natural_key: tuple = ()
    api_name: str = ""
    api_fields: tuple = ()  # defaults to ("id", *detail_fields, "status"...)
    icon: str = "bi-collection"

    # -- names derived from conventions ---------------------------------------------------------
    @cached_property
    def app_label(self) -> str:
        return self.model._meta.app_label

    @cached_property
    def model_name(self) -> str:
        return self.model._meta.model_name

    def url_name(self, action: str) -> str:
        return f"{self.app_label}:{self.model_name}_{action}"

    @property
    def verbose_name(self):
        return self.model._meta.verbose_name

    @property
    def verbose_name_plural(self):
        return self.model._meta.verbose_name_plural

    @cached_property
    def is_reviewed(self) -> bool:
        from xiake.core.models import ReviewedModel

        return issubclass(self.model, ReviewedModel)

    @cached_property
    def owner_field(self) -> str | None:
        names = {f.name for f in self.model._meta.get_fields()}
        return "owner_org" if "owner_org" in names else None

    # -- fields ---------------------------------------------------------------------------------
    def field(self, name: str):
        return self.model._meta.get_field(name)

    def label(self, name: str) -> str:
        try:
            return str(self.field(name).verbose_name)
        except Exception:
            return name

    def header(self, name: str) -> str:
        """Spreadsheet header: the Chinese label, stable whatever the user's language."""
        with override("zh-hans"):
            return self.label(name)

    @cached_property
    def detail_field_names(self) -> tuple:
        return self.detail_fields or self.form_fields

    @cached_property
    def import_field_names(self) -> tuple:
        return self.import_fields or self.form_fields

    @cached_property
    def filterset_class(self):
        ordering = self.ordering_fields or tuple(
            c for c in self.list_columns if not self._is_many(c)
        )
        return filterset_for(self.model, self.filter_fields, self.search_fields, ordering)

    def _is_many(self, name: str) -> bool:
        try:
            return self.field(name).many_to_many
        except Exception:
            return False

    def related_for(self, names) -> tuple[list[str], list[str]]:
        """select_related and prefetch_related lists for showing ``names`` without N+1 queries."""
        select, prefetch = [], []
        for name in names:
            try:
                f = self.field(name)
            except Exception:
                continue
            if f.many_to_many or f.one_to_many:
                prefetch.append(name)
            elif f.is_relation:
                select.append(name)
        return select, prefetch

    def queryset(self, user, action: str = "view", columns=None):
        select, prefetch = self.related_for(columns if columns is not None else self.list_columns)
        qs = self.model.objects.restrict(user, action)
        if select:
            qs = qs.select_related(*select)
        if prefetch:
            qs = qs.prefetch_related(*prefetch)
        return qs

    def policy(self):
        return self.model.policy


def register(resource_class):
    """Class decorator: make a resource known to the URL and API builders."""
    from xiake.core import pagecache

    resource = resource_class()
    pagecache.watch(resource.model)
    key = f"{resource.app_label}.{resource.model_name}"
    _registry[key] = resource
    resource_class.instance = resource
    return resource_class


def registry() -> dict[str, Resource]:
    return dict(_registry)


def resource_for(model) -> Resource:
    return _registry[f"{model._meta.app_label}.{model._meta.model_name}"]


def resources_of(app_label: str) -> list[Resource]:
    return [r for r in _registry.values() if r.app_label == app_label]
