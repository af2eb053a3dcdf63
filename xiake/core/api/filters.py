from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError

from xiake.core.filtersets import unknown_params


class StrictFilterBackend(DjangoFilterBackend):
    """The resource's FilterSet; unknown parameters answer 400 instead of being ignored."""

    def get_filterset_class(self, view, queryset=None):
        return getattr(view, "filterset_class", None)

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        if getattr(view, "action", None) == "list":
            bad = unknown_params(request.query_params, filterset_class)
            if bad:
                raise ValidationError({p: ["Unknown filter parameter."] for p in bad})
        return super().filter_queryset(request, queryset, view)
