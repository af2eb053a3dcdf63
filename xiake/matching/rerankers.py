"""Optional re-ranking of the first results by a cross-encoder, chosen in settings.

A cross-encoder reads the query and a record's text together and scores the pair: slower than
the index (one model call per search for the first ``top`` results), but it judges meaning the
way the bi-encoder and BM25 cannot. This machine has no such model, so the platform ships none
and the step is off by default; a site that runs one inside its intranet plugs it in here
(docs/matching.md, "Re-ranking").

``settings.MATCHING_RERANKER`` (None or absent: off):

* ``{"backend": "endpoint", "url": "http://10.0.0.6:9997/v1", "model": "bge-reranker-v2-m3",
  "api_key": "…", "timeout": 5}`` — ``POST {url}/rerank`` with ``{"model", "query",
  "documents"}``, the request that Xinference, vLLM, LocalAI, Jina and Cohere accept; the answer
  is read as ``{"results": [{"index", "relevance_score"}]}`` or, as text-embeddings-inference
  gives it, ``[{"index", "score"}]``.
* ``{"backend": "cross-encoder", "path": "/srv/models/bge-reranker-base"}`` — a
  sentence-transformers ``CrossEncoder`` from a local directory (the site installs
  sentence-transformers; nothing is downloaded).

Both take ``top`` (20: how many first results are re-scored) and ``weight`` (1.0: the re-ranker's
scores, min-max-normalised over those results, are added to their scores, on the scale where the
best result scores 1 — so a result the re-ranker likes best gains ``weight``, the one it likes
least gains 0, and results beyond ``top`` keep their place below).
"""

from __future__ import annotations

import logging
import os
from functools import cache

from xiake.matching.encoders import PASSAGE_CHARS, QUERY_CHARS, post_json

logger = logging.getLogger(__name__)


class RerankerError(RuntimeError):
    """The re-ranker could not score (the caller keeps the fused order)."""


class Reranker:
    name = "base"

    def __init__(self, top: int = 20, weight: float = 1.0):
        self.top, self.weight = int(top), float(weight)

    def scores(self, query: str, texts: list[str]) -> list[float]:  # pragma: no cover
        raise NotImplementedError


class EndpointReranker(Reranker):
    """A re-ranking endpoint inside the intranet (``POST {url}/rerank``)."""

    def __init__(self, url: str, model: str = "", api_key: str = "", timeout: float = 5.0, **kw):
        super().__init__(**kw)
        self.url = url.rstrip("/")
        if not self.url.endswith("/rerank"):
            self.url += "/rerank"
        self.model, self.api_key, self.timeout = model, api_key, timeout
        self.name = f"rerank-endpoint-{model or 'default'}"

    def scores(self, query, texts):
        body = {"model": self.model, "query": query, "documents": texts}
        try:
            payload = post_json(self.url, body, self.api_key, self.timeout)
            rows = payload["results"] if isinstance(payload, dict) else payload
            found = {int(r["index"]): float(r.get("relevance_score", r.get("score"))) for r in rows}
        except Exception as exc:
            raise RerankerError(f"re-ranking endpoint {self.url}: {exc}") from exc
        if set(found) != set(range(len(texts))):
            raise RerankerError(f"re-ranking endpoint scored {len(found)} of {len(texts)} texts")
        return [found[i] for i in range(len(texts))]


class CrossEncoderReranker(Reranker):
    """A sentence-transformers ``CrossEncoder`` from a local directory (never downloaded)."""

    def __init__(self, path: str, **kw):
        super().__init__(**kw)
        self.path = str(path)
        if not os.path.isdir(self.path):
            raise RerankerError(f"no cross-encoder model directory at {self.path}")
        self.name = "cross-encoder-" + os.path.basename(os.path.normpath(self.path))
        self._model = None

    def scores(self, query, texts):
        if self._model is None:
            from sentence_transformers import CrossEncoder

            self._model = CrossEncoder(self.path, device="cpu", local_files_only=True)
        return [float(s) for s in self._model.predict([(query, t) for t in texts])]


def build(config: dict | None) -> Reranker | None:
    """The re-ranker described by ``config`` (see module docstring); None when off."""
    if not config:
        return None
    config = dict(config)
    backend = config.pop("backend", "endpoint")
    if backend == "endpoint":
        return EndpointReranker(**config)
    if backend == "cross-encoder":
        return CrossEncoderReranker(**config)
    raise RerankerError(f"unknown re-ranker backend {backend!r}")


def from_settings() -> Reranker | None:
    """The re-ranker ``settings.MATCHING_RERANKER`` describes (raises RerankerError when it
    cannot be built: for commands, which should say so)."""
    from django.conf import settings

    return build(getattr(settings, "MATCHING_RERANKER", None))


@cache
def _configured(key: str):
    try:
        return from_settings()
    except RerankerError:  # logged once per process: searches go on with the fused order
        logger.exception("re-ranker not available; fused order kept")
        return None


def configured() -> Reranker | None:
    """The site's re-ranker for searches (None: off, or not buildable — logged)."""
    from django.conf import settings

    return _configured(repr(getattr(settings, "MATCHING_RERANKER", None)))


def rerank(reranker: Reranker | None, query: str, hits: list, text_of) -> list:
    """``hits`` — (key, score) best first, scores on the scale where the best is 1 — with the
    first ``reranker.top`` re-scored: each gains ``weight`` × its re-ranker score min-max-normalised
    over them. ``text_of(key)`` gives a record's text. Unchanged when ``reranker`` is None or
    fails (logged)."""
    if reranker is None or len(hits) < 2:
        return hits
    head, tail = hits[: reranker.top], hits[reranker.top :]
    try:
        scores = reranker.scores(
            query[:QUERY_CHARS], [(text_of(key) or "")[:PASSAGE_CHARS] for key, _s in head]
        )
    except (
        Exception
    ):  # any backend's failure (a model that cannot load, a timeout): never the search's
        logger.exception("re-ranker failed; fused order kept")
        return hits
    lo, hi = min(scores), max(scores)
    span = (hi - lo) or 1.0
    lifted = [
        (key, score + reranker.weight * (s - lo) / span)
        for (key, score), s in zip(head, scores, strict=True)
    ]
    return sorted(lifted, key=lambda kv: -kv[1]) + tail
