"""The audit log's free-text index: character unigrams and bigrams, written with each record.

The free-text filter of ``/audit/`` is a case-insensitive substring search of the actor, the object
and the comment (``icontains``). Chinese has no spaces, and two-character queries (合同, 导出) are
the common case, so word tokenisers and trigrams (which need three characters) cannot answer it.
Each record therefore carries ``search_terms``: every single character and every pair of adjacent
characters of those fields, folded to lower case, written once when the record is inserted (the
log is append-only: nothing ever rewrites it). A query's own characters and pairs must all be among
a record's terms; that narrows the log through an index to a few candidates, and the unchanged
``icontains`` filter then decides among them, so the results are exactly those of the scan:

* PostgreSQL: a GIN index over ``string_to_array(search_terms, ' ')`` (built into PostgreSQL, no
  extension), queried with ``@>``;
* SQLite: an FTS5 table (``detail=none``: membership only) over the column, kept by triggers.

Only letters and digits make terms (a pair with a space or a punctuation mark in it is skipped, on
both sides alike). A query with no letter or digit (``@``, ``--``) has no term and is served by the
scan. Terms are ASCII (a non-ASCII character is written as its hexadecimal code point) so that no
tokeniser or collation can split or merge them.

Installed by migration ``core.0005_audit_log_text_index``. On SQLite a migration that rebuilds
``core_changerecord`` drops the triggers (as it drops ``auditdb``'s): it must call ``install`` again
(``tests/core/test_audit_text_search.py`` checks they are there).
"""

import functools
import json

from django.db import connections
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL

from xiake.core.vendorsql import VendorSQL

TABLE = "core_changerecord"
FTS_TABLE = "core_changerecord_text"
PG_INDEX = "core_change_text_gin_idx"
SEARCHED_FIELDS = ("actor_name", "object_repr", "comment")
# A query whose terms are in more records than this is served by the scan (``common``).
COMMON = 5000

POSTGRESQL_INSTALL = [
    f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON {TABLE} USING gin (string_to_array(search_terms, ' '))",
]
POSTGRESQL_REMOVE = [f"DROP INDEX IF EXISTS {PG_INDEX}"]

SQLITE_TRIGGERS = ("core_changerecord_text_insert", "core_changerecord_text_delete")
SQLITE_INSTALL = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(search_terms,"
    f" content='{TABLE}', content_rowid='id', detail=none)",
    f"DROP TRIGGER IF EXISTS {SQLITE_TRIGGERS[0]}",
    f"""
CREATE TRIGGER {SQLITE_TRIGGERS[0]} AFTER INSERT ON {TABLE}
BEGIN
    INSERT INTO {FTS_TABLE}(rowid, search_terms) VALUES (new.id, new.search_terms);
END
""",
    f"DROP TRIGGER IF EXISTS {SQLITE_TRIGGERS[1]}",
    f"""
CREATE TRIGGER {SQLITE_TRIGGERS[1]} AFTER DELETE ON {TABLE}
BEGIN
    INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_terms)
        VALUES ('delete', old.id, old.search_terms);
END
""",
    # the index from the stored terms (the records already there when it is installed)
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",
]
SQLITE_REMOVE = [
    *(f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS),
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
]


def _fold(char: str) -> str:
    """One character's case-free form, always one character (so pairs stay pairs).

    Upper then lower case joins what SQL's UPPER() joins (``ſ`` and ``s``); characters whose case
    mapping is more than one character (``ß`` → ``SS``) keep their lower case or themselves.
    """
    upper = char.upper()
    if len(upper) == 1 and len(upper.lower()) == 1:
        return upper.lower()
    lower = char.lower()
    return lower if len(lower) == 1 else char


@functools.cache
def _term_char(char: str) -> str:
    """A character as it is in terms ("" for one that makes none); cached, the alphabet is small."""
    folded = _fold(char)
    if not folded.isalnum():
        return ""
    return folded if folded.isascii() else f"{ord(folded):04x}"


def _coded(text: str) -> list[str]:
    return [_term_char(char) for char in text or ""]


def terms_of(*texts: str) -> str:
    """The stored terms of a record's searched texts: each character and each adjacent pair."""
    terms = set()
    for text in texts:
        chars = _coded(text)
        terms.update(chars)
        terms.update(a + b for a, b in zip(chars, chars[1:], strict=False) if a and b)
    terms.discard("")
    return " ".join(sorted(terms))


def query_terms(text: str) -> list[str]:
    """The terms every record containing ``text`` has: its pairs, and each character that is in
    no pair (one between spaces or punctuation)."""
    chars = ["", *_coded(text), ""]
    terms = {a + b for a, b in zip(chars, chars[1:], strict=False) if a and b}
    terms.update(
        char
        for before, char, after in zip(chars, chars[1:], chars[2:], strict=False)
        if char and not before and not after
    )
    return sorted(terms)


def unindexed(text: str) -> Q:
    """The free-text filter itself (and, alone, the scan it was before the index)."""
    return Q(*(Q(**{f"{name}__icontains": text}) for name in SEARCHED_FIELDS), _connector=Q.OR)


def candidates(vendor: str, terms: list[str]) -> RawSQL | None:
    """A condition on ``core_changerecord`` rows holding all ``terms``, answered by the index."""
    if not terms:
        return None
    if vendor == "postgresql":
        return RawSQL(
            f"string_to_array({TABLE}.search_terms, ' ') @> %s::text[]",
            (terms,),
            output_field=BooleanField(),
        )
    if vendor == "sqlite":
        return RawSQL(
            f"{TABLE}.id IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s)",
            (_fts_query(terms),),
            output_field=BooleanField(),
        )
    return None  # another engine: the scan (docs/operations.md)


def search(queryset, text: str):
    """``queryset`` narrowed to the records whose actor, object or comment contains ``text``."""
    connection = connections[queryset.db]
    terms = query_terms(text)
    condition = candidates(connection.vendor, terms)
    if condition is not None and not common(connection, terms):
        queryset = queryset.filter(condition)
    return queryset.filter(unindexed(text))


def common(connection, terms: list[str]) -> bool:
    """Whether more than ``COMMON`` records hold all ``terms``.

    Such a query is served by the scan: its newest page is among the newest records, which the
    time-ordered scan reaches in a few milliseconds, while the index would collect every match
    (tens of thousands) before sorting them. SQLite reads the index lazily and stops at
    ``COMMON`` matches; PostgreSQL estimates.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                f"SELECT 1 FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s LIMIT 1 OFFSET %s",
                [_fts_query(terms), COMMON],
            )
            return cursor.fetchone() is not None
        if connection.vendor == "postgresql":
            # the planner's estimate from the index's statistics (ANALYZE, kept by autovacuum):
            # counting matches cost as much as the scan it would spare (measured: 0.7 s)
            cursor.execute(
                "EXPLAIN (FORMAT JSON) SELECT 1 FROM"
                f" {TABLE} WHERE string_to_array(search_terms, ' ') @> %s::text[]",
                [terms],
            )
            plan = cursor.fetchone()[0]
            if isinstance(plan, str):
                plan = json.loads(plan)
            return plan[0]["Plan"]["Plan Rows"] > COMMON
        return False


def _fts_query(terms: list[str]) -> str:
    return " ".join(f'"{term}"' for term in terms)


# another engine: the unindexed scan (``search`` falls back to it)
OBJECTS = VendorSQL(
    install_sql={"postgresql": POSTGRESQL_INSTALL, "sqlite": SQLITE_INSTALL},
    remove_sql={"postgresql": POSTGRESQL_REMOVE, "sqlite": SQLITE_REMOVE},
)
install = OBJECTS.install
remove = OBJECTS.remove


def installed(connection) -> bool:
    """Whether the index (and on SQLite the triggers that keep it) is in place."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT count(*) FROM pg_indexes WHERE indexname = %s", [PG_INDEX])
            return cursor.fetchone()[0] == 1
        if connection.vendor == "sqlite":
            names = (FTS_TABLE, *SQLITE_TRIGGERS)
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE name IN (%s, %s, %s)", list(names)
            )
            return cursor.fetchone()[0] == len(names)
    return False
