"""This node's copy of the search index: where it lives, how it follows the change feed.

Layout under ``settings.MATCHING_INDEX_DIR`` (default ``VAR_DIR / "index"``)::

    lexical/CURRENT            name of the live generation, replaced atomically
    lexical/g<stamp>/          a tantivy index (one generation)
    lexical/g<stamp>.json      {"cursor": last IndexChange id applied, "built_at": …}
    dense/CURRENT, dense/g<stamp>/   usearch HNSW + keys.json (written by ``xiake encode``)
    lock                       held (fcntl) by whoever writes

A generation whose schema lacks a field the code now writes (built by an older version) is
treated as missing: searches fall back and a rebuild starts (``LexicalIndex.open`` raises
``OutdatedIndex``).

``sync()`` applies feed rows past the cursor (idempotent: delete by key, then add), then moves the
cursor, so a crash replays rather than loses. A REBUILD row, a missing or corrupt index, or
``rebuild()`` builds a fresh generation from the database and switches ``CURRENT`` to it; readers
fall back to the database while no generation can be opened.

The dense channel is optional: without a dense generation (nothing encoded yet, no encoder
installed) search is lexical-only. ``xiake encode`` encodes every record (vectors cached, so a rerun
only encodes new text) and switches ``dense/CURRENT``; ``sync()`` removes changed and deleted
records from the dense index and re-adds those whose new text is already in the vector cache —
the rest wait for the next ``xiake encode`` (never encoded inside a request).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.db.models import Max

from xiake.matching import documents
from xiake.matching.feed import KINDS
from xiake.matching.lexical import LexicalIndex, OutdatedIndex
from xiake.matching.models import IndexChange
from xiake.matching.text import analyzer

logger = logging.getLogger(__name__)

BATCH = 2000
MAX_NEW_GAPS = 1000  # more skipped ids than this at once: pruned or rolled-back bulk, not in flight


def index_dir() -> Path:
    return Path(getattr(settings, "MATCHING_INDEX_DIR", None) or settings.VAR_DIR / "index")


class Engine:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.lexical_root = self.root / "lexical"
        self._open: tuple[str, LexicalIndex] | None = None
        self.dense_root = self.root / "dense"
        self._dense: tuple[str, object] | None = None
        self._mutex = threading.Lock()
        self._rebuilding = False
        self._gaps_checked = 0.0
        self.last_error: str | None = None

    # -- generations ----------------------------------------------------------------------------
    def current_generation(self) -> str | None:
        try:
            return (self.lexical_root / "CURRENT").read_text().strip() or None
        except FileNotFoundError:
            return None

    def state(self, gen: str | None = None) -> dict:
        gen = gen or self.current_generation()
        if not gen:
            return {}
        try:
            return json.loads((self.lexical_root / f"{gen}.json").read_text())
        except (FileNotFoundError, ValueError):
            return {}

    def _write_state(self, gen: str, state: dict) -> None:
        path = self.lexical_root / f"{gen}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state))
        os.replace(tmp, path)

    def lexical(self) -> LexicalIndex | None:
        """The live index, or None when it is missing or cannot be opened (then: rebuild)."""
        gen = self.current_generation()
        if gen is None:
            self.last_error = "missing"
            return None
        cached = self._open
        if cached and cached[0] == gen:
            return cached[1]
        try:
            ix = LexicalIndex.open(self.lexical_root / gen)
        except OutdatedIndex as exc:  # built before a field was added: rebuilt like a corrupt one
            self.last_error = f"outdated: {exc}"
            logger.warning("search index %s is outdated: %s", gen, exc)
            return None
        except Exception as exc:
            self.last_error = f"corrupt: {exc}"
            logger.warning("search index %s cannot be opened: %s", gen, exc)
            return None
        self._open = (gen, ix)
        self.last_error = None
        return ix

    def invalidate(self) -> None:
        """Forget the open reader (after corruption is detected during a search)."""
        self._open = None

    @contextlib.contextmanager
    def lock(self, blocking: bool = True):
        """Exclusive writer lock across processes of this node; yields False if not acquired."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "lock", "a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    # -- writing ----------------------------------------------------------------------------------
    def rebuild(self, progress: Callable[[int, int], None] | None = None) -> dict:
        """Build a new generation from the database and make it live. Returns counts and timing."""
        with self.lock():
            return self._rebuild(progress)

    def _rebuild(self, progress=None) -> dict:
        started = time.monotonic()
        cursor = IndexChange.objects.aggregate(m=Max("id"))["m"] or 0
        gen = f"g{time.time_ns()}"
        ix = LexicalIndex.create(self.lexical_root / gen)
        total = sum(documents.queryset(k).count() for k in KINDS)
        done = 0
        counts = {}
        with ix.writer() as writer:  # one commit for the whole generation
            for kind in KINDS:
                counts[kind] = 0
                batch = []
                for obj in documents.queryset(kind).order_by("pk").iterator(chunk_size=BATCH):
                    batch.append((kind, obj))
                    if len(batch) >= BATCH:
                        writer.add(documents.to_documents(batch))
                        done += len(batch)
                        counts[kind] += len(batch)
                        batch = []
                        if progress:
                            progress(done, total)
                if batch:
                    writer.add(documents.to_documents(batch))
                    done += len(batch)
                    counts[kind] += len(batch)
                if progress:
                    progress(done, total)
        state = {
            "cursor": cursor,
            "gaps": self._recent_gaps(cursor),
            "built_at": time.time(),
            "counts": counts,
            "analyzer": analyzer().fingerprint,  # segmenter + dictionary that made the tokens
        }
        self._write_state(gen, state)
        tmp = self.lexical_root / "CURRENT.tmp"
        tmp.write_text(gen)
        os.replace(tmp, self.lexical_root / "CURRENT")
        self._open = None
        self._prune_generations(keep=gen)
        seconds = time.monotonic() - started
        return {"documents": done, "seconds": seconds, "generation": gen, **counts}

    def _prune_generations(self, keep: str) -> None:
        for path in self.lexical_root.iterdir():
            name = path.name.removesuffix(".json")
            if name.startswith("g") and name != keep:
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)

    def pending(self) -> int:
        cursor = self.state().get("cursor", 0)
        return IndexChange.objects.filter(id__gt=cursor).count()

    def latest_change(self) -> int:
        """The newest feed id. Asked before every search: one plain ``MAX(id)`` on the primary
        key, written out because building the ORM aggregate cost ten times the query itself."""
        meta, quote = IndexChange._meta, connection.ops.quote_name
        sql = f"SELECT MAX({quote(meta.pk.column)}) FROM {quote(meta.db_table)}"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchone()[0] or 0

    def sync(self, blocking: bool = True, limit: int = 5000) -> dict:
        """Apply the feed past the cursor; rebuild if the index is missing, corrupt or asked to.

        Feed ids come from a sequence when the row is inserted, not when its transaction commits:
        on PostgreSQL a slow transaction can commit id 10 after id 11 was applied. Ids skipped
        between the old and the new cursor are kept as ``gaps`` (with when they were first seen)
        and looked up again on every sync until they appear or are older than
        ``MATCHING_FEED_GAP_SECONDS`` (a rolled-back transaction leaves a gap forever).
        """
        with self.lock(blocking) as got:
            if not got:
                return {"skipped": "locked"}
            ix = self.lexical()
            if ix is None:
                return {"rebuilt": self._rebuild()}
            gen = self.current_generation()
            state = self.state(gen)
            cursor = state.get("cursor", 0)
            gaps = {int(k): v for k, v in state.get("gaps", {}).items()}
            fields = ("id", "kind", "object_id", "action")
            changes = list(
                IndexChange.objects.filter(id__gt=cursor)
                .order_by("id")
                .values_list(*fields)[:limit]
            )
            late = (
                list(IndexChange.objects.filter(id__in=list(gaps)).values_list(*fields))
                if gaps
                else []
            )
            self._gaps_checked = time.monotonic()
            new_cursor = changes[-1][0] if changes else cursor
            gaps = self._next_gaps(gaps, cursor, new_cursor, changes, late)
            if not changes and not late:
                if gaps != state.get("gaps", {}):
                    state["gaps"] = gaps
                    self._write_state(gen, state)
                return {"applied": 0}
            rows = late + changes
            if any(action == IndexChange.Action.REBUILD for _i, _k, _o, action in rows):
                return {"rebuilt": self._rebuild()}
            touched: dict[str, set] = {}
            for _id, kind, object_id, _action in rows:
                if kind in KINDS and object_id is not None:
                    touched.setdefault(kind, set()).add(object_id)
            docs, keys = [], []
            for kind, pks in touched.items():
                keys.extend(f"{kind}:{pk}" for pk in pks)
                objs = list(documents.queryset(kind).filter(pk__in=pks))
                documents.prepare(kind, objs)  # enterprises' demands: one query, not one each
                docs.extend(documents.to_document(kind, obj) for obj in objs)
            ix.write(docs, delete_keys=keys)
            self._sync_dense(touched, keys)
            state["cursor"] = new_cursor
            state["gaps"] = gaps
            self._write_state(gen, state)
            return {"applied": len(rows), "documents": len(docs), "late": len(late)}

    @staticmethod
    def _next_gaps(gaps: dict, cursor: int, new_cursor: int, changes, late) -> dict:
        """The feed ids still missing below ``new_cursor``: old gaps not found and not expired,
        plus the ids skipped by this read. Keys are strings (JSON), values first-seen times."""
        now = time.time()
        wait = getattr(settings, "MATCHING_FEED_GAP_SECONDS", 600)
        found = {row[0] for row in late}
        out = {k: v for k, v in gaps.items() if k not in found and now - v < wait}
        # A transaction still in flight holds an id just below the newest one applied; a wider
        # span (rows pruned, a flushed table whose sequence went on) is looked at only in the
        # window under ``new_cursor``, so that such an id is remembered however far the cursor
        # jumped.
        start = max(cursor + 1, new_cursor - MAX_NEW_GAPS - len(changes))
        if start < new_cursor:
            seen = {row[0] for row in changes}
            missing = [i for i in range(start, new_cursor) if i not in seen]
            out.update((i, now) for i in missing[-MAX_NEW_GAPS:])
        return {str(k): v for k, v in sorted(out.items())[-MAX_NEW_GAPS:]}

    def _recent_gaps(self, cursor: int) -> dict:
        """After a rebuild from a snapshot: ids below its cursor that are not visible yet (their
        transactions may still commit), looked for among the last 500 ids above the oldest one
        present there (older ids may simply have been pruned)."""
        recent = set(
            IndexChange.objects.filter(id__gt=max(0, cursor - 500), id__lte=cursor).values_list(
                "id", flat=True
            )
        )
        if not recent:
            return {}
        now = time.time()
        return {str(i): now for i in range(min(recent) + 1, cursor) if i not in recent}

    def refresh_on_read(self) -> None:
        """Called before a search: apply pending changes if another writer is not already at it."""
        try:
            state = self.state()
            cursor = state.get("cursor")
            recheck = state.get("gaps") and time.monotonic() - self._gaps_checked > 1.0
            if cursor is None or recheck or self.latest_change() > cursor:
                self.sync(blocking=False)
        except Exception:  # a failing refresh must not fail the search; it falls back instead
            logger.exception("index refresh failed")

    def rebuild_in_background(self) -> None:
        """Start one rebuild thread (embedded run) while searches fall back to the database."""
        if not getattr(settings, "MATCHING_BACKGROUND_REBUILD", True):
            return
        with self._mutex:
            if self._rebuilding:
                return
            self._rebuilding = True

        def run():
            from django.db import connection

            try:
                self.rebuild()
            except Exception:
                logger.exception("background rebuild failed")
            finally:
                self._rebuilding = False
                connection.close()

        threading.Thread(target=run, name="xiake-reindex", daemon=True).start()

    # -- dense channel ------------------------------------------------------------------------------
    def dense(self):
        """The live dense index, or None (nothing encoded yet / unreadable)."""
        from xiake.matching.vectors import DenseIndex

        try:
            gen = (self.dense_root / "CURRENT").read_text().strip()
        except FileNotFoundError:
            return None
        cached = self._dense
        if cached and cached[0] == gen:
            return cached[1]
        try:
            ix = DenseIndex.load(self.dense_root / gen)
        except Exception as exc:
            logger.warning("dense index %s cannot be opened: %s", gen, exc)
            return None
        self._dense = (gen, ix)
        return ix

    def build_dense(self, encoder, progress=None) -> dict:
        """Encode every record (cached vectors reused) and switch to a new dense generation."""
        from xiake.matching.vectors import DenseIndex

        started = time.monotonic()
        keys, texts, public = [], [], set()
        for kind in KINDS:
            for obj in documents.queryset(kind).order_by("pk").iterator(chunk_size=BATCH):
                key = f"{kind}:{obj.pk}"
                keys.append(key)
                texts.append(documents.passage_text(kind, obj))
                if documents.is_public(obj):
                    public.add(key)
        vectors = encoder.passages(texts, progress=progress)
        dim = vectors.shape[1] if len(keys) else (encoder.encoder.dim or 1)
        ix = DenseIndex(dim, encoder.name)
        ix.add(keys, vectors)
        ix.public = public
        with self.lock():
            gen = f"g{time.time_ns()}"
            ix.save(self.dense_root / gen)
            tmp = self.dense_root / "CURRENT.tmp"
            tmp.write_text(gen)
            os.replace(tmp, self.dense_root / "CURRENT")
            self._dense = None
            for path in self.dense_root.iterdir():
                if path.is_dir() and path.name != gen:
                    shutil.rmtree(path, ignore_errors=True)
        return {"documents": len(keys), "seconds": time.monotonic() - started, "generation": gen}

    def _sync_dense(self, touched: dict, keys: list[str]) -> None:
        try:
            ix = self.dense()
            if ix is None:
                return
            from xiake.matching.encoders import configured

            encoder = configured()
            ix.remove(keys)
            if encoder is not None and encoder.name == ix.encoder_name:
                rows = [
                    (f"{kind}:{obj.pk}", documents.passage_text(kind, obj), obj)
                    for kind, pks in touched.items()
                    for obj in documents.queryset(kind).filter(pk__in=pks)
                ]
                found = encoder.cached([t for _k, t, _o in rows])
                for i, vec in found.items():
                    key, _text, obj = rows[i]
                    ix.add([key], vec[None, :])
                    if documents.is_public(obj):
                        ix.public.add(key)
            ix.save(self.dense_root / self._dense[0])
        except Exception:  # the dense channel is an extra: never fail the lexical sync
            logger.exception("dense index sync failed")

    def _dense_query(self, q: str):
        """(dense index, query vector), or (None, None) without vectors or a matching encoder."""
        ix = self.dense()
        if ix is None or not len(ix):
            return None, None
        from xiake.matching.encoders import configured

        encoder = configured()
        if encoder is None or encoder.name != ix.encoder_name:
            return None, None
        return ix, encoder.queries([q])[0]

    def dense_similarities(self, q: str, keys) -> dict[str, float]:
        """The dense channel's cosine of ``q`` to each of ``keys`` it holds ({} without vectors)."""
        ix, vec = self._dense_query(q)
        return {} if ix is None else ix.similarities(vec, keys)

    def dense_search(self, q: str, *, kinds=(), public_only=False, limit=100):
        """(key, cosine) from the dense channel; [] when there is no dense index or encoder."""
        ix, vec = self._dense_query(q)
        if ix is None:
            return []
        kinds = set(kinds or ())

        def allowed(key):
            return (not kinds or key.split(":", 1)[0] in kinds) and (
                not public_only or key in ix.public
            )

        return ix.search(vec, limit, allowed)

    def status(self) -> dict:
        gen = self.current_generation()
        state = self.state(gen)
        ix = self.lexical()
        latest = self.latest_change()
        cursor = state.get("cursor")
        oldest_pending = None
        if cursor is not None and latest > cursor:
            first = IndexChange.objects.filter(id__gt=cursor).order_by("id").first()
            oldest_pending = first.created_at.isoformat() if first else None
        return {
            "path": str(self.lexical_root),
            "generation": gen,
            "healthy": ix is not None,
            "error": self.last_error if ix is None else None,
            "documents": ix.num_docs if ix is not None else 0,
            "built_at": state.get("built_at"),
            "analyzer": state.get("analyzer"),
            # a different segmenter or dictionary than the index was built with: `xiake reindex`
            "analyzer_changed": bool(state) and state.get("analyzer") != analyzer().fingerprint,
            "counts_at_build": state.get("counts", {}),
            "cursor": cursor,
            "latest_change": latest,
            "pending_changes": (
                IndexChange.objects.filter(id__gt=cursor).count() if cursor is not None else None
            ),
            "oldest_pending_at": oldest_pending,
            "dense_documents": len(dense) if (dense := self.dense()) is not None else 0,
            "dense_encoder": dense.encoder_name if dense is not None else None,
        }


_engines: dict[Path, Engine] = {}
_engines_lock = threading.Lock()


def engine() -> Engine:
    root = index_dir()
    with _engines_lock:
        if root not in _engines:
            _engines[root] = Engine(root)
        return _engines[root]
