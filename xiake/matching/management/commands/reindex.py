"""xiake reindex: rebuild this node's search index from the database, with a progress bar."""

import sys
import time

from django.core.management.base import BaseCommand

from xiake.matching.engine import engine
from xiake.matching.feed import KINDS


class Command(BaseCommand):
    help = "Rebuild the search index from the database (a new generation, switched atomically)."

    def handle(self, *args, **opts):
        started = time.monotonic()
        tty = sys.stderr.isatty()

        def progress(done, total):
            width = 30
            filled = int(width * done / total) if total else width
            rate = done / max(1e-6, time.monotonic() - started)
            line = f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} ({rate:.0f} docs/s)"
            self.stderr.write(("\r" + line) if tty else line, ending="" if tty else "\n")

        result = engine().rebuild(progress=progress)
        if tty:
            self.stderr.write("")
        self.stdout.write(
            f"indexed {result['documents']} documents in {result['seconds']:.1f} s "
            f"({result['documents'] / max(result['seconds'], 1e-6):.0f} docs/s): "
            + ", ".join(f"{k} {result[k]}" for k in KINDS)
        )
