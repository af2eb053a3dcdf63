"""Anonymous list answers are reused until the library changes; members always get fresh ones."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories as f
from tests.base import api_for, client_for
from xiake.catalog.models import Achievement


def test_an_anonymous_list_is_served_from_the_cache_until_a_change(orgs, users):
    first = f.make_achievement(orgs["university"], title="缓存前的成果")
    client = client_for()
    url = reverse("catalog:achievement_list")
    assert "缓存前的成果" in client.get(url).content.decode()
    with CaptureQueriesContext(connection) as ctx:
        again = client.get(url).content.decode()
    assert "缓存前的成果" in again
    assert not any("catalog_achievement" in q["sql"] for q in ctx.captured_queries)

    f.make_achievement(orgs["university"], title="新发布的成果")
    assert "新发布的成果" in client.get(url).content.decode()

    first.transition("unpublish", users["bureau"], "信息有误")
    assert "缓存前的成果" not in client.get(url).content.decode()


def test_the_api_list_follows_the_same_rule(orgs, users):
    f.make_achievement(orgs["university"], title="接口成果")
    assert api_for().get("/api/v1/achievements/").json()["count"] == 1
    Achievement.objects.all().delete()
    assert api_for().get("/api/v1/achievements/").json()["count"] == 0


def test_the_api_keeps_rendered_json_and_never_the_browsable_page(orgs, users):
    f.make_achievement(orgs["university"], title="接口缓存成果")
    url = "/api/v1/achievements/"
    fresh = api_for().get(url)
    with CaptureQueriesContext(connection) as ctx:
        cached = api_for().get(url)
    assert cached.status_code == 200
    assert cached["Content-Type"] == "application/json"
    assert cached.content == fresh.content
    assert cached.json()["results"][0]["title"] == "接口缓存成果"
    assert not any("catalog_achievement" in q["sql"] for q in ctx.captured_queries)

    api_for().get(url, HTTP_ACCEPT="text/html")
    with CaptureQueriesContext(connection) as ctx:
        browsable = api_for().get(url, HTTP_ACCEPT="text/html")
    assert browsable["Content-Type"].startswith("text/html")
    assert "接口缓存成果" in browsable.content.decode()
    assert any("catalog_achievement" in q["sql"] for q in ctx.captured_queries)


def test_logged_in_users_never_get_a_cached_answer(orgs, users):
    f.make_achievement(orgs["university"], status="draft", title="本单位草稿")
    url = reverse("catalog:achievement_list")
    client_for().get(url)  # fills the cache for anonymous visitors
    page = client_for(users["university"]).get(url).content.decode()
    assert "本单位草稿" in page
    assert "本单位草稿" not in client_for().get(url).content.decode()


def test_an_import_refreshes_the_list(orgs, users):
    from xiake.core import importer
    from xiake.core.resources import registry

    client = client_for()
    url = reverse("catalog:achievement_list")
    client.get(url)
    resource = registry()["catalog.achievement"]
    header = ["成果名称", "所属单位"]
    validation = importer.validate(
        resource, users["bureau"], header, [["批量导入的成果", orgs["university"].name]]
    )
    importer.apply(resource, users["bureau"], validation, publish=True)
    assert "批量导入的成果" in client.get(url).content.decode()


def test_a_cached_page_carries_each_visitors_own_csrf_token(orgs, users):
    import re

    from django.test import Client

    f.make_achievement(orgs["university"])
    url = reverse("catalog:achievement_list")
    tokens = []
    for _ in range(2):
        client = Client(enforce_csrf_checks=True)
        page = client.get(url).content.decode()
        assert "xiake-csrf-token-placeholder" not in page
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        tokens.append(token)
        switched = client.post(
            "/i18n/setlang/", {"language": "en", "next": url, "csrfmiddlewaretoken": token}
        )
        assert switched.status_code == 302  # the token of the cached page is accepted
    assert tokens[0] != tokens[1]
