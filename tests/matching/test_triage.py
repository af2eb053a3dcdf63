"""Demand quality triage: the score, what the poster is told to add, the managers' queue."""

import datetime
from decimal import Decimal

import pytest

from tests.base import client_for
from tests.factories import make_demand, term
from xiake.matching import triage

pytestmark = pytest.mark.django_db

PROBLEM = (
    "我司生产316L不锈钢管材，焊缝处在海水环境下半年就出现锈蚀穿孔，"
    "现有酸洗钝化工艺无法解决，影响出口订单交付。"
)


def actionable(org, **kwargs):
    demand = make_demand(
        org,
        title="不锈钢管焊缝海水腐蚀",
        description=PROBLEM,
        technical_indicators="焊缝在3.5%氯化钠溶液中点蚀电位≥300mV，年腐蚀速率≤0.05mm",
        budget=Decimal("80"),
        valid_until=datetime.date(2027, 6, 30),
        industry=term("gbt4754", "33"),
        keywords="不锈钢,焊缝,耐蚀",
        **kwargs,
    )
    demand.cooperation_modes.add(term("coop_mode", "joint"))
    return demand


def vague(org, **kwargs):
    return make_demand(
        org, title="寻求技术合作", description="希望与高校合作。", budget=None, **kwargs
    )


def test_a_complete_demand_scores_100_and_a_vague_one_is_told_what_to_add(orgs):
    good = triage.triage(actionable(orgs["enterprise"]))
    assert good.score == 100 and not good.vague and good.missing == []
    bad = triage.triage(vague(orgs["enterprise"]))
    assert bad.vague
    assert [c.code for c in bad.missing] == [
        "problem",
        "metrics",
        "budget",
        "deadline",
        "coop_mode",
        "industry",
        "keywords",
    ]
    assert bad.score == 0


def test_each_check_counts_its_own_weight(orgs):
    demand = actionable(orgs["enterprise"])
    weights = {c.code: c.weight for c in triage.CHECKS}
    assert sum(weights.values()) == 100
    demand.budget = None
    demand.valid_until = None
    assert triage.triage(demand).score == 100 - weights["budget"] - weights["deadline"]
    demand.technical_indicators = ""  # "316L" and "半年" are not indicators to reach
    missing = weights["budget"] + weights["deadline"] + weights["metrics"]
    assert triage.triage(demand).score == 100 - missing
    # indicators stated in the description count too
    demand.description = PROBLEM + "要求耐蚀寿命达到10年。"
    assert "metrics" not in [c.code for c in triage.triage(demand).missing]
    demand.description = "焊缝生锈了，怎么办，求助。"  # too short to state the problem
    codes = [c.code for c in triage.triage(demand).missing]
    assert "problem" in codes and "metrics" in codes


def test_the_poster_sees_what_to_add_and_other_enterprises_do_not(orgs, users):
    demand = vague(orgs["enterprise"])
    page = client_for(users["enterprise"]).get(demand.get_absolute_url()).content.decode()
    assert 'data-testid="triage"' in page
    assert 'data-code="budget"' in page and 'data-code="problem"' in page
    for who in (users["manager"], users["bureau"]):
        assert (
            'data-testid="triage"'
            in client_for(who).get(demand.get_absolute_url()).content.decode()
        )
    other = client_for(users["enterprise2"]).get(demand.get_absolute_url())
    assert other.status_code == 200 and 'data-testid="triage"' not in other.content.decode()
    assert (
        'data-testid="triage"'
        not in client_for(None).get(demand.get_absolute_url()).content.decode()
    )


def test_vague_demands_are_routed_to_the_managers_queue(orgs, users):
    good = actionable(orgs["enterprise"])
    bad = vague(orgs["enterprise"])
    draft = vague(orgs["enterprise2"], status="draft")  # not collected yet: not in the queue
    for who in ("manager", "bureau"):
        page = client_for(users[who]).get("/matching/triage/")
        assert page.status_code == 200
        body = page.content.decode()
        assert bad.get_absolute_url() in body
        assert good.get_absolute_url() not in body
        assert draft.get_absolute_url() not in body
    assert client_for(users["enterprise"]).get("/matching/triage/").status_code == 403
    anonymous = client_for(None).get("/matching/triage/")
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]


def test_confidential_vague_demands_reach_only_their_assigned_managers(orgs, users):
    secret = vague(orgs["enterprise"], is_confidential=True)
    assert (
        secret.get_absolute_url()
        not in client_for(users["manager"]).get("/matching/triage/").content.decode()
    )
    secret.assigned_managers.add(users["manager"])
    assert (
        secret.get_absolute_url()
        in client_for(users["manager"]).get("/matching/triage/").content.decode()
    )


def test_the_industry_of_a_new_demand_is_suggested_from_similar_records(orgs, users):
    steel, battery = term("gbt4754", "33"), term("gbt4754", "38")
    # (titles differ by their text: a shared "需求 N" would pair steel i with battery i)
    for text in ["不锈钢焊缝耐腐蚀", "不锈钢管焊接工艺", "焊缝酸洗钝化防锈"]:
        make_demand(orgs["enterprise2"], title=f"{text}需求", description=text, industry=steel)
    for text in ["锂电池极片涂布", "锂电池热管理", "动力电池模组散热"]:
        make_demand(orgs["enterprise2"], title=f"{text}需求", description=text, industry=battery)
    new = make_demand(
        orgs["enterprise"],
        title="焊缝生锈",
        description="不锈钢管焊缝在海水里半年就锈蚀",
        industry=None,
    )
    suggested = triage.suggest_industry(users["bureau"], new)
    assert suggested[0].industry == steel and suggested[0].share > 0.5
    page = client_for(users["enterprise"]).get(new.get_absolute_url()).content.decode()
    assert 'data-testid="industry-suggestions"' in page and f'data-code="{steel.code}"' in page
    # the evaluation scores leave-one-out suggestions beside the majority baseline
    result = triage.evaluate_industry(users["bureau"], sample=10)
    assert result["demands"] == 6 and result["industries"] == 2
    assert result["top1_accuracy"] >= result["majority_baseline_accuracy"]
    assert 0 <= result["top1_accuracy"] <= result["top3_accuracy"] <= 1
