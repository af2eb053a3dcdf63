"""Serializers built from a resource: taxonomy terms by code, organisations by id (+ name)."""

import re
from datetime import UTC

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils.text import capfirst
from rest_framework import serializers

from xiake.core.identity import row_checked_fields
from xiake.core.masking import (
    identity_reveal,
    masked_values,
    page_contact_grants,
    record_identity_reveal,
)


class TermField(serializers.SlugRelatedField):
    """A taxonomy term written and read by its code, within one scheme's current version."""

    def __init__(self, scheme, **kwargs):
        self.scheme = scheme
        super().__init__(slug_field="code", **kwargs)

    def get_queryset(self):
        from xiake.taxonomy.models import Term

        return Term.objects.filter(scheme__code=self.scheme, scheme__is_current=True)


REVEALS = "identity_reveals"  # the context key where a list collects its rows' reveal records
GRANTS = "contact_grants"  # the context key of the page's rows whose contacts a case grants


class RevealAuditListSerializer(serializers.ListSerializer):
    """A page of records: which of its rows a docking case grants contacts of is asked once for
    the page, and the reveal records of its rows are written in one statement."""

    def to_representation(self, data):
        objects = list(data.all() if isinstance(data, models.manager.BaseManager) else data)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        pks = [obj.pk for obj in objects]
        self.context[GRANTS] = page_contact_grants(user, self.child.Meta.model, pks)
        try:
            rows = super().to_representation(objects)
        finally:
            self.context.pop(GRANTS, None)
        reveals = self.context.pop(REVEALS, [])
        if reveals:
            from xiake.core.models import ChangeRecord

            ChangeRecord.objects.bulk_create(reveals)
        return rows


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
    """Masks contact fields and identity numbers for users who may not see them (a full identity
    number read through the API is recorded in the audit log); adds display names of relations;
    checks the values that depend on others of the same record (an identity number against its
    document type), as the forms and the importer do."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: DateTimeField,
    }

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        parent_list = isinstance(self.parent, RevealAuditListSerializer)
        granted = self.context.get(GRANTS) if parent_list else None
        data = masked_values(instance, user, data, granted)
        if request is not None and request.method == "GET":
            if isinstance(self.parent, RevealAuditListSerializer):
                reveal = identity_reveal(instance, user, data)
                if reveal is not None:
                    self.context.setdefault(REVEALS, []).append(reveal)
            else:
                record_identity_reveal(instance, user, data)
        return data

    def validate(self, attrs):
        attrs = super().validate(attrs)
        checked = [
            f
            for f in row_checked_fields(self.Meta.model)
            if f.name in attrs or (f.type_field and f.type_field in attrs)
        ]
        if checked:
            # a partial update checks the new number against the stored type and vice versa
            row = {}
            if self.instance is not None:
                for f in checked:
                    row[f.name] = getattr(self.instance, f.name)
                    if f.type_field:
                        row[f.type_field] = getattr(self.instance, f.type_field)
            row.update(attrs)
            errors = {}
            for f in checked:
                try:
                    f.clean_row(row)
                except DjangoValidationError as exc:
                    errors[f.name] = exc.messages
                else:
                    if f.name in attrs:
                        attrs[f.name] = row[f.name]
                    pk = self.instance.pk if self.instance is not None else None
                    if row[f.name] and f.taken(row[f.name], pk):
                        errors[f.name] = [f.taken_message()]
            if errors:
                raise serializers.ValidationError(errors)
        return attrs


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
    meta = type(
        "Meta",
        (),
        {
            "model": model,
            "fields": names,
            "read_only_fields": read_only,
            "list_serializer_class": RevealAuditListSerializer,
        },
    )
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
