"""News and policies on the portal: the bureau's news desk goes through the review workflow like
every library; visitors see published news and policies only, and a publish shows at once even
on a cached page."""

import pytest
from django.urls import reverse

from tests.base import ResourceContract, client_for
from tests.liaison import factories as lf
from tests.portal.factories import make_newsitem
from xiake.portal.models import NewsItem

pytestmark = pytest.mark.django_db


class TestNewsItems(ResourceContract):
    model = NewsItem
    factory = staticmethod(make_newsitem)
    owner, outsider = "bureau", "university2"
    label_field = "title"
    form_data = {
        "title": "关于组织申报区科技成果转化专项资金的通知",
        "kind": "notice",
        "news_date": "2026-11-20",
        "body": "各有关单位：现组织申报。",
    }

    def test_bureau_reviews(self, orgs, users):
        """Only the bureau writes news, so it both submits and publishes; nobody else may."""
        item = self.make(orgs, status="draft")
        for persona in ("university", "enterprise", "manager"):
            client_for(users[persona]).post(self.url("review", item.pk), {"action": "submit"})
            item.refresh_from_db()
            assert item.status == "draft", persona
        bureau = client_for(users["bureau"])
        bureau.post(self.url("review", item.pk), {"action": "submit"})
        bureau.post(self.url("review", item.pk), {"action": "publish"})
        item.refresh_from_db()
        assert item.status == "published" and item.reviewed_by == users["bureau"]


def test_visitors_see_published_news_only(orgs):
    published = make_newsitem(title="区科技局发布年度技术合同登记情况")
    draft = make_newsitem(title="尚在起草的通知", status="draft")
    pending = make_newsitem(title="待审核的新闻", status="pending")
    visitor = client_for()
    listing = visitor.get(reverse("portal:news")).content.decode()
    assert published.title in listing
    assert draft.title not in listing and pending.title not in listing
    assert visitor.get(reverse("portal:public_news_item", args=[published.pk])).status_code == 200
    for hidden in (draft, pending):
        assert visitor.get(reverse("portal:public_news_item", args=[hidden.pk])).status_code == 404
    home = visitor.get(reverse("portal:public")).content.decode()
    assert published.title in home and draft.title not in home


def test_news_list_filters_by_kind_and_refuses_unknown_kinds(orgs):
    make_newsitem(title="一条新闻动态", kind="news")
    make_newsitem(title="一则通知公告", kind="notice")
    visitor = client_for()
    notices = visitor.get(reverse("portal:news"), {"kind": "notice"}).content.decode()
    assert "一则通知公告" in notices and "一条新闻动态" not in notices
    assert visitor.get(reverse("portal:news"), {"kind": "gossip"}).status_code == 404


def test_publishing_shows_on_the_cached_pages_at_once(orgs, users, settings):
    settings.PAGE_CACHE_SECONDS = 300
    item = make_newsitem(title="即将发布的培训通知", status="pending")
    visitor = client_for()
    assert "即将发布的培训通知" not in visitor.get(reverse("portal:news")).content.decode()
    assert "即将发布的培训通知" not in visitor.get(reverse("portal:public")).content.decode()
    client_for(users["bureau"]).post(
        reverse("portal:newsitem_review", args=[item.pk]), {"action": "publish"}
    )
    assert "即将发布的培训通知" in visitor.get(reverse("portal:news")).content.decode()
    assert "即将发布的培训通知" in visitor.get(reverse("portal:public")).content.decode()
    # …and unpublishing takes it away again
    client_for(users["bureau"]).post(
        reverse("portal:newsitem_review", args=[item.pk]),
        {"action": "unpublish", "comment": "内容有误"},
    )
    assert "即将发布的培训通知" not in visitor.get(reverse("portal:news")).content.decode()
    assert visitor.get(reverse("portal:public_news_item", args=[item.pk])).status_code == 404


def test_visitors_see_published_policies_only_and_search_them(orgs, users, settings):
    settings.PAGE_CACHE_SECONDS = 300
    shown = lf.make_policydocument(title="栖霞区促进科技成果转化若干政策", full_text="技术合同奖补")
    lf.make_policyclause(document=shown, number=1, heading="技术合同奖补", text="按成交额奖励。")
    draft = lf.make_policydocument(title="起草中的人才政策", status="draft")
    lf.make_policyclause(document=draft, number=1, heading="草稿条款", text="尚未生效。")
    visitor = client_for()
    listing = visitor.get(reverse("portal:policies")).content.decode()
    assert shown.title in listing and draft.title not in listing
    page = visitor.get(reverse("portal:policy", args=[shown.pk])).content.decode()
    assert "技术合同奖补" in page and "按成交额奖励。" in page
    assert visitor.get(reverse("portal:policy", args=[draft.pk])).status_code == 404
    # the generic library pages and the clause list hold the same line
    assert visitor.get(reverse("liaison:policydocument_detail", args=[draft.pk])).status_code == 404
    clauses = visitor.get(reverse("liaison:policyclause_list")).content.decode()
    assert "草稿条款" not in clauses and "技术合同奖补" in clauses
    found = visitor.get(reverse("portal:policies"), {"q": "成果转化"}).content.decode()
    assert shown.title in found
    none = visitor.get(reverse("portal:policies"), {"q": "人才政策"}).content.decode()
    assert draft.title not in none and "policy-list" in none
    # the bureau publishes the draft: the cached list shows it at the next request
    bureau = client_for(users["bureau"])
    bureau.post(reverse("liaison:policydocument_review", args=[draft.pk]), {"action": "submit"})
    bureau.post(reverse("liaison:policydocument_review", args=[draft.pk]), {"action": "publish"})
    assert draft.title in visitor.get(reverse("portal:policies")).content.decode()


def test_portal_pages_are_in_the_portal_navigation(orgs):
    html = client_for().get(reverse("portal:news")).content.decode()
    for name in (
        "portal:public",
        "portal:search",
        "portal:events",
        "portal:policies",
        "portal:news",
    ):
        assert f'href="{reverse(name)}"' in html, name
    assert 'aria-label="门户栏目"' in html or 'aria-label="Portal sections"' in html
