"""Spreadsheet columns derived from model fields: one codec for import (parse) and export (format)."""

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

LIST_SEPARATORS = re.compile(r"[,，;；、|\n]+")
TRUE_WORDS = {"是", "有", "true", "yes", "y", "1", "√", "公开"}
FALSE_WORDS = {"否", "无", "false", "no", "n", "0", "×"}
DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$"),
    re.compile(r"^(\d{4})[-/.年](\d{1,2})月?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def normalise_text(value) -> str:
    """NFKC (full-width → half-width), trimmed; spreadsheets carry every kind of space."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def split_list(value: str) -> list[str]:
    return [v.strip() for v in LIST_SEPARATORS.split(value) if v.strip()]


class CellError(ValueError):
    """A cell value that cannot be accepted; the message says why, in the user's language."""


@dataclass
class Column:
    name: str
    header: str
    model_field: models.Field
    kind: str
    required: bool
    scheme: str | None = None
    aliases: set = field(default_factory=set)

    # -- import -------------------------------------------------------------------------------
    def parse(self, raw, lookups: "Lookups"):
        if isinstance(raw, dt.datetime | dt.date) and self.kind == "date":
            return raw.date() if isinstance(raw, dt.datetime) else raw
        text = normalise_text(raw)
        if text == "":
            if self.required:
                raise CellError(_("This field is required."))
            if self.kind == "terms":
                return []
            if self.kind == "bool":
                return self.model_field.default if self.model_field.has_default() else False
            return None if self.model_field.null else ""
        parser = getattr(self, f"_parse_{self.kind}")
        return parser(text, lookups)

    def _clean(self, value):
        try:
            return self.model_field.clean(value, None)
        except ValidationError as exc:
            raise CellError("；".join(exc.messages)) from None

    def _parse_text(self, text, lookups):
        return self._clean(text)

    def _parse_int(self, text, lookups):
        return self._clean(text)

    def _parse_decimal(self, text, lookups):
        cleaned = text.replace(",", "").replace("万元", "").replace("元", "").strip()
        try:
            Decimal(cleaned)
        except InvalidOperation:
            raise CellError(_("“%(value)s” is not a number.") % {"value": text}) from None
        return self._clean(cleaned)

    def _parse_date(self, text, lookups):
        for pattern in DATE_PATTERNS:
            m = pattern.match(text.split(" ")[0])
            if m:
                parts = [int(p) for p in m.groups()] + [1] * (3 - len(m.groups()))
                try:
                    return dt.date(*parts)
                except ValueError:
                    break
        raise CellError(_("“%(value)s” is not a date (use 2024-05-01).") % {"value": text})

    def _parse_bool(self, text, lookups):
        low = text.lower()
        if low in TRUE_WORDS:
            return True
        if low in FALSE_WORDS:
            return False
        raise CellError(_("“%(value)s” is not yes/no (是/否).") % {"value": text})

    def _parse_choice(self, text, lookups):
        for value, label in self.model_field.flatchoices:
            if text in (str(value), str(label)) or text == lookups.zh_label(label):
                return value
        valid = "、".join(lookups.zh_label(label) for _v, label in self.model_field.flatchoices)
        raise CellError(
            _("“%(value)s” is not one of: %(valid)s.") % {"value": text, "valid": valid}
        )

    def _parse_term(self, text, lookups):
        resolver = lookups.terms(self.scheme)
        term = resolver.resolve(text)
        if term is None:
            raise CellError(
                _("“%(value)s” is not a code or name of %(scheme)s (e.g. %(hint)s).")
                % {"value": text, "scheme": self.header, "hint": resolver.choices_hint()}
            )
        return term

    def _parse_terms(self, text, lookups):
        return [self._parse_term(part, lookups) for part in split_list(text)]

    def _parse_fk(self, text, lookups):
        pk = lookups.related(self.model_field.related_model).get(text)
        if pk is None:
            raise CellError(
                _("“%(value)s” was not found among %(what)s.")
                % {"value": text, "what": self.model_field.related_model._meta.verbose_name_plural}
            )
        return pk

    # -- export -------------------------------------------------------------------------------
    def format(self, obj):
        if self.kind == "terms":
            return "，".join(t.name for t in getattr(obj, self.name).all())
        if self.kind == "term":
            term = getattr(obj, self.name)
            return term.name if term else ""
        if self.kind == "fk":
            rel = getattr(obj, self.name)
            return str(rel) if rel else ""
        value = getattr(obj, self.name)
        if self.kind == "choice":
            return obj._get_FIELD_display(self.model_field) if value else ""
        if self.kind == "bool":
            return "是" if value else "否"
        if value is None:
            return ""
        if isinstance(value, Decimal):
            return float(value) if value == value.quantize(Decimal("0.01")) else str(value)
        if isinstance(value, dt.datetime) and timezone.is_aware(value):
            # Spreadsheets hold no time zone (openpyxl refuses aware values): local wall time.
            return timezone.localtime(value).replace(tzinfo=None)
        return value


class Lookups:
    """Per-import caches: taxonomy resolvers and name → id maps of related models (one query each)."""

    def __init__(self):
        self._terms = {}
        self._related = {}
        self._labels = {}

    def terms(self, scheme):
        if scheme not in self._terms:
            from xiake.taxonomy.api import Resolver

            self._terms[scheme] = Resolver(scheme)
        return self._terms[scheme]

    def related(self, model) -> dict:
        if model not in self._related:
            key = "name" if any(f.name == "name" for f in model._meta.fields) else "title"
            self._related[model] = {
                normalise_text(name): pk for pk, name in model.objects.values_list("pk", key)
            }
        return self._related[model]

    def zh_label(self, label) -> str:
        from django.utils.translation import override

        if label not in self._labels:
            with override("zh-hans"):
                self._labels[label] = str(label)
        return self._labels[label]


def english_label(model_field) -> str:
    from django.utils.translation import override

    with override("en"):
        return str(model_field.verbose_name)


def column_for(resource, name: str) -> Column:
    f = resource.field(name)
    scheme = None
    if f.many_to_many:
        kind = "terms"
        scheme = (f.remote_field.limit_choices_to or {}).get("scheme__code")
    elif f.is_relation:
        if f.related_model._meta.label == "taxonomy.Term":
            kind = "term"
            scheme = (f.remote_field.limit_choices_to or {}).get("scheme__code")
        else:
            kind = "fk"
    elif f.choices:
        kind = "choice"
    elif isinstance(f, models.BooleanField):
        kind = "bool"
    elif isinstance(f, models.DecimalField):
        kind = "decimal"
    elif isinstance(f, models.IntegerField):
        kind = "int"
    elif isinstance(f, models.DateField):
        kind = "date"
    else:
        kind = "text"
    required = not f.blank and not isinstance(f, models.BooleanField)
    return Column(
        name=name,
        header=resource.header(name),
        model_field=f,
        kind=kind,
        required=required,
        scheme=scheme,
        aliases={name, english_label(f)},
    )


def columns_for(resource) -> list[Column]:
    return [column_for(resource, name) for name in resource.import_field_names]
