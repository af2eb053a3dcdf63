"""Background tasks of the liaison app (Django's task API, ``django_tasks``).

With the default ImmediateBackend a task runs when it is enqueued (after the transaction that
queued it commits); a queue backend runs the same function in a worker. The compilation task is
idempotent: running it twice rebuilds the same files.
"""

from __future__ import annotations

import logging

from django_tasks import TaskResultStatus, task

logger = logging.getLogger(__name__)


def enqueue(task_, *args):
    """Enqueue and log a failure the immediate backend would otherwise keep to itself."""
    result = task_.enqueue(*args)
    if result.status == TaskResultStatus.FAILED:
        logger.error(
            "task %s%r failed: %s",
            task_.name,
            args,
            result.errors[-1].traceback if result.errors else "",
        )
    return result


@task()
def build_compilation(job_id: int) -> dict:
    from xiake.liaison.compilation import build

    return build(job_id)
