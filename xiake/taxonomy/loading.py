"""Loading schemes: the built-in lists and full tables from JSONL files.

Every loader upserts on (scheme, code), runs inside one transaction and uses bulk queries, so the
77k-row IPC table loads in seconds and a second run changes nothing. The functions take the model
classes as arguments so the data migration can pass its historical models.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from xiake.taxonomy import builtin
from xiake.taxonomy.text import normalize

BATCH = 2000
NAME_MAX = 200
CODE_MAX = 32

# IPC uses words for its levels; everything else uses integers.
IPC_LEVELS = {
    "section": 1,
    "class": 2,
    "subclass": 3,
    "main_group": 4,
    "maingroup": 4,
    "subgroup": 5,
}


# Known defects of published source files, corrected on load (scheme, code, name) → fixes.
# The GB/T 4754-2017 table in shared/data lists class 3741 飞机制造 as a second group "374".
ERRATA = {
    ("gbt4754", "374", "飞机制造"): {"code": "3741", "level": 4, "parent": "374"},
}


class LoadError(ValueError):
    """A file cannot be loaded; the message names the file and line."""


@dataclass
class Row:
    """One term as read from a file or the built-in lists, before it is written."""

    code: str
    name: str
    parent: str = ""
    level: int | None = None
    name_en: str = ""
    note: str = ""
    sort_order: int = 0
    line: int = 0
    corrected: str = ""


@dataclass
class LoadResult:
    """Counts of one load, for the command's report."""

    scheme: str
    version: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    scheme_created: bool = False
    is_current: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged

    def __str__(self) -> str:
        current = " (current)" if self.is_current else ""
        return (
            f"{self.scheme} {self.version}{current}: {self.total} terms — "
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        )


# --- reading files ------------------------------------------------------------------------------


def open_text(path: Path):
    """Open a UTF-8 text file, transparently decompressing ``.gz``."""
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def _clean(value) -> str:
    if value is None:
        return ""
    return normalize(str(value))


def parse_line(obj: dict, scheme: str, lineno: int) -> Row:
    """Turn one JSON object in any of the supported layouts into a :class:`Row`.

    Layouts: GB/T 4754 (level/code/section/division/group/class/name/note), IPC
    (code/level/title/parent/title_full) and the generic code/name/level/parent[/name_en/note].
    """
    if not isinstance(obj, dict):
        raise ValueError("expected a JSON object")
    code = _clean(obj.get("code"))
    if not code:
        raise ValueError("missing 'code'")
    if len(code) > CODE_MAX:
        raise ValueError(f"code {code!r} is longer than {CODE_MAX} characters")
    title_full = _clean(obj.get("title_full"))
    name = _clean(obj.get("name")) or _clean(obj.get("title")) or title_full
    if not name:
        raise ValueError(f"missing 'name' (or 'title') for code {code!r}")
    note = _clean(obj.get("note"))
    if title_full and title_full != name:
        note = title_full if not note else f"{note}\n{title_full}"
    if len(name) > NAME_MAX:
        note = name if not note else f"{name}\n{note}"
        name = name[: NAME_MAX - 1] + "…"

    raw_level = obj.get("level")
    level: int | None
    if raw_level is None or raw_level == "":
        level = None
    elif isinstance(raw_level, int) and not isinstance(raw_level, bool):
        level = raw_level
    elif isinstance(raw_level, str) and raw_level.strip().isdigit():
        level = int(raw_level)
    elif isinstance(raw_level, str):
        level = IPC_LEVELS.get(raw_level.strip().lower())  # unknown words: derived from parent
    else:
        raise ValueError(f"level {raw_level!r} is not a number")
    if level is not None and not 0 <= level <= 32:
        raise ValueError(f"level {level} out of range")

    if "section" in obj and "division" in obj:  # GB/T 4754 layout: parent from the code parts
        parent = {
            2: obj.get("section"),
            3: obj.get("division"),
            4: obj.get("group"),
        }.get(level, "")
        parent = _clean(parent)
    else:
        parent = _clean(obj.get("parent"))
    row = Row(
        code=code,
        name=name,
        parent=parent,
        level=level,
        name_en=_clean(obj.get("name_en")),
        note=note,
        line=lineno,
    )
    fix = ERRATA.get((scheme, code, name))
    if fix:
        for attr, value in fix.items():
            setattr(row, attr, value)
        row.corrected = f"line {lineno}: corrected {code} {name} → {row.code} (known source error)"
    if row.parent == row.code:
        raise ValueError(f"term {row.code!r} is its own parent")
    return row


def read_rows(path: Path, scheme: str) -> list[Row]:
    """Read and validate a whole JSONL file; raise :class:`LoadError` naming the first bad line."""
    rows: list[Row] = []
    seen: dict[str, int] = {}
    try:
        fh = open_text(path)
    except OSError as exc:
        raise LoadError(f"{path}: cannot open ({exc})") from exc
    with fh:
        lineno = 0
        try:
            for lineno, raw in enumerate(fh, start=1):  # noqa: B007 - lineno used after the loop
                if not raw.strip():
                    continue
                try:
                    obj = json.loads(raw)
                    row = parse_line(obj, scheme, lineno)
                except (ValueError, TypeError) as exc:
                    raise LoadError(f"{path}, line {lineno}: {exc}") from exc
                if row.code in seen:
                    raise LoadError(
                        f"{path}, line {lineno}: code {row.code!r} repeats line {seen[row.code]}"
                    )
                seen[row.code] = lineno
                row.sort_order = len(rows) + 1
                rows.append(row)
        except (UnicodeDecodeError, EOFError, gzip.BadGzipFile) as exc:
            raise LoadError(f"{path}, line {lineno + 1}: unreadable ({exc})") from exc
    if not rows:
        raise LoadError(f"{path}: no rows")
    return rows


# --- writing ------------------------------------------------------------------------------------


def _depths(
    rows: list[Row], existing_parent_depth: dict[str, int], source: str = ""
) -> dict[str, int]:
    """Depth of each row in the file's hierarchy, so parents are always written before children."""
    by_code = {r.code: r for r in rows}
    depth: dict[str, int] = {}
    for row in rows:
        chain = []
        code = row.code
        while code in by_code and code not in depth:
            if code in chain:
                raise LoadError(f"{source}line {by_code[code].line}: parent cycle through {code!r}")
            chain.append(code)
            code = by_code[code].parent
        base = depth.get(code, existing_parent_depth.get(code, -1)) if code else -1
        for c in reversed(chain):
            base += 1
            depth[c] = base
    return depth


def upsert_terms(
    Scheme,
    Term,
    scheme,
    rows: list[Row],
    *,
    authoritative: bool = True,
    result: LoadResult,
    source: str = "",
) -> None:
    """Create or update ``rows`` in ``scheme``; never deletes.

    ``authoritative`` (file loads) updates every field and reactivates the term; the built-in
    lists restore name, parent and level but keep an existing term's note, English name (unless
    shipped), order and active flag (notes and order usually come from a full table).
    """
    existing = {t.code: t for t in Term.objects.filter(scheme=scheme)}
    known = {r.code for r in rows} | set(existing)
    reattached = []
    for row in rows:
        if row.parent and row.parent not in known:
            # Hierarchical codes whose parent row is absent (GB/T 4754 prints a one-class group
            # on the class's line; the GB/T 13745 file lacks a few 二级 rows): attach the term to
            # the nearest ancestor present, found by code prefix.
            ancestor = next(
                (
                    row.parent[:i]
                    for i in range(len(row.parent) - 1, 0, -1)
                    if row.parent[:i] in known
                ),
                None,
            )
            if ancestor is None or not row.code.startswith(row.parent):
                raise LoadError(
                    f"{source}line {row.line}: parent {row.parent!r} of {row.code!r} is unknown"
                )
            reattached.append(f"line {row.line} {row.code} → {ancestor}")
            row.parent = ancestor
    if reattached:
        result.warnings.append(
            f"{len(reattached)} terms attached to their nearest ancestor because the parent row "
            f"is missing (e.g. {', '.join(reattached[:3])})"
        )

    depth = _depths(rows, {c: (t.level or 0) for c, t in existing.items()}, source)
    rows = sorted(rows, key=lambda r: depth[r.code])  # parents before children
    levels = {c: t.level for c, t in existing.items()}
    for row in rows:
        if row.level is None:  # derive from the parent (IPC's odd 'dir' rows, generic files)
            row.level = levels.get(row.parent, 0) + 1 if row.parent else 1
        levels[row.code] = row.level

    ids = {c: t.pk for c, t in existing.items()}
    to_update = []
    update_fields = ["name", "name_en", "parent", "level", "note", "sort_order", "is_active"]
    for d in sorted(set(depth.values())):
        new = []
        for row in (r for r in rows if depth[r.code] == d):
            parent_id = ids.get(row.parent) if row.parent else None
            term = existing.get(row.code)
            if term is None:
                new.append(
                    Term(
                        scheme=scheme,
                        code=row.code,
                        name=row.name,
                        name_en=row.name_en,
                        parent_id=parent_id,
                        level=row.level,
                        note=row.note,
                        sort_order=row.sort_order,
                        is_active=True,
                    )
                )
                continue
            wanted = {
                "name": row.name,
                "name_en": row.name_en or term.name_en,
                "parent_id": parent_id,
                "level": row.level,
                "note": row.note if authoritative else (term.note or row.note),
                "sort_order": row.sort_order if authoritative else term.sort_order,
                "is_active": True if authoritative else term.is_active,
            }
            changed = False
            for attr, value in wanted.items():
                if getattr(term, attr) != value:
                    setattr(term, attr, value)
                    changed = True
            if changed:
                to_update.append(term)
            else:
                result.unchanged += 1
        if new:
            Term.objects.bulk_create(new, batch_size=BATCH)
            result.created += len(new)
            codes = [t.code for t in new]
            for i in range(0, len(codes), 900):  # stay under SQLite's variable limit
                ids.update(
                    Term.objects.filter(scheme=scheme, code__in=codes[i : i + 900]).values_list(
                        "code", "pk"
                    )
                )
    if to_update:
        Term.objects.bulk_update(to_update, update_fields, batch_size=500)
        result.updated += len(to_update)


def get_or_create_scheme(
    Scheme,
    code: str,
    version: str,
    *,
    name: str,
    source: str = "",
    effective_from: str | dt.date | None = None,
    effective_to: str | dt.date | None = None,
    result: LoadResult,
):
    """Fetch (code, version) or create it; new scheme metadata comes from the arguments."""
    scheme = Scheme.objects.filter(code=code, version=version).first()
    if scheme is None:
        scheme = Scheme.objects.create(
            code=code,
            version=version,
            name=name,
            source=source,
            effective_from=_date(effective_from),
            effective_to=_date(effective_to),
            is_current=False,
        )
        result.scheme_created = True
    return scheme


def set_current(Scheme, scheme, *, force: bool) -> None:
    """Make ``scheme`` current if ``force`` or if no version of its code is current yet."""
    others = Scheme.objects.filter(code=scheme.code, is_current=True).exclude(pk=scheme.pk)
    if force:
        others.update(is_current=False)
    elif others.exists() or scheme.is_current:
        return
    Scheme.objects.filter(pk=scheme.pk).update(is_current=True)
    scheme.is_current = True


def _date(value) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


def load_builtin(Scheme=None, Term=None, schemes: Iterable = None) -> list[LoadResult]:
    """(Re)load the lists of :mod:`xiake.taxonomy.builtin`; idempotent.

    A version declared current becomes current only when no version of its code is current yet, so
    reloading never undoes an administrator's switch to a newer version.
    """
    Scheme, Term = _models(Scheme, Term)
    results = []
    with transaction.atomic():
        pending_current = []
        for spec in schemes if schemes is not None else builtin.SCHEMES:
            result = LoadResult(spec.code, spec.version)
            scheme = get_or_create_scheme(
                Scheme,
                spec.code,
                spec.version,
                name=spec.name,
                source=spec.source,
                effective_from=spec.effective_from,
                effective_to=spec.effective_to,
                result=result,
            )
            rows = [
                Row(
                    code=t.code,
                    name=normalize(t.name),
                    parent=t.parent,
                    level=t.level,
                    name_en=t.name_en,
                    note=t.note,
                    sort_order=(i + 1) * 10,
                    line=i + 1,
                )
                for i, t in enumerate(spec.terms)
            ]
            upsert_terms(Scheme, Term, scheme, rows, authoritative=False, result=result)
            if spec.current:
                pending_current.append((scheme, result))
            results.append(result)
        for scheme, _result in pending_current:
            set_current(Scheme, scheme, force=False)
        for result in results:
            result.is_current = Scheme.objects.filter(
                code=result.scheme, version=result.version, is_current=True
            ).exists()
    return results


def load_file(
    scheme_code: str,
    path: str | Path,
    *,
    version: str | None = None,
    make_current: bool = False,
    name: str | None = None,
    Scheme=None,
    Term=None,
) -> LoadResult:
    """Load a full table from a JSONL (or .jsonl.gz) file into (scheme_code, version).

    All-or-nothing: the whole file is validated first and written in one transaction. A new
    scheme becomes current when it is the first version of its code or when ``make_current``.
    """
    Scheme, Term = _models(Scheme, Term)
    path = Path(path)
    meta = builtin.FILE_SCHEMES.get(scheme_code, {})
    if version is None:
        version = meta.get("version") or _current_version(Scheme, scheme_code)
    if not version:
        raise LoadError(f"scheme {scheme_code!r}: give --version (no default known)")
    rows = read_rows(path, scheme_code)
    result = LoadResult(scheme_code, version)
    with transaction.atomic():
        template = (
            Scheme.objects.filter(code=scheme_code).order_by("-is_current", "-version").first()
        )
        scheme = get_or_create_scheme(
            Scheme,
            scheme_code,
            version,
            name=name or meta.get("name") or (template.name if template else scheme_code),
            source=meta.get("source") or (template.source if template else "") or path.name,
            result=result,
        )
        result.warnings.extend(r.corrected for r in rows if r.corrected)
        upsert_terms(
            Scheme, Term, scheme, rows, authoritative=True, result=result, source=f"{path}, "
        )
        set_current(Scheme, scheme, force=make_current)
        result.is_current = scheme.is_current
    return result


def _current_version(Scheme, code: str) -> str | None:
    current = Scheme.objects.filter(code=code, is_current=True).first()
    return current.version if current else None


def _models(Scheme, Term):
    if Scheme is None or Term is None:
        from xiake.taxonomy.models import Scheme as S
        from xiake.taxonomy.models import Term as T

        return Scheme or S, Term or T
    return Scheme, Term


def iter_result_lines(results: Iterable[LoadResult]) -> Iterator[str]:
    for r in results:
        yield str(r)
