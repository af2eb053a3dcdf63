"""The portal's demo step: Chinese news and announcements, mostly published, reproducible."""

import re

import pytest

from xiake.demo.extensions import DemoContext, steps
from xiake.demo.orgs import World
from xiake.portal import demo
from xiake.portal.models import NewsItem

pytestmark = pytest.mark.django_db


def test_the_demo_step_writes_reproducible_chinese_news(orgs, users):
    assert "portal" in [s.name for s in steps()]
    world = World(universities=[orgs["university"], orgs["university2"]])
    context = DemoContext(seed=7, world=world, users={"bureau": users["bureau"]})
    counts = demo.generate(context)
    items = list(NewsItem.objects.order_by("pk"))
    assert sum(counts.values()) == len(items) == demo.NEWS_ITEMS
    published = [n for n in items if n.status == "published"]
    assert len(published) == demo.NEWS_ITEMS - 2
    assert {n.kind for n in items} == {"news", "notice"}
    for n in items:
        assert n.is_demo and re.search(r"[\u4e00-\u9fff]{8}", n.body), n.title
        assert "{" not in n.title + n.body + n.summary  # every placeholder filled
    assert any("测试大学" in n.title + n.body or "另一所大学" in n.title + n.body for n in items)
    titles = [n.title for n in items]
    demo.flush()
    assert not NewsItem.objects.exists()
    demo.generate(context)
    assert [n.title for n in NewsItem.objects.order_by("pk")] == titles
