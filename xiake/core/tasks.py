"""Helpers for Django's task API (``django_tasks``) shared by every app that queues work."""

from __future__ import annotations

import logging

from django_tasks import TaskResultStatus

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
