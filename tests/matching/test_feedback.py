"""有用 / 无关 marks on matches: the buttons of the matches panel, the API, who may mark, the audit
trail, and how the marks and docking outcomes re-rank a source's recommendations."""

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from tests.base import api_for
from tests.factories import make_achievement, make_demand, make_expert
from xiake.core.models import ChangeAction, ChangeRecord
from xiake.matching import api, labels
from xiake.matching.models import MatchFeedback

pytestmark = pytest.mark.django_db

FEEDBACK_URL = "/api/v1/matching/feedback/"


def _forms(html: str) -> dict[str, str]:
    """target → data-mark of each feedback form in a matches fragment."""
    return dict(
        re.findall(r'data-testid="feedback" data-target="([^"]+)" data-mark="([^"]*)"', html)
    )


def _fragment(client, demand):
    r = client.get(reverse("matching:matches", args=["demand", demand.pk]), {"type": "achievement"})
    assert r.status_code == 200
    return r.content.decode()


@pytest.fixture
def pair(orgs):
    demand = make_demand(orgs["enterprise"])
    achievement = make_achievement(orgs["university"])
    return demand, achievement


def test_buttons_show_store_change_and_remove_a_mark(client, users, pair):
    demand, a = pair
    client.force_login(users["enterprise"])
    target = f"achievement:{a.pk}"
    assert _forms(_fragment(client, demand)) == {target: ""}
    post = {"source": f"demand:{demand.pk}", "target": target}
    url = reverse("matching:feedback")
    # htmx: the buttons come back showing the new state
    r = client.post(url, {**post, "value": "useful"}, HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert r.status_code == 200 and _forms(html) == {target: "useful"}
    assert 'aria-pressed="true"' in html and 'value="none"' in html  # clicking again removes
    assert _forms(_fragment(client, demand)) == {target: "useful"}
    # another mark replaces it, with its reason
    r = client.post(
        url, {**post, "value": "not_useful", "reason": " 方向不对 "}, HTTP_HX_REQUEST="1"
    )
    assert _forms(r.content.decode()) == {target: "not_useful"}
    stored = MatchFeedback.objects.get()
    assert (stored.value, stored.reason, stored.user) == (
        "not_useful",
        "方向不对",
        users["enterprise"],
    )
    # a plain form post (no JavaScript) removes it and goes back to the demand
    r = client.post(url, {**post, "value": "none"})
    assert r.status_code == 302 and r["Location"] == demand.get_absolute_url()
    assert not MatchFeedback.objects.exists()
    assert _forms(_fragment(client, demand)) == {target: ""}


def test_the_reason_comes_back_with_the_buttons_so_re_marking_keeps_it(client, users, pair):
    demand, a = pair
    client.force_login(users["enterprise"])
    post = {"source": f"demand:{demand.pk}", "target": f"achievement:{a.pk}"}
    url = reverse("matching:feedback")
    r = client.post(url, {**post, "value": "useful", "reason": "可小试"}, HTTP_HX_REQUEST="1")
    assert 'name="reason" value="可小试"' in r.content.decode()
    assert 'name="reason" value="可小试"' in _fragment(client, demand)
    # the form posts what it shows: changing the mark keeps the reason
    r = client.post(url, {**post, "value": "not_useful", "reason": "可小试"}, HTTP_HX_REQUEST="1")
    assert MatchFeedback.objects.get().reason == "可小试"
    # another user sees their own (empty) box, never this reason
    client.force_login(users["bureau"])
    assert "可小试" not in _fragment(client, demand)


def test_anonymous_sees_no_buttons_and_may_not_mark(client, pair):
    demand, a = pair
    assert _forms(_fragment(client, demand)) == {}
    post = {"source": f"demand:{demand.pk}", "target": f"achievement:{a.pk}", "value": "useful"}
    r = client.post(reverse("matching:feedback"), post)
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]
    assert api_for().post(FEEDBACK_URL, post, format="json").status_code in (401, 403)
    assert not MatchFeedback.objects.exists()


def test_marks_need_view_rights_on_both_records(client, orgs, users):
    secret = make_demand(orgs["enterprise"], is_confidential=True)
    public = make_demand(orgs["enterprise"])
    a = make_achievement(orgs["university"])
    draft = make_achievement(orgs["university"], status="draft")
    outsider = users["enterprise2"]
    client.force_login(outsider)
    cases = [
        (f"demand:{secret.pk}", f"achievement:{a.pk}"),  # another enterprise's non-public demand
        (f"demand:{public.pk}", f"achievement:{draft.pk}"),  # a university's draft
        (f"demand:{public.pk}", "achievement:999999"),  # does not exist
    ]
    for source, target in cases:
        post = {"source": source, "target": target, "value": "useful"}
        assert client.post(reverse("matching:feedback"), post).status_code == 404
        assert api_for(outsider).post(FEEDBACK_URL, post, format="json").status_code == 404
    assert not MatchFeedback.objects.exists()
    # a published demand and achievement: anyone signed in may mark (only editors' marks re-rank)
    post = {"source": f"demand:{public.pk}", "target": f"achievement:{a.pk}", "value": "useful"}
    assert api_for(outsider).post(FEEDBACK_URL, post, format="json").status_code == 200
    # the owner of the secret demand may
    post = {"source": f"demand:{secret.pk}", "target": f"achievement:{a.pk}", "value": "useful"}
    assert api_for(users["enterprise"]).post(FEEDBACK_URL, post, format="json").status_code == 200
    with pytest.raises(PermissionDenied):
        labels.mark(outsider, secret, a, "useful")


@pytest.mark.parametrize(
    "change, field",
    [
        ({"source": "demand:abc"}, "source"),
        ({"source": "robot:1"}, "source"),
        ({"target": ""}, "target"),
        ({"target": "demand:{demand}"}, "target"),  # a demand is not matched with demands
        ({"value": "maybe"}, "value"),
        ({"reason": "长" * 201}, "reason"),
    ],
)
def test_api_names_the_bad_field(users, pair, change, field):
    demand, a = pair
    body = {"source": f"demand:{demand.pk}", "target": f"achievement:{a.pk}", "value": "useful"}
    body.update({k: v.format(demand=demand.pk) for k, v in change.items()})
    r = api_for(users["enterprise"]).post(FEEDBACK_URL, body, format="json")
    assert r.status_code == 400 and field in r.json(), r.json()


def test_api_marks_and_demand_matches_show_the_users_mark(users, pair):
    demand, a = pair
    client = api_for(users["enterprise"])
    body = {"source": f"demand:{demand.pk}", "target": f"achievement:{a.pk}"}
    r = client.post(FEEDBACK_URL, {**body, "value": "useful", "reason": "正对路"}, format="json")
    assert r.status_code == 200
    assert r.json()["value"] == "useful" and r.json()["reason"] == "正对路"
    assert r.json()["updated_at"]
    matches = client.get(f"/api/v1/demands/{demand.pk}/matches/", {"type": "achievement"}).json()
    assert matches["results"][0]["feedback"] == "useful"
    assert "已标记有用" in matches["results"][0]["reasons"]
    # another user's mark is theirs: this one sees none of their own
    other = api_for(users["bureau"]).get(
        f"/api/v1/demands/{demand.pk}/matches/", {"type": "achievement"}
    )
    assert other.json()["results"][0]["feedback"] is None
    r = client.post(FEEDBACK_URL, {**body, "value": "none"}, format="json")
    assert r.status_code == 200 and r.json() == {
        **body,
        "value": None,
        "reason": "",
        "updated_at": None,
    }


def test_marks_are_audited(users, pair):
    demand, a = pair
    user = users["enterprise"]
    labels.mark(user, demand, a, "useful")
    labels.mark(user, demand, a, "useful")  # unchanged: nothing to record
    labels.mark(user, demand, a, "not_useful", "太贵")
    labels.mark(user, demand, a, None)
    records = ChangeRecord.objects.filter(content_type__model="matchfeedback").order_by("id")
    assert [r.action for r in records] == [
        ChangeAction.CREATE,
        ChangeAction.UPDATE,
        ChangeAction.DELETE,
    ]
    assert all(r.actor_name == user.username for r in records)
    assert records[1].before["value"] == "useful" and records[1].after["value"] == "not_useful"
    assert f"demand:{demand.pk}" in records[0].comment


def _order(user, demand, kind="achievement"):
    return [m.obj.pk for m in api.recommend(user, demand, kind, limit=10)]


def _reasons(user, demand, pk):
    return next(m.reasons for m in api.recommend(user, demand, "achievement") if m.obj.pk == pk)


def test_editors_marks_rerank_others_do_not(orgs, users):
    demand = make_demand(orgs["enterprise"])
    found = [make_achievement(orgs["university"]) for _ in range(4)]
    viewer = users["enterprise2"]  # may view the published demand, may not edit it
    before = _order(viewer, demand)
    assert sorted(before) == sorted(a.pk for a in found)
    first, last = before[0], before[-1]
    ach = {a.pk: a for a in found}
    # an outsider's marks are stored (labels) but do not change the ranking
    labels.mark(viewer, demand, ach[first], "not_useful")
    labels.mark(viewer, demand, ach[last], "useful")
    assert _order(viewer, demand) == before
    # the demand's own staff: the first marked 无关 drops below every unmarked one
    labels.mark(users["enterprise"], demand, ach[first], "not_useful")
    after = _order(viewer, demand)
    assert after[-1] == first and after[:-1] == [pk for pk in before if pk != first]
    assert "已标记为无关" in _reasons(viewer, demand, first)
    # the bureau's 有用 lifts the last one (the texts score alike: lifted to the top)
    labels.mark(users["bureau"], demand, ach[last], "useful")
    after = _order(viewer, demand)
    assert after[0] == last and after[-1] == first
    assert "已标记有用" in _reasons(viewer, demand, last)
    # removing the marks restores the ranking
    labels.mark(users["enterprise"], demand, ach[first], None)
    labels.mark(users["bureau"], demand, ach[last], None)
    assert _order(viewer, demand) == before


def test_assigned_managers_mark_counts(orgs, users):
    demand = make_demand(orgs["enterprise"])
    found = [make_achievement(orgs["university"]) for _ in range(3)]
    manager = users["manager"]
    before = _order(manager, demand)
    top = next(a for a in found if a.pk == before[0])
    labels.mark(manager, demand, top, "not_useful")
    assert _order(manager, demand) == before  # not assigned: a viewer like any other
    demand.assigned_managers.add(manager)
    assert _order(manager, demand)[-1] == top.pk


def test_docking_outcomes_count_like_marks(orgs, users):
    from xiake.brokerage.models import DockingCase, MatchLabel, Stage

    demand = make_demand(orgs["enterprise"])
    found = [make_achievement(orgs["university"]) for _ in range(3)]
    viewer = users["enterprise2"]
    before = _order(viewer, demand)
    top = next(a for a in found if a.pk == before[0])
    bottom = next(a for a in found if a.pk == before[-1])
    for achievement, stage in ((top, Stage.TERMINATED), (bottom, Stage.SIGNED)):
        case = DockingCase.objects.create(
            title="对接", demand=demand, enterprise=orgs["enterprise"], stage=stage
        )
        case.achievements.add(achievement)
        MatchLabel.record(case)
    after = _order(viewer, demand)
    assert after[0] == bottom.pk and after[-1] == top.pk
    assert "已标记为无关" in _reasons(viewer, demand, top.pk)
    # the labels a fit reads: the two outcomes beside a mark
    labels.mark(users["enterprise"], demand, found[1], "useful")
    got = {(x.target, x.useful, x.origin) for x in labels.all_labels()}
    assert got == {
        (f"achievement:{top.pk}", False, "docking"),
        (f"achievement:{bottom.pk}", True, "docking"),
        (f"achievement:{found[1].pk}", True, "mark"),
    }


def test_expert_tab_has_buttons_too(client, orgs, users):
    demand = make_demand(orgs["enterprise"])
    expert = make_expert(orgs["university"], research_fields="不锈钢焊缝 海水 锈蚀 防腐")
    client.force_login(users["enterprise"])
    r = client.get(reverse("matching:matches", args=["demand", demand.pk]), {"type": "expert"})
    assert _forms(r.content.decode()) == {f"expert:{expert.pk}": ""}
    post = {"source": f"demand:{demand.pk}", "target": f"expert:{expert.pk}", "value": "useful"}
    assert client.post(reverse("matching:feedback"), post).status_code == 302
    assert labels.labels_for(users["enterprise"], demand) == {f"expert:{expert.pk}": "useful"}


@pytest.mark.django_db(transaction=True)
def test_two_marks_at_once_leave_one_row(orgs, users):
    """A double click: the second request's insert waits on the first's uncommitted row, fails on
    the unique constraint once it commits, and changes that row instead (PostgreSQL: row locks)."""
    import threading
    import time

    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("concurrent inserts: PostgreSQL")
    demand, a = make_demand(orgs["enterprise"]), make_achievement(orgs["university"])
    user = users["enterprise"]
    inserted, release, done = threading.Event(), threading.Event(), {}

    def first():
        try:
            with transaction.atomic():
                labels.mark(user, demand, a, "useful")
                inserted.set()
                release.wait(10)
        finally:
            connection.close()

    def second():
        try:
            done["mark"] = labels.mark(user, demand, a, "not_useful", "后到")
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    assert inserted.wait(10)
    threads[1].start()
    time.sleep(0.5)  # the second insert is now waiting on the first's row
    release.set()
    for t in threads:
        t.join(20)
    assert done["mark"].value == "not_useful"
    assert list(MatchFeedback.objects.values_list("value", "reason")) == [("not_useful", "后到")]
