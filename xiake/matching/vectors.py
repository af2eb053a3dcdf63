"""Persistent vector cache and the HNSW index of the dense channel.

* :class:`VectorCache` — SQLite file ``VAR_DIR/vectors/cache.sqlite3`` keyed by
  ``sha256(encoder name, role, text)``: re-encoding, reindexing and re-running the evaluation cost
  nothing for text that was encoded before, whatever the encoder (names keep spaces apart).
* :class:`CachedEncoder` — an encoder that looks vectors up before encoding the missing ones, and
  writes them back batch by batch (an interrupted bulk run keeps what it did).
* :class:`DenseIndex` — usearch HNSW (cosine, f16) with a key ↔ label map, saved as two files.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

BATCH = 16


def cache_path() -> Path:
    from django.conf import settings

    return Path(
        getattr(settings, "MATCHING_VECTOR_CACHE", None)
        or settings.VAR_DIR / "vectors" / "cache.sqlite3"
    )


def text_key(encoder_name: str, role: str, text: str) -> str:
    return hashlib.sha256(f"{encoder_name}\x1f{role}\x1f{text}".encode()).hexdigest()[:40]


class VectorCache:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._conn() as c:
            c.execute("CREATE TABLE IF NOT EXISTS vec (k TEXT PRIMARY KEY, v BLOB NOT NULL)")

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    def get_many(self, keys: list[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        conn = self._conn()
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for k, v in conn.execute(f"SELECT k, v FROM vec WHERE k IN ({marks})", chunk):
                out[k] = np.frombuffer(v, dtype=np.float32)
        return out

    def put_many(self, items: list[tuple[str, np.ndarray]]) -> None:
        conn = self._conn()
        with conn:
            conn.executemany(
                "INSERT OR REPLACE INTO vec (k, v) VALUES (?, ?)",
                [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items],
            )

    def count(self) -> int:
        return self._conn().execute("SELECT COUNT(*) FROM vec").fetchone()[0]


class CachedEncoder:
    """Wraps an encoder with the vector cache; same ``queries`` / ``passages`` interface."""

    def __init__(self, encoder, cache: VectorCache | None = None):
        self.encoder = encoder
        self._cache = cache

    @property
    def name(self) -> str:
        return self.encoder.name

    @property
    def cache(self) -> VectorCache:
        if self._cache is None:
            self._cache = VectorCache(cache_path())
        return self._cache

    def _get(self, texts, role, progress: Callable[[int, int], None] | None = None):
        from xiake.matching.encoders import PASSAGE_CHARS, QUERY_CHARS

        cap = QUERY_CHARS if role == "query" else PASSAGE_CHARS
        texts = [(t or "")[:cap] for t in texts]
        keys = [text_key(self.name, role, t) for t in texts]
        found = self.cache.get_many(list(dict.fromkeys(keys)))
        missing = list(dict.fromkeys(k for k in keys if k not in found))
        by_key = dict(zip(keys, texts, strict=True))
        encode = self.encoder.queries if role == "query" else self.encoder.passages
        done = len(keys) - len(missing)
        for i in range(0, len(missing), BATCH):
            chunk = missing[i : i + BATCH]
            vecs = encode([by_key[k] for k in chunk])
            items = list(zip(chunk, vecs, strict=True))
            self.cache.put_many(items)
            found.update(items)
            done += len(chunk)
            if progress:
                progress(min(done, len(keys)), len(keys))
        if not keys:
            return np.zeros((0, self.encoder.dim), dtype=np.float32)
        return np.vstack([found[k] for k in keys]).astype(np.float32)

    def queries(self, texts, progress=None) -> np.ndarray:
        return self._get(list(texts), "query", progress)

    def passages(self, texts, progress=None) -> np.ndarray:
        return self._get(list(texts), "passage", progress)

    def cached(self, texts, role="passage") -> dict[int, np.ndarray]:
        """Positions of ``texts`` whose vectors are already cached (never encodes)."""
        from xiake.matching.encoders import PASSAGE_CHARS, QUERY_CHARS

        cap = QUERY_CHARS if role == "query" else PASSAGE_CHARS
        keys = [text_key(self.name, role, (t or "")[:cap]) for t in texts]
        found = self.cache.get_many(list(dict.fromkeys(keys)))
        return {i: found[k] for i, k in enumerate(keys) if k in found}


class DenseIndex:
    """usearch HNSW over L2-normalised vectors (cosine), labels 0..n-1 mapped to string keys."""

    def __init__(self, dim: int, encoder_name: str, path: Path | None = None):
        from usearch.index import Index

        self.dim, self.encoder_name = dim, encoder_name
        self.path = Path(path) if path else None
        self.index = Index(ndim=dim, metric="cos", dtype="f16", connectivity=16)
        self.keys: list[str] = []
        self.label: dict[str, int] = {}
        self.public: set[str] = set()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.index)

    def add(self, keys: list[str], vectors: np.ndarray) -> None:
        if not keys:
            return
        with self._lock:
            old = [self.label[k] for k in keys if k in self.label]
            for label in old:
                self.index.remove(label)
            self.public.difference_update(keys)
            labels = np.arange(len(self.keys), len(self.keys) + len(keys), dtype=np.uint64)
            for k, label in zip(keys, labels, strict=True):
                self.label[k] = int(label)
            self.keys.extend(keys)
            self.index.add(labels, np.asarray(vectors, dtype=np.float32), threads=1)

    def remove(self, keys) -> None:
        with self._lock:
            for k in keys:
                self.public.discard(k)
                label = self.label.pop(k, None)
                if label is not None:
                    self.index.remove(label)

    def search(self, vector: np.ndarray, limit: int = 100, allowed=None) -> list[tuple[str, float]]:
        """(key, cosine similarity) best first; ``allowed(key)`` filters (over-fetching 4×)."""
        if len(self.index) == 0:
            return []
        want = limit * 4 if allowed else limit
        matches = self.index.search(np.asarray(vector, dtype=np.float32), min(want, len(self)))
        out = []
        for label, dist in zip(matches.keys, matches.distances, strict=True):
            key = self.keys[int(label)]
            if self.label.get(key) != int(label) or (allowed and not allowed(key)):
                continue
            out.append((key, 1.0 - float(dist)))
            if len(out) >= limit:
                break
        return out

    def similarities(self, vector: np.ndarray, keys) -> dict[str, float]:
        """Cosine similarity of ``vector`` to each of ``keys`` that the index holds (exact, from
        the stored vectors: also for records a search would not reach)."""
        q = np.asarray(vector, dtype=np.float32)
        q = q / (np.linalg.norm(q) or 1.0)
        out = {}
        for key in keys:
            label = self.label.get(key)
            if label is None:
                continue
            v = np.asarray(self.index.get(label), dtype=np.float32).reshape(-1)
            out[key] = float(q @ v / (np.linalg.norm(v) or 1.0))
        return out

    def save(self, path: Path | None = None) -> None:
        path = Path(path or self.path)
        path.mkdir(parents=True, exist_ok=True)
        self.index.save(str(path / "hnsw.usearch"))
        meta = {
            "dim": self.dim,
            "encoder": self.encoder_name,
            "keys": self.keys,
            "public": sorted(self.public),
        }
        tmp = path / "keys.json.tmp"
        tmp.write_text(json.dumps(meta, ensure_ascii=False))
        os.replace(tmp, path / "keys.json")

    @classmethod
    def load(cls, path: Path) -> DenseIndex:
        path = Path(path)
        meta = json.loads((path / "keys.json").read_text())
        ix = cls(meta["dim"], meta["encoder"], path)
        ix.index.load(str(path / "hnsw.usearch"))
        ix.keys = meta["keys"]
        ix.public = set(meta.get("public", ()))
        live = set(int(k) for k in ix.index.keys) if len(ix.index) else set()
        ix.label = {k: i for i, k in enumerate(ix.keys) if i in live}
        return ix
