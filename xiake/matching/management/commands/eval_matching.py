"""xiake eval_matching --dataset DIR [--json] [--run-file PATH] [--max-queries N]"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from xiake.matching.evaluation import evaluate


class Command(BaseCommand):
    help = "Score the ranker and a plain BM25-over-jieba baseline on a BEIR-format directory."

    def add_arguments(self, parser):
        parser.add_argument("--dataset", required=True, help="BEIR directory (corpus.jsonl …)")
        parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
        parser.add_argument("--run-file", help="write the ranker's top 100 per query (TREC run)")
        parser.add_argument("--max-queries", type=int, help="score only the first N queries")

    def handle(self, *args, **opts):
        path = Path(opts["dataset"])
        for name in ("corpus.jsonl", "queries.jsonl", "qrels/test.tsv"):
            if not (path / name).is_file():
                raise CommandError(f"{path / name} is missing: not a BEIR directory")
        result = evaluate(
            path,
            max_queries=opts["max_queries"],
            run_file=opts["run_file"],
            progress=lambda m: self.stderr.write(m),
        )
        if opts["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
            return
        self.stdout.write(
            f"{path.name}: {result['documents']} documents, {result['queries']} queries, "
            f"indexed in {result['index_seconds']} s"
        )
        names = list(next(iter(result["systems"].values())))
        self.stdout.write("system       " + "".join(f"{n:>19}" for n in names))
        for system, row in result["systems"].items():
            self.stdout.write(f"{system:<13}" + "".join(f"{row[n]:>19}" for n in names))
