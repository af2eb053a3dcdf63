"""Pushed matches: publishing a demand stores its 推荐 list and tells the enterprise, the owners of
the offered records and a manager; publishing an achievement tells fitting enterprises. Once per
(user, event); e-mails by a task; a failing mail backend loses no in-site notification."""

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

from tests.base import client_for
from tests.factories import make_achievement, make_demand, make_expert, make_user, term
from xiake.brokerage import tasks
from xiake.brokerage.models import DockingCase, EmailStatus, MatchOffer, Notification


class FailingBackend(BaseEmailBackend):
    """A mail server that refuses every message."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("mail server down")


@pytest.fixture
def world(orgs, users):
    for name in ("enterprise", "university", "manager"):
        users[name].email = f"{name}@example.com"
        users[name].save()
    steel = make_achievement(
        orgs["university"],
        title="双相不锈钢焊缝耐海水腐蚀焊接工艺",
        keywords="不锈钢,焊缝,腐蚀,海水",
        summary="不锈钢管焊缝在海水环境中的防腐蚀焊接工艺，焊缝耐点蚀性能提高30%。",
    )
    other = make_achievement(
        orgs["university2"],
        title="小麦抗旱育种方法",
        keywords="小麦,育种",
        summary="一种小麦抗旱品种的选育方法。",
        industry=term("gbt4754", "01"),
    )
    expert = make_expert(orgs["university"], research_fields="不锈钢焊接,海水腐蚀")
    demand = make_demand(
        orgs["enterprise"],
        status="pending",
        title="不锈钢管焊缝海水腐蚀求解",
        keywords="不锈钢,焊缝,腐蚀",
        description="我司生产不锈钢管材，焊缝处在海水环境下半年就出现锈蚀，希望找到耐蚀焊接工艺。",
    )
    return {"steel": steel, "other": other, "expert": expert, "demand": demand}


def publish(obj, bureau, capture):
    with capture(execute=True):
        client_for(bureau).post(
            f"{obj.get_absolute_url()}review/", {"action": "publish", "comment": "同意"}
        )
    obj.refresh_from_db()
    assert obj.status == "published"


@pytest.mark.django_db
class TestDemandPublished:
    def test_offers_are_stored_and_each_side_told_once(
        self, world, users, django_capture_on_commit_callbacks
    ):
        demand = world["demand"]
        publish(demand, users["bureau"], django_capture_on_commit_callbacks)
        offers = list(MatchOffer.objects.filter(demand=demand))
        targets = {o.target for o in offers}
        assert world["steel"] in targets and world["other"] not in targets
        assert world["expert"] in targets
        assert [o.rank for o in offers if o.kind == "achievement"][0] == 1
        assert all(o.reasons for o in offers)

        keys = dict(Notification.objects.values_list("user__username", "key"))
        assert keys["t_enterprise"] == f"demand:{demand.pk}:offers"
        assert keys["t_university"] == f"demand:{demand.pk}:published"
        assert keys["t_manager"] == f"demand:{demand.pk}:published"
        assert "t_university2" not in keys  # its achievement was not offered
        assert "t_enterprise2" not in keys
        assert len(mail.outbox) == 3  # those with an address, once each
        assert {m.to[0] for m in mail.outbox} == {
            "enterprise@example.com",
            "university@example.com",
            "manager@example.com",
        }

        # the task run again (a retry, a second worker): nothing new, nothing mailed twice
        before = Notification.objects.count()
        tasks.push_published_demand.enqueue(demand.pk)
        tasks.send_emails.enqueue(f"demand:{demand.pk}:offers")
        assert Notification.objects.count() == before
        assert MatchOffer.objects.filter(demand=demand).count() == len(offers)
        assert len(mail.outbox) == 3

    def test_unpublish_and_publish_again_does_not_notify_twice(
        self, world, users, django_capture_on_commit_callbacks
    ):
        demand = world["demand"]
        publish(demand, users["bureau"], django_capture_on_commit_callbacks)
        n = Notification.objects.count()
        with django_capture_on_commit_callbacks(execute=True):
            demand.transition("unpublish", users["bureau"], "补充信息")
            demand.transition("submit", users["enterprise"])
            demand.transition("publish", users["bureau"])
        assert Notification.objects.count() == n

    def test_a_failing_mail_server_loses_no_in_site_notification(
        self, world, users, settings, django_capture_on_commit_callbacks
    ):
        settings.EMAIL_BACKEND = "tests.brokerage.test_push.FailingBackend"
        publish(world["demand"], users["bureau"], django_capture_on_commit_callbacks)
        rows = Notification.objects.filter(user__in=[users["enterprise"], users["manager"]])
        assert rows.count() == 2
        assert {r.email_status for r in rows} == {EmailStatus.FAILED}
        assert "mail server down" in rows[0].email_error
        api = client_for(users["enterprise"]).get("/notifications/")
        assert api.context["unread"] == 1

    def test_a_confidential_demand_is_not_shown_to_owners_but_the_manager_is_told(
        self, world, users, django_capture_on_commit_callbacks
    ):
        demand = world["demand"]
        demand.is_confidential = True
        demand.save()
        demand.assigned_managers.add(users["manager"])
        publish(demand, users["bureau"], django_capture_on_commit_callbacks)
        told = set(Notification.objects.values_list("user__username", flat=True))
        assert told == {"t_enterprise", "t_manager"}

    def test_records_created_published_are_not_pushed(
        self, orgs, users, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            make_demand(orgs["enterprise"], title="直接发布的需求")
        assert not Notification.objects.exists() and not MatchOffer.objects.exists()

    def test_offers_panel_and_the_manager_opens_a_case_from_it(
        self, world, users, django_capture_on_commit_callbacks
    ):
        demand = world["demand"]
        publish(demand, users["bureau"], django_capture_on_commit_callbacks)
        page = client_for(users["enterprise"]).get(demand.get_absolute_url()).content.decode()
        assert 'data-testid="offers"' in page and world["steel"].title in page
        assert 'data-testid="open-case"' not in page  # only managers open cases
        other = client_for(users["university2"]).get(demand.get_absolute_url()).content.decode()
        assert 'data-testid="offers"' not in other
        offer = MatchOffer.objects.get(demand=demand, achievement=world["steel"])
        manager = client_for(users["manager"])
        assert 'data-testid="open-case"' in manager.get(demand.get_absolute_url()).content.decode()
        r = manager.post(f"/cases/open/{demand.pk}/", {"offer": [offer.pk]})
        case = DockingCase.objects.get(demand=demand)
        assert r.url == case.get_absolute_url()
        assert case.manager == users["manager"] and case.enterprise_id == demand.owner_org_id
        assert list(case.achievements.all()) == [world["steel"]]
        enterprise = client_for(users["enterprise"])
        assert enterprise.post(f"/cases/open/{demand.pk}/").status_code == 403


@pytest.mark.django_db
def test_a_published_achievement_tells_enterprises_whose_demands_fit(
    orgs, users, django_capture_on_commit_callbacks
):
    make_demand(
        orgs["enterprise"],
        title="不锈钢管焊缝海水腐蚀求解",
        keywords="不锈钢,焊缝,腐蚀",
        description="焊缝处在海水环境下出现锈蚀，希望找到耐蚀焊接工艺。",
    )
    make_demand(orgs["enterprise2"], title="小麦抗旱品种需求", description="需要抗旱小麦品种。")
    make_user("t_enterprise_b", "enterprise", orgs["enterprise"])
    achievement = make_achievement(
        orgs["university"],
        status="pending",
        title="不锈钢焊缝耐海水腐蚀焊接工艺",
        summary="不锈钢管焊缝在海水中的耐蚀焊接工艺。",
    )
    publish(achievement, users["bureau"], django_capture_on_commit_callbacks)
    told = set(Notification.objects.values_list("user__username", flat=True))
    assert told == {"t_enterprise", "t_enterprise_b"}
    assert set(Notification.objects.values_list("key", flat=True)) == {
        f"achievement:{achievement.pk}:published"
    }


@pytest.mark.django_db
def test_while_the_index_is_unavailable_nothing_is_stored_and_push_matches_fills_it_later(
    world, users, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    from xiake.matching import api as matching

    real = matching.recommend
    settings.BROKERAGE_PUSH_WAIT = 0
    monkeypatch.setattr(matching, "recommend", lambda *a, **k: matching.Results([], fallback=True))
    demand = world["demand"]
    publish(demand, users["bureau"], django_capture_on_commit_callbacks)
    assert not MatchOffer.objects.exists() and not Notification.objects.exists()
    monkeypatch.setattr(matching, "recommend", real)
    call_command("push_matches")
    assert MatchOffer.objects.filter(demand=demand, achievement=world["steel"]).exists()
    assert Notification.objects.filter(key=f"demand:{demand.pk}:offers").count() == 1
