"""Background tasks of the liaison app (Django's task API, ``django_tasks``).

With the default ImmediateBackend a task runs when it is enqueued (after the transaction that
queued it commits); a queue backend runs the same function in a worker. The compilation task is
idempotent: running it twice rebuilds the same files.
"""

from __future__ import annotations

from django_tasks import task


@task()
def build_compilation(job_id: int) -> dict:
    from xiake.liaison.compilation import build

    return build(job_id)
