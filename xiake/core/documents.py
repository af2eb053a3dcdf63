"""Documents built by a background task (``GeneratedDocument`` models): the task's body around
the app's own builder, and the download of the result.

The app's builder lays out the files; this module marks the job running, stores the files, marks
it done (or failed, with the reason the page shows), always with ``UPDATE`` statements so that a
model whose ``save()`` queues a build does not queue itself again, and so that a page polling the
job reads each step as soon as it is written.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.http import Http404
from django.utils import timezone

logger = logging.getLogger(__name__)


@dataclass
class Built:
    """What a builder made: ``files`` maps a FileField's name to (file name, content); ``fields``
    are further columns written with the final status; ``result`` is the task's return value."""

    files: dict[str, tuple[str, bytes]]
    fields: dict = field(default_factory=dict)
    result: dict = field(default_factory=dict)


def build(jobs, make: Callable) -> dict:
    """Run ``make(job, jobs) -> Built`` for the one job in the queryset ``jobs`` (``jobs.update``
    is how the builder reports progress). A failure is written to the job, not raised: the task
    itself succeeds, and the page says what went wrong."""
    job = jobs.first()
    if job is None:
        return {}
    done, failed = job.Status.DONE, job.Status.FAILED
    jobs.update(status=job.Status.RUNNING, progress=1, message="")
    try:
        built = make(job, jobs)
        for name, (file_name, data) in built.files.items():
            stored = getattr(job, name)
            if stored:
                stored.delete(save=False)
            stored.save(file_name, ContentFile(data), save=False)
        jobs.update(
            status=done,
            progress=100,
            finished_at=timezone.now(),
            **{name: getattr(job, name).name for name in built.files},
            **built.fields,
        )
    except Exception as exc:  # the page shows why; the log keeps the traceback
        logger.exception("%s %s failed", job._meta.label, job.pk)
        jobs.update(status=failed, message=str(exc)[:2000])
        return {"status": "failed"}
    return {"status": "done", **built.result}


def download(job, file_field: str, filename: str, content_type: str, comment: str):
    """The stored file of a finished job as an attachment (404 while it is not done), handed out
    through core's one audited way out (``xiake.core.downloads.file_response``)."""
    from xiake.core.downloads import file_response

    stored = getattr(job, file_field)
    if job.status != job.Status.DONE or not stored:
        raise Http404
    return file_response(stored.open("rb"), filename, content_type, obj=job, what=comment)
