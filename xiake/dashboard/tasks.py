"""Background tasks of the dashboard (Django's task API): building a statistics brief."""

from __future__ import annotations

from django_tasks import task


@task()
def build_brief(brief_id: int) -> dict:
    from xiake.dashboard.brief import build

    return build(brief_id)
