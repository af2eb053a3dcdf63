"""Spreadsheet import that a bureau can trust.

1. ``read_table`` checks the upload (type, size, macros, zip bombs) and yields rows.
2. ``validate`` parses every row against the resource's columns and the natural key, collecting
   errors as (row, column, value, reason) without writing anything.
3. ``apply`` writes all rows in one transaction, or, only when asked, the valid rows alone.
Rows whose natural key already exists update that record, so importing a file twice creates nothing new.
"""

import csv
import io
from dataclasses import dataclass, field
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from xiake.core.columns import CellError, Lookups, columns_for, normalise_text
from xiake.core.context import acting_as
from xiake.core.crypto import blind_index, unique_blind_indexes, update_values
from xiake.core.identity import IdNumberField, mask_id_number, row_checked_fields
from xiake.core.models import ChangeAction, ChangeRecord
from xiake.core.review import ReviewStatus
from xiake.core.roles import is_bureau
from xiake.core.uploads import IMPORT_TYPES, UploadRejected, scan_bytes

MAX_ROWS = 200_000
BATCH = 1000


class ImportRejected(ValueError):
    """The file as a whole cannot be read (wrong type, too big, macros, no header)."""


@dataclass
class RowError:
    row: int
    column: str
    value: str
    message: str

    def as_dict(self):
        return {
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "message": self.message,
        }


@dataclass
class ParsedRow:
    number: int
    values: dict
    many: dict
    key: tuple
    existing_pk: int | None = None


@dataclass
class Validation:
    total: int = 0
    rows: list[ParsedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def error_rows(self) -> set[int]:
        return {e.row for e in self.errors}

    @property
    def valid_rows(self) -> list[ParsedRow]:
        bad = self.error_rows
        return [r for r in self.rows if r.number not in bad]

    @property
    def ok(self) -> bool:
        return not self.errors


def check_upload(name: str, data: bytes) -> str:
    """Refuse what must not be parsed (the upload rules of xiake/core/uploads.py, which also keep a
    zip bomb away from openpyxl); returns the suffix."""
    suffix = PurePath(name or "").suffix.lower()
    if suffix not in IMPORT_TYPES:
        raise ImportRejected(
            _(
                "Only .xlsx and .csv files can be imported (macro-enabled workbooks "
                "such as .xlsm are refused)."
            )
        )
    try:
        scan_bytes(name, data, IMPORT_TYPES)
    except UploadRejected as exc:
        raise ImportRejected(str(exc)) from None
    return suffix


def read_table(name: str, data: bytes):
    """Header row and data rows (as lists) of the first sheet or of the CSV file."""
    suffix = check_upload(name, data)
    if suffix == ".csv":
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ImportRejected(_("The CSV file is neither UTF-8 nor GB18030 encoded."))
        try:
            # newline="": csv handles \r, \n and \r\n itself, also inside quoted cells
            rows = list(csv.reader(io.StringIO(text, newline="")))
        except csv.Error as exc:  # e.g. a stray carriage return or NUL in an unquoted cell
            raise ImportRejected(_("The CSV file cannot be read: %(err)s") % {"err": exc}) from None
    else:
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds on damaged files
            raise ImportRejected(_("The workbook cannot be read: %(err)s") % {"err": exc}) from None
        ws = wb.worksheets[0]
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        wb.close()
    if not rows:
        raise ImportRejected(_("The file is empty."))
    if len(rows) > MAX_ROWS + 1:
        raise ImportRejected(_("At most %(n)d rows per file.") % {"n": MAX_ROWS})
    return rows[0], rows[1:]


def _match_headers(header, columns):
    """Map column index → Column; unknown and missing headers are errors on row 1."""
    by_alias = {}
    for col in columns:
        for alias in {col.header, *col.aliases}:
            by_alias[normalise_text(alias).lower()] = col
    mapping, errors, seen = {}, [], set()
    for idx, cell in enumerate(header):
        text = normalise_text(cell).lstrip("*").strip().lower()
        if not text:
            continue
        col = by_alias.get(text)
        if col is None:
            errors.append(RowError(1, normalise_text(cell), "", _("Unknown column.")))
        elif col.name in seen:
            errors.append(RowError(1, col.header, "", _("The column appears twice.")))
        else:
            seen.add(col.name)
            mapping[idx] = col
    return mapping, errors, seen


def _shown(model_field, cell) -> str:
    """The cell as the error report repeats it: identity numbers masked (the report is stored
    and downloaded; the row number finds the cell)."""
    text = normalise_text(cell)[:100]
    return mask_id_number(text) if isinstance(model_field, IdNumberField) else text


def validate(resource, user, header, rows) -> Validation:
    columns = columns_for(resource)
    checked = row_checked_fields(resource.model)
    result = Validation(total=len(rows))
    mapping, header_errors, present = _match_headers(header, columns)
    result.errors.extend(header_errors)
    owner = resource.owner_field
    bureau = is_bureau(user)
    for col in columns:
        if col.required and col.name not in present and not (col.name == owner and not bureau):
            result.errors.append(RowError(1, col.header, "", _("Required column is missing.")))
    if result.errors:
        return result

    lookups = Lookups()
    key_fields = resource.natural_key
    seen_keys: dict[tuple, int] = {}
    for offset, raw in enumerate(rows):
        number = offset + 2
        if all(normalise_text(v) == "" for v in raw):
            result.total -= 1
            continue
        values, many, row_errors = {}, {}, []
        for idx, col in mapping.items():
            cell = raw[idx] if idx < len(raw) else None
            if col.name == owner and not bureau and normalise_text(cell) == "":
                continue  # members import for their own organisation (filled in below)
            try:
                value = col.parse(cell, lookups)
            except CellError as exc:
                row_errors.append(
                    RowError(number, col.header, _shown(col.model_field, cell), str(exc))
                )
                continue
            if col.kind == "terms":
                many[col.name] = value
            elif col.kind == "fk":
                values[f"{col.name}_id"] = value
            else:
                values[col.name] = value
        if owner and not bureau:
            own = user.organization_id
            given = values.get(f"{owner}_id")
            if given not in (None, own):
                row_errors.append(
                    RowError(
                        number,
                        resource.header(owner),
                        "",
                        _("You may import only your own organisation's records."),
                    )
                )
            values[f"{owner}_id"] = own
        bad = {e.column for e in row_errors}
        for f in checked:  # values checked against others of the row (a number and its type)
            depends = getattr(f, "type_field", "")
            if values.get(f.name) and not (depends and resource.header(depends) in bad):
                try:
                    f.clean_row(values)
                except ValidationError as exc:
                    shown = _shown(f, values[f.name])
                    row_errors.append(
                        RowError(number, resource.header(f.name), shown, "；".join(exc.messages))
                    )
        key = tuple(values.get(f"{k}_id", values.get(k)) for k in key_fields)
        if key_fields and not row_errors:
            first = seen_keys.get(key)
            if first is not None:
                row_errors.append(
                    RowError(
                        number,
                        "、".join(resource.header(k) for k in key_fields),
                        "",
                        _("Duplicate of row %(row)d in this file.") % {"row": first},
                    )
                )
            else:
                seen_keys[key] = number
        result.errors.extend(row_errors)
        result.rows.append(ParsedRow(number, values, many, key))
    _match_existing(resource, user, result)
    _check_unique_indexes(resource, result)
    return result


def _check_unique_indexes(resource, result: Validation):
    """Equal encrypted values (by blind index) in two rows of the file, or in a row and another
    stored record, are errors of the later row."""
    model = resource.model
    for index in unique_blind_indexes(model):
        source = model._meta.get_field(index.source)
        header = (
            resource.header(index.source) if index.source in resource.import_field_names else None
        )
        if header is None:
            continue
        by_value: dict[str, ParsedRow] = {}
        bad = result.error_rows
        for row in result.rows:
            value = row.values.get(index.source)
            if not value or row.number in bad:
                continue
            digest = blind_index(value, index.normaliser)
            first = by_value.get(digest)
            if first is not None:
                message = _("The same %(field)s as row %(row)d.") % {
                    "field": source.verbose_name,
                    "row": first.number,
                }
                result.errors.append(RowError(row.number, header, _shown(source, value), message))
            else:
                by_value[digest] = row
        if not by_value:
            continue
        taken = model._base_manager.filter(**{f"{index.name}__in": list(by_value)})
        for pk, digest in taken.values_list("pk", index.name):
            row = by_value[digest]
            if row.existing_pk != pk:
                message = _("Another record already has this %(field)s.") % {
                    "field": source.verbose_name
                }
                shown = _shown(source, row.values[index.source])
                result.errors.append(RowError(row.number, header, shown, message))


def _match_existing(resource, user, result: Validation):
    """Attach the ids of records that already exist (natural key) and check they may be changed."""
    key_fields = resource.natural_key
    if not key_fields or not result.rows:
        return
    attnames = [resource.field(k).attname for k in key_fields]
    first_values = {r.key[0] for r in result.rows}
    existing = {}
    qs = resource.model.objects.filter(**{f"{attnames[0]}__in": list(first_values)})
    for pk, *vals in qs.values_list("pk", *attnames).iterator():
        existing[tuple(normalise_text(v) if isinstance(v, str) else v for v in vals)] = pk
    changeable = None
    for row in result.rows:
        norm = tuple(normalise_text(v) if isinstance(v, str) else v for v in row.key)
        pk = existing.get(norm)
        if pk is None:
            continue
        if changeable is None:
            changeable = set(
                resource.model.objects.restrict(user, "change")
                .filter(pk__in=list(existing.values()))
                .values_list("pk", flat=True)
            )
        if pk not in changeable:
            result.errors.append(
                RowError(
                    row.number,
                    "、".join(resource.header(k) for k in key_fields),
                    "",
                    _(
                        "The record exists and belongs to another "
                        "organisation; you may not change it."
                    ),
                )
            )
        row.existing_pk = pk


# Sent inside apply()'s transaction with ``resource`` and ``pks`` (created and updated rows), because
# bulk writes bypass post_save; the matching app records the change for its search index.
records_imported = Signal()


@dataclass
class RowNotice:
    """Something worth a look in a valid row that does not stop the import (a likely duplicate)."""

    row: int
    message: str
    url: str = ""


# Other apps flag rows at the check step without core knowing them (matching: likely duplicates
# of existing records): functions ``(resource, user, rows: list[ParsedRow]) -> list[RowNotice]``.
row_notice_providers: list = []


def notices(resource, user, validation: Validation) -> list[RowNotice]:
    """What the providers flag among the valid rows, by row number."""
    rows = validation.valid_rows
    found = [n for provider in row_notice_providers for n in provider(resource, user, rows)]
    return sorted(found, key=lambda n: n.row)


def apply(resource, user, validation: Validation, valid_only=False, publish=False) -> dict:
    """Write the rows in one transaction; refuse when there are errors unless ``valid_only``."""
    if validation.errors and not valid_only:
        raise ImportRejected(_("The file has errors; nothing was imported."))
    rows = validation.valid_rows
    model = resource.model
    status = ReviewStatus.PUBLISHED if (publish and is_bureau(user)) else ReviewStatus.DRAFT
    created = updated = unchanged = 0
    with acting_as(user), transaction.atomic():
        to_create = [r for r in rows if r.existing_pk is None]
        to_update = [r for r in rows if r.existing_pk is not None]
        for start in range(0, len(to_create), BATCH):
            chunk = to_create[start : start + BATCH]
            objs = []
            for r in chunk:
                obj = model(**r.values)
                if resource.is_reviewed:
                    obj.status = status
                obj.created_by = user if user.is_authenticated else None
                objs.append(obj)
            model.objects.bulk_create(objs)
            _set_many(resource, list(zip(objs, chunk, strict=True)), replace=False)
            _log(objs, ChangeAction.IMPORT, None)
            records_imported.send(apply, resource=resource, pks=[o.pk for o in objs])
            created += len(objs)
        for start in range(0, len(to_update), BATCH):
            chunk = to_update[start : start + BATCH]
            changed = _update_changed(resource, chunk)
            if changed:
                records_imported.send(apply, resource=resource, pks=changed)
            updated += len(changed)
            unchanged += len(chunk) - len(changed)
    return {"created": created, "updated": updated, "unchanged": unchanged}


def _differs(obj, name, value) -> bool:
    if isinstance(value, models.Model):
        return getattr(obj, f"{name}_id") != value.pk
    return getattr(obj, name) != value


def _update_changed(resource, chunk) -> list[int]:
    """Write only what a row changes; an identical re-import writes nothing and logs nothing."""
    model = resource.model
    current = model.objects.in_bulk([r.existing_pk for r in chunk])
    names = {name for r in chunk for name in r.many}
    links = {name: _links(resource, name, current) for name in names}
    now = timezone.now()
    changed_pks = []
    for r in chunk:
        obj = current[r.existing_pk]
        diff = {name: value for name, value in r.values.items() if _differs(obj, name, value)}
        many = {
            name: terms
            for name, terms in r.many.items()
            if {t.pk for t in terms} != links[name].get(obj.pk, set())
        }
        if not diff and not many:
            continue
        before = obj.snapshot()
        for name, value in diff.items():
            setattr(obj, name, value)
        obj.updated_at = now
        if diff:
            # with the values derived from them (blind indexes, sealed amounts), as save would
            model.objects.filter(pk=obj.pk).update(updated_at=now, **update_values(obj, diff))
        if many:
            _set_many(resource, [(obj, ParsedRow(r.number, {}, many, r.key))], replace=True)
        _log([obj], ChangeAction.IMPORT, {obj.pk: before})
        changed_pks.append(obj.pk)
    return changed_pks


def _links(resource, name, objects) -> dict[int, set]:
    """Current many-to-many links of ``objects`` for field ``name``: {pk: {related pk}}."""
    through = resource.field(name).remote_field.through
    src = f"{resource.model._meta.model_name}_id"
    dst = [f.attname for f in through._meta.fields if f.attname not in ("id", src)][0]
    result: dict[int, set] = {}
    rows = through.objects.filter(**{f"{src}__in": list(objects)}).values_list(src, dst)
    for pk, other in rows:
        result.setdefault(pk, set()).add(other)
    return result


def _set_many(resource, pairs, replace: bool):
    names = {name for _obj, row in pairs for name in row.many}
    for name in names:
        through = resource.field(name).remote_field.through
        src = f"{resource.model._meta.model_name}_id"
        dst = [f.attname for f in through._meta.fields if f.attname not in ("id", src)][0]
        if replace:
            through.objects.filter(**{f"{src}__in": [o.pk for o, _r in pairs]}).delete()
        links = []
        for obj, row in pairs:
            for term in dict.fromkeys(row.many.get(name, [])):
                links.append(through(**{src: obj.pk, dst: term.pk}))
        through.objects.bulk_create(links, ignore_conflicts=True)


def _log(objs, action, befores):
    from xiake.core.changelog import build_record

    records = [
        build_record(obj, action, before=(befores or {}).get(obj.pk), after=obj.snapshot())
        for obj in objs
    ]
    ChangeRecord.objects.bulk_create(records, batch_size=BATCH)


def error_report(errors: list[dict]) -> bytes:
    """The downloadable error report: one line per problem with row, column, value and reason."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("错误报告")
    ws.append(["行号", "列", "值", "原因"])
    for e in errors:
        ws.append([e["row"], e["column"], e["value"], e["message"]])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
