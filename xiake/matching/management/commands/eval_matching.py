"""xiake eval_matching --dataset DIR [--json] [--run-file PATH] [--max-queries N] [--max-docs N]
[--dense] [--encode-only]"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from xiake.matching.evaluation import encode_corpus, evaluate


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
            "--encode-only",
            action="store_true",
            help="only fill the vector cache with the corpus passages (slow; resumable)",
        )

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
        result = evaluate(
            path,
            max_queries=opts["max_queries"],
            max_docs=opts["max_docs"],
            run_file=opts["run_file"],
            dense=opts["dense"],
            encoder=self._encoder() if opts["dense"] else None,
            progress=lambda m: self.stderr.write(m),
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
