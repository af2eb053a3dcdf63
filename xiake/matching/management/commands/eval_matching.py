"""xiake eval_matching --dataset DIR [--json] [--run-file PATH] [--max-queries N] [--max-docs N]
[--dense] [--encode-only] [--param NAME=VALUE …] [--variant LABEL:NAME=VALUE,… …]"""

import dataclasses
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from xiake.matching import ranker
from xiake.matching.evaluation import encode_corpus, evaluate

TUNABLE = (
    "synonym_weight",
    "gram_weight",
    "dense_weight",
    "max_df",
    "knn",
    "discipline_weight",
    "soft_vote",
    "prf_docs",
    "prf_terms",
    "prf_weight",
    "idf_power",
    "long_query_terms",
    "gram_idf_power",
    "pair_weight",
    "pair_window",
    "unordered_weight",
    "pair_in_words",
    "assoc_terms",
    "assoc_weight",
    "lead_weight",
)


def parse_params(text: str, base: ranker.Params = ranker.DEFAULT) -> ranker.Params:
    """``knn=5,discipline_weight=0.2`` → Params; a clear error names the bad setting."""
    changes = {}
    for item in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or name not in TUNABLE:
            raise CommandError(
                f"bad setting {item!r}: use NAME=VALUE with NAME one of {', '.join(TUNABLE)}"
            )
        kind = type(getattr(base, name))
        try:
            if kind is bool:
                if value.strip().lower() not in ("true", "false", "1", "0"):
                    raise ValueError(value)
                changes[name] = value.strip().lower() in ("true", "1")
                continue
            changes[name] = kind(value)
        except ValueError as exc:
            raise CommandError(f"bad value for {name}: {value!r} is not a {kind.__name__}") from exc
    return dataclasses.replace(base, **changes)


class Command(BaseCommand):
    help = "Score the ranker and a plain BM25-over-jieba baseline on a BEIR-format directory."

    def add_arguments(self, parser):
        parser.add_argument("--dataset", required=True, help="BEIR directory (corpus.jsonl …)")
        parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
        parser.add_argument("--run-file", help="write the ranker's top 100 per query (TREC run)")
        parser.add_argument("--max-queries", type=int, help="score N evenly spaced queries")
        parser.add_argument(
            "--max-docs",
            type=int,
            help="keep the first N documents and the queries whose answers remain",
        )
        parser.add_argument(
            "--dense", action="store_true", help="also score the encoder alone and the hybrid"
        )
        parser.add_argument(
            "--segmenter",
            choices=("rjieba", "jieba"),
            help="segment with this jieba (default: settings.MATCHING_SEGMENTER, else rjieba)",
        )
        parser.add_argument(
            "--param",
            action="append",
            default=[],
            help="ranker setting for the xiake system, e.g. discipline_weight=0.2 (repeatable)",
        )
        parser.add_argument(
            "--variant",
            action="append",
            default=[],
            help="extra system on the same index, LABEL:knn=5,discipline_weight=0 (repeatable)",
        )
        parser.add_argument(
            "--encode-only",
            action="store_true",
            help="only fill the vector cache with the corpus passages (slow; resumable)",
        )
        parser.add_argument(
            "--rerank",
            action="store_true",
            help="also score xiake-rerank: the site's re-ranker (settings.MATCHING_RERANKER) "
            "over the first results of xiake (of xiake-hybrid with --dense)",
        )

    def _reranker(self):
        from xiake.matching.rerankers import RerankerError, from_settings

        try:
            reranker = from_settings()
        except RerankerError as exc:
            raise CommandError(str(exc)) from exc
        if reranker is None:
            raise CommandError("no re-ranker configured (settings.MATCHING_RERANKER)")
        return reranker

    def _encoder(self):
        from xiake.matching.encoders import configured

        encoder = configured()
        if encoder is None:
            raise CommandError("no encoder configured (settings.MATCHING_ENCODER)")
        return encoder

    def handle(self, *args, **opts):
        if opts["segmenter"]:
            from django.conf import settings

            from xiake.matching.text import reset_analyzer

            settings.MATCHING_SEGMENTER = opts["segmenter"]
            reset_analyzer()
        path = Path(opts["dataset"])
        for name in ("corpus.jsonl", "queries.jsonl", "qrels/test.tsv"):
            if not (path / name).is_file():
                raise CommandError(f"{path / name} is missing: not a BEIR directory")
        if opts["encode_only"]:
            encoder = self._encoder()
            n = encode_corpus(
                path,
                encoder,
                max_docs=opts["max_docs"],
                progress=lambda d, t: self.stderr.write(f"  {d}/{t}") if d % 256 == 0 else None,
            )
            self.stdout.write(f"{n} passages cached for {encoder.name}")
            return
        params = ranker.DEFAULT
        for item in opts["param"]:
            params = parse_params(item, params)
        variants = {}
        for item in opts["variant"]:
            label, sep, settings_ = item.partition(":")
            if not sep or not label.strip():
                raise CommandError(f"bad variant {item!r}: use LABEL:NAME=VALUE,…")
            variants[label.strip()] = parse_params(settings_, params)
        result = evaluate(
            path,
            max_queries=opts["max_queries"],
            max_docs=opts["max_docs"],
            run_file=opts["run_file"],
            dense=opts["dense"],
            encoder=self._encoder() if opts["dense"] else None,
            progress=lambda m: self.stderr.write(m),
            params=params,
            variants=variants,
            reranker=self._reranker() if opts["rerank"] else None,
        )
        if opts["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
            return
        self.stdout.write(
            f"{path.name}: {result['documents']} documents, {result['queries']} queries, "
            f"indexed in {result['index_seconds']} s ({result['index_docs_per_second']} docs/s)"
        )
        names = list(next(iter(result["systems"].values())))
        self.stdout.write("system       " + "".join(f"{n:>19}" for n in names))
        for system, row in result["systems"].items():
            self.stdout.write(f"{system:<13}" + "".join(f"{row[n]:>19}" for n in names))
        inference = result.get("discipline_inference")
        if inference:
            self.stdout.write(
                f"discipline inferred for {inference['queries']} queries; "
                f"commonest-discipline baseline {inference['majority_baseline']}"
            )
            for system, row in inference.items():
                if isinstance(row, dict):
                    self.stdout.write(
                        f"  {system:<13} top-1 {row['top1']}, mean confidence "
                        f"{row['mean_confidence']}"
                    )
