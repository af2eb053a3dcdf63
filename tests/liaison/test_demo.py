"""The liaison demo step at a small scale: what it writes, the served figure checked against an
independent COUNT DISTINCT, what the demo enterprise can do, and flushing.

The demo organisations are built once for the module with the demo app's own builder, the liaison
step runs at ``SCALE``, and everything is rolled back at the end.
"""

import datetime as dt
import random

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from tests.base import api_for, client_for
from xiake.accounts.models import Organization
from xiake.demo import extensions
from xiake.demo import orgs as orgs_mod
from xiake.demo.accounts import create_accounts
from xiake.liaison import demo as liaison_demo
from xiake.liaison import models as m

SCALE = 0.05
SEED = 7


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        world = orgs_mod.build(
            random.Random(f"{SEED}:orgs"), enterprises=40, nris=6, intermediaries=6
        )
        uni = next(o for o in world.universities if o.name == orgs_mod.DEMO_UNIVERSITY)
        users = create_accounts(
            {
                "bureau": world.bureau,
                "admin": world.bureau,
                "university": uni,
                "enterprise": world.enterprises[0],
                "manager": world.transfer_centre,
                "institution": world.nris[0],
                "evaluator": world.evaluator,
            }
        )
        context = extensions.DemoContext(seed=SEED, world=world, users=users)
        counts = liaison_demo.generate(context, scale=SCALE)
        yield {"world": world, "users": users, "counts": counts}
        transaction.set_rollback(True)


pytestmark = pytest.mark.django_db


def test_the_step_is_registered_with_xiake_demo():
    step = next(s for s in extensions.steps() if s.name == "liaison")
    assert step.generate is liaison_demo.generate and step.flush is liaison_demo.flush


def test_every_university_faculty_and_four_institutes_are_assigned(demo):
    world = demo["world"]
    assigned = set(
        m.Assignment.objects.filter(is_demo=True).values_list("university__owner_org", flat=True)
    )
    assert {o.pk for o in world.universities} <= assigned
    from xiake.catalog.models import Faculty

    faculties = Faculty.objects.filter(university__owner_org__in=world.universities)
    assert faculties.exclude(liaison_assignments__isnull=False).count() == 0
    assert m.Assignment.objects.filter(institute__isnull=False).count() == 4
    kinds = set(m.Assignment.objects.values_list("kind", flat=True))
    assert kinds == {"leader", "department", "street", "park"}


def test_a_year_of_contact_logs_and_some_stale_assignments(demo):
    today = timezone.localdate()
    logs = m.ContactLog.objects.filter(is_demo=True)
    assert logs.count() > 100
    assert logs.order_by("date").first().date >= today - dt.timedelta(days=366)
    response = client_for(demo["users"]["bureau"]).get(reverse("liaison:coverage"))
    assert response.status_code == 200
    assert 0 < response.context["stale"] < len(response.context["rows"])


def test_four_meetings_with_tasks_in_every_state_some_overdue(demo):
    assert m.JointMeeting.objects.filter(is_demo=True).count() == 4
    tasks = m.Task.objects.filter(is_demo=True)
    assert set(tasks.values_list("status", flat=True)) == {s for s, _ in m.Task.Status.choices}
    assert tasks.overdue().count() >= 2
    assert not tasks.filter(status="done", evidence="").exists()
    page = client_for(demo["users"]["bureau"]).get(reverse("liaison:task_overdue"))
    assert len(page.context["tasks"]) == tasks.overdue().count()


def test_events_of_the_five_types_with_consistent_counts(demo):
    events = m.Event.objects.filter(is_demo=True)
    assert events.count() == max(10, round(liaison_demo.EVENTS * SCALE))
    assert set(events.values_list("event_type", flat=True)) == {t for t, _ in m.Event.Type.choices}
    for e in events:
        assert e.registered_count == e.registrations.count() <= e.capacity
    first = events.order_by("starts_at").first().starts_at
    assert first.date() >= timezone.localdate() - dt.timedelta(days=731)
    # a registration once per enterprise and event
    pairs = m.Registration.objects.filter(enterprise__isnull=False).values_list(
        "event_id", "enterprise_id"
    )
    assert len(pairs) == len(set(pairs))


def _count_distinct(start: dt.datetime, end: dt.datetime) -> int:
    """The served figure computed without the application's code."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT COUNT(*) FROM (SELECT DISTINCT r.enterprise_id FROM liaison_registration r "
            "JOIN liaison_event e ON e.id = r.event_id WHERE r.enterprise_id IS NOT NULL "
            "AND r.checked_in_at IS NOT NULL AND e.starts_at >= %s AND e.starts_at < %s) t",
            [start, end],
        )
        return cur.fetchone()[0]


def test_the_served_view_reports_the_count_distinct(demo):
    today = timezone.localdate()
    start = today - dt.timedelta(days=730)
    expected = round(liaison_demo.SERVED * SCALE)
    tz = timezone.get_current_timezone()
    independent = _count_distinct(
        dt.datetime.combine(start, dt.time(0), tzinfo=tz),
        dt.datetime.combine(today + dt.timedelta(days=1), dt.time(0), tzinfo=tz),
    )
    bureau = demo["users"]["bureau"]
    page = client_for(bureau).get(
        reverse("liaison:served"), {"from": start.isoformat(), "to": today.isoformat()}
    )
    assert page.context["served"] == independent == expected
    assert page.context["registered"] > page.context["served"]
    api = api_for(bureau).get(
        "/api/v1/liaison/events/served/", {"from": start.isoformat(), "to": today.isoformat()}
    )
    assert api.json()["enterprises_served"] == expected
    # a sub-period, too
    half = today - dt.timedelta(days=365)
    sub = client_for(bureau).get(reverse("liaison:served"), {"from": half.isoformat()})
    assert sub.context["served"] == _count_distinct(
        dt.datetime.combine(half, dt.time(0), tzinfo=tz),
        dt.datetime.combine(today + dt.timedelta(days=400), dt.time(0), tzinfo=tz),
    )


def test_the_demo_enterprise_can_register_for_an_upcoming_event(demo):
    user = demo["users"]["enterprise"]
    upcoming = m.Event.objects.filter(
        starts_at__gt=timezone.now(), registration_open=True, is_public=True
    ).order_by("starts_at")
    free = [e for e in upcoming if e.places_left > 0]
    assert free and not m.Registration.objects.filter(event=free[0], enterprise=user.organization)
    client = client_for(user)
    assert client.get(free[0].get_absolute_url()).status_code == 200
    response = client.post(reverse("liaison:event_register", args=[free[0].pk]))
    assert response.status_code == 302
    assert m.Registration.objects.filter(event=free[0], user=user).exists()
    # its history: it attended an event
    assert m.Registration.objects.filter(
        enterprise=user.organization, checked_in_at__isnull=False
    ).exists()


def test_the_demo_enterprise_can_ask_and_close_consultations(demo):
    user = demo["users"]["enterprise"]
    client = client_for(user)
    doc = m.PolicyDocument.objects.filter(is_demo=True).first()
    response = client.post(
        reverse("liaison:consultation_add"),
        {"subject": "首贷贴息", "question": "首贷企业贴息比例是多少？", "policy_document": doc.pk},
    )
    assert response.status_code == 302
    mine = m.Consultation.objects.filter(owner_org=user.organization)
    assert set(mine.values_list("status", flat=True)) >= {"answered", "closed", "submitted"}
    answered = mine.get(status="answered")
    client.post(
        reverse("liaison:consultation_act", args=[answered.pk]),
        {"action": "close", "satisfaction": "5"},
    )
    answered.refresh_from_db()
    assert answered.status == "closed" and answered.satisfaction == 5


def test_consultations_in_every_state_and_policies_with_clauses(demo):
    states = set(m.Consultation.objects.filter(is_demo=True).values_list("status", flat=True))
    assert states == {s for s, _ in m.Consultation.Status.choices}
    late = [c for c in m.Consultation.objects.filter(status="routed") if c.is_late]
    assert late, "some routed consultations are past their due date"
    for doc in m.PolicyDocument.objects.filter(is_demo=True):
        assert doc.clauses.count() >= 5
    assert m.SlaRule.current() is not None
    assert m.Holiday.objects.filter(date=dt.date(2026, 10, 1)).exists()


def test_tech_finance_records_hang_together(demo):
    from django.db.models import Count, Sum

    assert m.Investor.objects.filter(is_demo=True).count() >= 6
    sessions = m.RoadshowSession.objects.filter(is_demo=True)
    assert sessions.exists()
    assert not sessions.exclude(event__event_type="roadshow").exists()
    for inv in m.Investment.objects.annotate(total=Sum("shares__amount"), n=Count("shares")):
        assert inv.n >= 1 and inv.total == inv.amount
        assert inv.need.status == "financed" and inv.need.owner_org_id == inv.owner_org_id
    # interest only from invited investors, in needs pitched at that session
    for it in m.InvestorInterest.objects.select_related("session"):
        assert it.session.needs.filter(pk=it.need_id).exists()
        assert it.session.investors.filter(owner_org_id=it.owner_org_id).exists()
    user = demo["users"]["enterprise"]
    mine = m.FinancingNeed.objects.filter(owner_org=user.organization)
    assert set(mine.values_list("status", flat=True)) == {"open", "matching"}
    upcoming = m.RoadshowSession.objects.filter(held_at__gt=timezone.now())
    assert upcoming.filter(needs__owner_org=user.organization).exists()
    seen = api_for(user).get("/api/v1/investor-interests/").json()["results"]
    assert seen and all(r["need"] in set(mine.values_list("pk", flat=True)) for r in seen)


def test_funding_programmes_applications_and_eligibility(demo):
    from xiake.liaison.models.funding import eligibility_hints

    assert m.FundingProgramme.objects.filter(is_demo=True).count() == 2
    calls = m.FundingCall.objects.filter(is_demo=True)
    assert any(c.is_open for c in calls) and not all(c.is_open for c in calls)
    states = set(m.FundingApplication.objects.values_list("status", flat=True))
    assert states == {s for s, _ in m.FundingApplication.Status.choices}
    for app in m.FundingApplication.objects.select_related("call__programme"):
        assert app.amount_requested <= app.call.programme.max_grant
        assert bool(app.partner_university_id) == app.call.programme.requires_partner
    user = demo["users"]["enterprise"]
    profile = m.EnterpriseProfile.objects.get(owner_org=user.organization)
    hints = eligibility_hints(profile)
    assert len(hints) >= 5
    page = client_for(user).get(profile.get_absolute_url())
    assert page.status_code == 200 and "江苏省产学研合作项目" in page.content.decode()


def test_flush_deletes_the_liaison_demo_rows(demo):
    with transaction.atomic():
        out = liaison_demo.flush()
        assert out[str(m.Event._meta.verbose_name_plural)] > 0
        for model in (
            m.Registration,
            m.Event,
            m.Task,
            m.Assignment,
            m.Consultation,
            m.Investment,
            m.RoadshowSession,
            m.Investor,
            m.FundingApplication,
            m.FundingProgramme,
            m.EnterpriseProfile,
        ):
            assert not model.objects.filter(is_demo=True).exists()
        transaction.set_rollback(True)


def test_flush_takes_demo_compilations_and_unhooks_real_ones(demo):
    world = demo["world"]
    uni = world.university_records[world.universities[0].pk]
    with transaction.atomic():
        theirs = m.CompilationJob.objects.create(title="演示单位的汇编", owner_org=world.bureau)
        real_org = Organization.objects.create(name="真实单位", org_type="government")
        ours = m.CompilationJob.objects.create(title="真实汇编", owner_org=real_org, university=uni)
        liaison_demo.flush()
        assert not m.CompilationJob.objects.filter(pk=theirs.pk).exists()
        ours.refresh_from_db()
        assert ours.university is None
        transaction.set_rollback(True)


def test_flush_refuses_while_real_rows_hang_off_demo_rows(demo):
    from xiake.demo.generate import DemoError

    event = m.Event.objects.filter(is_demo=True, registration_open=True).first()
    with transaction.atomic():
        m.Registration.objects.create(event=event, attendee_name="真实报名")
        with pytest.raises(DemoError, match="event registrations|活动报名"):
            liaison_demo.flush()
        transaction.set_rollback(True)
