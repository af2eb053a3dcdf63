"""Background tasks (Django's task API, ``django_tasks``): pushes on publication and e-mails.

With the default ImmediateBackend a task runs when it is enqueued (after the publishing
transaction commits); a queue backend runs the same functions in a worker. Every task is
idempotent: notifications are unique per (user, event key), offers per (demand, target), and an
e-mail is claimed (pending → sending) before it is sent, so a task run twice sends nothing twice.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django_tasks import task

from xiake.brokerage.models import EmailStatus, Notification
from xiake.core.tasks import enqueue

logger = logging.getLogger(__name__)


def _with_index(func, obj) -> dict:
    """Run a push, waiting (``BROKERAGE_PUSH_WAIT`` seconds, default 30) while the matching index
    is being built; still unavailable: nothing is stored or sent, ``xiake push_matches`` retries."""
    from xiake.brokerage.push import IndexUnavailable

    deadline = time.monotonic() + getattr(settings, "BROKERAGE_PUSH_WAIT", 30)
    while True:
        try:
            counts = func(obj)
        except IndexUnavailable as exc:
            if time.monotonic() >= deadline:
                logger.warning("push deferred: %s", exc)
                return {"deferred": 1}
            time.sleep(0.5)
            continue
        for key in counts:
            enqueue(send_emails, key)
        return counts


@task()
def push_published_demand(demand_id: int) -> dict:
    from xiake.brokerage import push
    from xiake.catalog.models import Demand

    demand = Demand.objects.filter(pk=demand_id, status="published").first()
    if demand is None:  # unpublished again before the task ran
        return {}
    return _with_index(push.push_demand, demand)


@task()
def push_published_achievement(achievement_id: int) -> dict:
    from xiake.brokerage import push
    from xiake.catalog.models import Achievement

    achievement = Achievement.objects.filter(pk=achievement_id, status="published").first()
    if achievement is None:
        return {}
    return _with_index(push.push_achievement, achievement)


def _message(n: Notification) -> EmailMessage:
    base = getattr(settings, "SITE_URL", "").rstrip("/")
    body = "\n\n".join(p for p in (n.body, f"{base}{n.url}" if n.url else "") if p)
    return EmailMessage(
        subject=f"[霞科] {n.title}",
        body=body or n.title,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[n.user.email],
    )


@task()
def send_emails(key: str = "") -> dict:
    """Send the e-mail copy of every pending notification of ``key`` (all pending ones when
    empty); failures are recorded on the notification (``email_status`` failed,
    ``email_error``), the in-site row stays."""
    sent = failed = 0
    qs = Notification.objects.filter(email_status=EmailStatus.PENDING)
    if key:
        qs = qs.filter(key=key)
    pending = list(qs.values_list("pk", flat=True))
    if not pending:
        return {"sent": 0, "failed": 0}
    try:
        connection = get_connection()
        connection.open()
    except Exception as exc:  # the mail server is down: every pending copy stays pending
        logger.warning("mail connection failed for %s: %s", key, exc)
        return {"sent": 0, "failed": 0, "error": str(exc)[:300]}
    try:
        for pk in pending:
            claimed = Notification.objects.filter(pk=pk, email_status=EmailStatus.PENDING).update(
                email_status=EmailStatus.SENDING
            )
            if not claimed:  # another worker has it
                continue
            n = Notification.objects.select_related("user").get(pk=pk)
            try:
                msg = _message(n)
                msg.connection = connection
                msg.send()
            except Exception as exc:
                Notification.objects.filter(pk=pk).update(
                    email_status=EmailStatus.FAILED,
                    email_error=f"{type(exc).__name__}: {exc}"[:300],
                )
                failed += 1
            else:
                Notification.objects.filter(pk=pk).update(email_status=EmailStatus.SENT)
                sent += 1
    finally:
        try:
            connection.close()
        except Exception:  # noqa: BLE001 - closing a broken connection must not hide the result
            logger.warning("closing the mail connection failed", exc_info=True)
    return {"sent": sent, "failed": failed}
