"""Records of the portal app for tests, built with the real models."""

import itertools

_seq = itertools.count(1)


def make_newsitem(org=None, status="published", **kwargs):
    from xiake.portal.models import NewsItem

    defaults = dict(
        title=f"栖霞区举办第{next(_seq)}期公益大讲堂",
        kind="news",
        source="区科学技术局",
        summary="高校专家解读成果转化政策。",
        body="本期公益大讲堂在仙林大学城举办。\n共有四十家企业参加。",
        status=status,
    )
    defaults.update(kwargs)
    return NewsItem.objects.create(**defaults)
