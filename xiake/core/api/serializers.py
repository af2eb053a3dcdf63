"""Serializers built from a resource: taxonomy terms by code, organisations by id (+ name)."""

import re
from datetime import UTC

from django.db import models
from django.utils.text import capfirst
from rest_framework import serializers

from xiake.core.masking import masked_values


class TermField(serializers.SlugRelatedField):
    """A taxonomy term written and read by its code, within one scheme's current version."""

    def __init__(self, scheme, **kwargs):
        self.scheme = scheme
        super().__init__(slug_field="code", **kwargs)

    def get_queryset(self):
        from xiake.taxonomy.models import Term

        return Term.objects.filter(scheme__code=self.scheme, scheme__is_current=True)


class DateTimeField(serializers.DateTimeField):
    """An instant in the local time zone, as RFC 3339 (the schema's date-time) allows it.

    RFC 3339 offsets are whole minutes; before a zone's standard time its offset is local mean
    time with seconds (Asia/Shanghai before 1901: +08:05:43), so such an instant is written in UTC.
    """

    _offset_with_seconds = re.compile(r"[+-]\d\d:\d\d:\d\d(\.\d+)?$")

    def to_representation(self, value):
        text = super().to_representation(value)
        if isinstance(text, str) and self._offset_with_seconds.search(text):
            text = value.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return text


class ResourceSerializer(serializers.ModelSerializer):
    """Masks contact fields for users who may not see them; adds display names of relations."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: DateTimeField,
    }

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return masked_values(instance, user, data)


def serializer_for(resource):
    model = resource.model
    names = list(resource.api_fields or ("id", *resource.detail_field_names))
    if "id" not in names:
        names.insert(0, "id")
    attrs = {}
    read_only = ["id"]
    for extra in ("status", "review_comment", "created_at", "updated_at"):
        if any(f.name == extra for f in model._meta.fields) and extra not in names:
            names.append(extra)
    if resource.is_reviewed:
        read_only += ["status", "review_comment"]
    read_only += ["created_at", "updated_at"]
    for name in list(names):
        if name in ("id", "status", "review_comment", "created_at", "updated_at"):
            continue
        f = model._meta.get_field(name)
        if f.is_relation and f.related_model._meta.label == "taxonomy.Term":
            scheme = (f.remote_field.limit_choices_to or {}).get("scheme__code")
            attrs[name] = TermField(
                scheme, many=f.many_to_many, required=False, allow_null=not f.many_to_many
            )
        elif f.is_relation and not f.many_to_many and hasattr(f.related_model, "name"):
            names.append(f"{name}_name")
            # without the relation the name is null (DRF would leave the key out)
            attrs[f"{name}_name"] = serializers.CharField(
                source=f"{name}.name", read_only=True, allow_null=f.null
            )
        elif _blank_computed_choice(f):
            attrs[name] = serializers.ChoiceField(
                choices=f.choices,
                read_only=True,
                allow_blank=True,
                allow_null=f.null,
                label=capfirst(f.verbose_name),
            )
    meta = type("Meta", (), {"model": model, "fields": names, "read_only_fields": read_only})
    attrs["Meta"] = meta
    return type(f"{model.__name__}Serializer", (ResourceSerializer,), attrs)


def _blank_computed_choice(field) -> bool:
    """A choice the application sets (not editable) that may be empty, e.g. a build step before
    the build starts: DRF maps such a field without ``allow_blank``, so the schema's enum would
    lack the "" the answers carry."""
    return (
        isinstance(field, models.CharField)
        and bool(field.choices)
        and field.blank
        and not field.editable
    )
