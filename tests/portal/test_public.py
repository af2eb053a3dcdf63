"""The public portal without login: only published, public records; a search that finds what the
libraries' own lists find; cached answers that still show a change at the next request."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from tests.base import client_for
from tests.factories import make_achievement, make_demand, make_expert, make_platform
from tests.liaison.factories import make_event
from xiake.core import pagecache

pytestmark = pytest.mark.django_db


def test_home_shows_published_public_records_only(orgs):
    make_achievement(orgs["university"], title="公开的焊接成果")
    make_achievement(orgs["university"], status="draft", title="草稿焊接成果")
    make_demand(orgs["enterprise"], title="公开的防腐需求")
    make_demand(orgs["enterprise"], title="保密的防腐需求", is_confidential=True)
    make_event(orgs["university"], title="公益大讲堂（公开）")
    make_event(orgs["university"], title="内部培训", is_public=False)
    make_event(
        orgs["university"], title="已结束的讲堂", starts_at=timezone.now() - dt.timedelta(days=3)
    )
    response = client_for().get("/portal/")
    assert response.status_code == 200
    html = response.content.decode()
    for shown in ("公开的焊接成果", "公开的防腐需求", "公益大讲堂（公开）"):
        assert shown in html
    for hidden in ("草稿焊接成果", "保密的防腐需求", "内部培训", "已结束的讲堂"):
        assert hidden not in html


def test_search_finds_what_each_library_list_finds(orgs):
    make_achievement(orgs["university"], title="激光焊接在线监测方法")
    make_achievement(orgs["university2"], title="焊接机器人路径规划")
    make_achievement(orgs["university"], status="pending", title="待审核的焊接成果")
    make_demand(orgs["enterprise"], title="不锈钢焊缝检测需求", description="焊接质量")
    make_demand(orgs["enterprise"], title="保密焊接需求", is_confidential=True)
    make_expert(orgs["university"], name="焊接专家甲", research_fields="焊接")
    make_platform(orgs["university"], name="焊接工程技术研究中心")
    visitor = client_for()
    html = visitor.get("/portal/search/", {"q": "焊接"}).content.decode()
    counts = dict(re.findall(r'data-library="(\w+)".*?data-count="(\d+)"', html, re.S))
    lists = {
        "achievement": "/catalog/achievements/",
        "demand": "/catalog/demands/",
        "expert": "/catalog/experts/",
        "platform": "/catalog/platforms/",
    }
    for name, url in lists.items():
        listed = visitor.get(url, {"q": "焊接"}).context["page_obj"].paginator.count
        assert int(counts[name]) == listed, name
    assert counts["achievement"] == "2" and counts["demand"] == "1"
    assert "待审核的焊接成果" not in html and "保密焊接需求" not in html
    assert "/catalog/achievements/?q=" in html or int(counts["achievement"]) <= 5


def test_search_without_words_asks_for_some_and_long_queries_are_cut(orgs):
    visitor = client_for()
    empty = visitor.get("/portal/search/")
    assert empty.status_code == 200 and "data-library" not in empty.content.decode()
    long = visitor.get("/portal/search/", {"q": "焊" * 500})
    assert long.status_code == 200
    assert 'value="' + "焊" * 100 + '"' in long.content.decode()


def test_cached_answer_shows_a_new_record_and_carries_the_visitors_own_token(orgs, settings):
    settings.PAGE_CACHE_SECONDS = 120
    visitor = client_for()
    first = visitor.get("/portal/").content.decode()
    assert pagecache.CSRF_MARKER not in first
    make_achievement(orgs["university"], title="新发布的储能成果")
    again = visitor.get("/portal/").content.decode()
    assert "新发布的储能成果" in again and pagecache.CSRF_MARKER not in again


def test_markup_is_labelled_for_screen_readers(orgs):
    html = client_for().get("/portal/").content.decode()
    assert 'role="search"' in html
    assert '<label class="form-label fw-semibold" for="portal-q">' in html
    assert re.search(r'<input type="search"[^>]+id="portal-q"', html)
    assert html.count("<h1") == 1
    labelled = re.findall(r'<section[^>]+aria-labelledby="([\w-]+)"', html)
    assert len(labelled) == 5  # the introduction and the four lists
    for ident in labelled:
        assert re.search(rf'<h[12][^>]+id="{ident}"', html), ident


def test_logged_in_users_are_not_served_the_visitors_cache(orgs, users):
    make_achievement(orgs["enterprise"], status="draft", title="企业自己的草稿成果")
    client_for().get("/portal/search/", {"q": "草稿成果"})  # fills the anonymous cache
    own = client_for(users["enterprise"]).get("/portal/search/", {"q": "草稿成果"})
    assert "企业自己的草稿成果" in own.content.decode()  # as the library list shows it to them
    anonymous = client_for().get("/portal/search/", {"q": "草稿成果"})
    assert "企业自己的草稿成果" not in anonymous.content.decode()
