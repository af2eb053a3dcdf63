"""Fault points for the fault tests (tests/ops/test_faults.py), nothing else.

The tests put this directory first on ``PYTHONPATH`` of the processes they start (a command, the
task worker under scripts/serve.py, gunicorn), so Python imports it at start-up. With
``XIAKE_FAULT=<point>:<n>`` set, the n-th time the process passes ``<point>`` it writes its pid
to the file ``XIAKE_FAULT_FILE`` and waits there to be killed (SIGKILL from the test): this is how a
test reaches "the middle" of an import, an index run or a fan-out deterministically. Once the file
exists the point no longer stops anyone, so the restarted process runs through.

Points:

- ``import``: after a batch of rows has been written inside ``importer.apply``'s transaction;
- ``reindex``: after a batch of documents was added to a new index generation, before its commit;
- ``feed``: after a feed batch was committed to the index, before the node's cursor is moved;
- ``fanout``: after a batch of notifications was inserted (``XIAKE_FAULT_BATCH`` users a batch).

``XIAKE_FAULT_DUMP=1`` makes a process print every thread's stack on signal 40 (SIGRTMIN+6):
how to see where a process in a fault test hangs.
"""

import os
import sys
import time

SPEC = os.environ.get("XIAKE_FAULT", "")


def _stop_here(point: str) -> None:
    path = os.environ["XIAKE_FAULT_FILE"]
    if os.path.exists(path):
        return
    tmp = f"{path}.{os.getpid()}"
    with open(tmp, "w") as fh:
        fh.write(str(os.getpid()))
    os.replace(tmp, path)
    print(f"[fault] {point} reached in pid {os.getpid()}: waiting to be killed", file=sys.stderr)
    sys.stderr.flush()
    while True:
        time.sleep(60)


def _counting(point: str, n: int, func):
    calls = [0]

    def wrapper(*args, **kwargs):
        result = func(*args, **kwargs)
        calls[0] += 1
        if calls[0] >= n:
            _stop_here(point)
        return result

    return wrapper


def _install(point: str, n: int) -> None:
    if point == "import":
        from xiake.core import importer

        importer._log = _counting(point, n, importer._log)
    elif point == "reindex":
        from xiake.matching import lexical

        lexical._Writer.add = _counting(point, n, lexical._Writer.add)
    elif point == "feed":
        from xiake.matching import lexical

        lexical.LexicalIndex.write = _counting(point, n, lexical.LexicalIndex.write)
    elif point == "fanout":
        from django.db.models import QuerySet

        from xiake.brokerage import models

        models.NOTIFY_BATCH = int(os.environ.get("XIAKE_FAULT_BATCH", "5"))
        original = QuerySet.bulk_create
        counted = _counting(point, n, original)

        def bulk_create(self, objs, *args, **kwargs):
            if self.model is models.Notification:
                return counted(self, objs, *args, **kwargs)
            return original(self, objs, *args, **kwargs)

        QuerySet.bulk_create = bulk_create
    else:
        raise RuntimeError(f"unknown fault point {point!r}")


if os.environ.get("XIAKE_FAULT_DUMP"):
    import faulthandler

    faulthandler.register(40, all_threads=True)

if SPEC:
    import django

    _setup = django.setup

    def _setup_then_install(*args, **kwargs):
        _setup(*args, **kwargs)
        point, _, n = SPEC.partition(":")
        _install(point, int(n or 1))

    django.setup = _setup_then_install
