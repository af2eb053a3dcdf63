"""Receivers that start the pushes when a demand or an achievement becomes published.

Core's review workflow knows nothing about brokerage: these receivers watch the saves of
``catalog.Demand`` and ``catalog.Achievement`` and react to a status change *to* published of an
existing record (the review transition, page or API). Records created already published (imports
with "publish", the demo) are not pushed. The task is enqueued when the transaction commits.
"""

from __future__ import annotations

from django.db.models.signals import post_save, pre_save

from xiake.core.review import ReviewStatus

PUBLISHED = ReviewStatus.PUBLISHED


def _remember_status(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None or instance.status != PUBLISHED:
        instance._brokerage_was = None
        return
    instance._brokerage_was = (
        sender._base_manager.filter(pk=instance.pk).values_list("status", flat=True).first()
    )


def _push_on_publish(sender, instance, created, raw=False, **kwargs):
    was = getattr(instance, "_brokerage_was", None)
    instance._brokerage_was = None
    if raw or created or instance.status != PUBLISHED or was in (None, PUBLISHED):
        return
    from xiake.brokerage import tasks
    from xiake.brokerage.push import on_commit

    task_ = (
        tasks.push_published_demand
        if sender._meta.model_name == "demand"
        else tasks.push_published_achievement
    )
    on_commit(tasks.enqueue, task_, instance.pk)


def connect() -> None:
    from xiake.catalog.models import Achievement, Demand

    for model in (Demand, Achievement):
        uid = f"brokerage-{model._meta.model_name}"
        pre_save.connect(_remember_status, sender=model, dispatch_uid=f"{uid}-pre")
        post_save.connect(_push_on_publish, sender=model, dispatch_uid=f"{uid}-post")
