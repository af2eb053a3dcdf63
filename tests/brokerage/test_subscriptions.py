"""Subscriptions: instant notifications on publication, daily/weekly digests of what was
published since the previous digest, only what the user may see, once per period."""

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from tests.base import api_for, client_for
from tests.factories import make_achievement, make_demand, make_user, term
from xiake.brokerage.models import Digest, Notification, Subscription
from xiake.brokerage.subscriptions import matching_subscribers, send_digests


def subscribe(user, kind, value, frequency="daily", created=None):
    scheme = {"industry": "gbt4754", "discipline": "gbt13745"}.get(kind)
    return Subscription.objects.create(
        user=user,
        kind=kind,
        term=term(scheme, value) if scheme else None,
        keyword="" if scheme else value,
        frequency=frequency,
        created_at=created or timezone.now() - dt.timedelta(days=10),
    )


@pytest.mark.django_db
class TestSubscriptions:
    def test_industry_sections_cover_their_classes_and_keywords_the_text(self, orgs, users):
        a = make_achievement(orgs["university"], industry=term("gbt4754", "33"))
        subscribe(users["enterprise"], "industry", "C", "instant")  # 制造业 ⊃ 33
        subscribe(users["enterprise2"], "keyword", "耐点蚀", "instant")
        subscribe(users["manager"], "industry", "01", "instant")  # agriculture: no
        subscribe(users["bureau"], "keyword", "耐点蚀", "daily")  # not instant
        assert matching_subscribers(a) == {users["enterprise"].pk, users["enterprise2"].pk}

    def test_instant_subscribers_are_told_when_an_achievement_is_published(
        self, orgs, users, settings, django_capture_on_commit_callbacks
    ):
        subscribe(users["enterprise2"], "keyword", "焊接", "instant")
        a = make_achievement(orgs["university"], status="pending")
        with django_capture_on_commit_callbacks(execute=True):
            a.transition("publish", users["bureau"])
        assert Notification.objects.filter(
            user=users["enterprise2"], key=f"achievement:{a.pk}:published"
        ).exists()

    def test_daily_digest_holds_what_was_published_since_the_last_one_and_runs_once(
        self, orgs, users
    ):
        users["enterprise"].email = "e@example.com"
        users["enterprise"].save()
        subscribe(users["enterprise"], "keyword", "焊接")
        subscribe(users["enterprise"], "industry", "33")
        # noon, so that "an hour later" is the same local day whenever the suite runs
        now = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
        a1 = make_achievement(orgs["university"], title="焊接机器人路径规划")
        a1.reviewed_at = now - dt.timedelta(hours=3)
        a1.save()
        hidden = make_demand(
            orgs["enterprise2"], title="保密焊接需求", keywords="焊接", is_confidential=True
        )
        make_achievement(orgs["university"], status="draft", title="未发布的焊接成果")
        counts = send_digests("daily", now)
        assert counts["digests"] == 1
        n = Notification.objects.get(user=users["enterprise"])
        assert "焊接机器人路径规划" in n.body and hidden.title not in n.body
        assert "未发布的焊接成果" not in n.body
        assert len(mail.outbox) == 1
        # the same day again (cron ran twice): nothing
        assert send_digests("daily", now + dt.timedelta(hours=1))["already sent"] == 1
        assert Notification.objects.count() == 1 and len(mail.outbox) == 1
        # next day: only what was published after the previous digest
        a2 = make_achievement(orgs["university"], title="焊缝在线检测系统")
        a2.reviewed_at = now + dt.timedelta(hours=5)
        a2.save()
        call_command(
            "send_digests",
            "--period",
            "daily",
            "--now",
            (now + dt.timedelta(days=1)).isoformat(),
        )
        latest = Notification.objects.filter(user=users["enterprise"]).order_by("-id").first()
        assert "焊缝在线检测系统" in latest.body and "焊接机器人路径规划" not in latest.body
        assert Digest.objects.filter(user=users["enterprise"]).count() == 2

    def test_weekly_digest_is_keyed_by_iso_week_and_empty_digests_send_nothing(self, orgs, users):
        subscribe(users["university"], "keyword", "量子", "weekly")
        monday = timezone.make_aware(dt.datetime(2026, 11, 23, 9, 0))
        assert send_digests("weekly", monday)["empty"] == 1
        assert not Notification.objects.exists()
        assert send_digests("weekly", monday + dt.timedelta(days=3))["already sent"] == 1
        assert Digest.objects.get().key == "digest:weekly:2026-W48"

    def test_page_and_api_manage_only_ones_own(self, orgs, users):
        client = client_for(users["enterprise"])
        r = client.post(
            "/subscriptions/", {"kind": "industry", "industry": "C", "frequency": "weekly"}
        )
        assert r.status_code == 302
        r = client.post("/subscriptions/", {"kind": "keyword", "keyword": "", "frequency": "daily"})
        assert r.status_code == 400
        api = api_for(users["enterprise"])
        r = api.post(
            "/api/v1/subscriptions/",
            {"kind": "keyword", "keyword": "光伏", "frequency": "instant"},
            format="json",
        )
        assert r.status_code == 201 and r.json()["keyword"] == "光伏"
        assert (
            api.post(
                "/api/v1/subscriptions/",
                {"kind": "keyword", "keyword": "光伏", "frequency": "instant"},
                format="json",
            ).status_code
            == 409
        )
        mine = api.get("/api/v1/subscriptions/").json()["results"]
        assert {s["term"] or s["keyword"] for s in mine} == {"C", "光伏"}
        other = make_user("t_other", "enterprise", orgs["enterprise2"])
        assert api_for(other).get("/api/v1/subscriptions/").json()["results"] == []
        assert api_for(other).delete(f"/api/v1/subscriptions/{mine[0]['id']}/").status_code == 404
        assert api.delete(f"/api/v1/subscriptions/{mine[0]['id']}/").status_code == 204
        assert api_for().get("/api/v1/subscriptions/").status_code in (401, 403)
