"""Registration: pre-check, moves, deadlines, expert review, number, certificate, concurrency."""

import datetime as dt
import io
import re
import threading
import time
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import OperationalError, connection
from pypdf import PdfReader

from tests.base import api_for, client_for
from tests.contracts import factories as cf
from tests.factories import term
from xiake.contracts import workflow
from xiake.contracts.models import Payment, RegistrationRuleSet, TechContract
from xiake.core.models import ChangeRecord
from xiake.core.review import TransitionError


def api_move(user, contract, action, **data):
    return api_for(user).post(f"/api/v1/contracts/{contract.pk}/{action}/", data, format="json")


@pytest.mark.django_db
class TestPrecheck:
    def test_a_bare_draft_lists_every_problem(self, orgs, users):
        c = cf.make_contract(
            orgs["university"],
            category=term("contract_type", "transfer"),
            subcategory=term("contract_type", "license_patent"),
        )
        fields = {p.field for p in workflow.precheck(c)}
        assert {
            "seller_party_type",
            "seller_region",
            "owner_org",
            "buyer_org",
            "buyer_party_type",
            "subject",
            "signed_on",
            "subcategory",
            "ip_type",
            "ip_numbers",
            "attachments",
        } <= fields

    def test_category_must_match_the_ip(self, orgs, users):
        c = cf.make_ready(
            orgs["university"],
            orgs["enterprise"],
            category=term("contract_type", "transfer"),
            subcategory=term("contract_type", "transfer_patent"),
            ip_type=term("ip_type", "know_how"),
            ip_numbers="ZL201910000000.1",
        )
        cf.attach(c, "专利证书.pdf")
        assert [p.field for p in workflow.precheck(c)] == ["ip_type"]
        c.ip_type = term("ip_type", "invention")
        c.save()
        assert workflow.precheck(c) == []

    def test_licences_need_a_scope_and_others_may_not_have_one(self, orgs, users):
        c = cf.make_ready(
            orgs["university"],
            orgs["enterprise"],
            category=term("contract_type", "license"),
            subcategory=term("contract_type", "license_know_how"),
            ip_type=term("ip_type", "know_how"),
        )
        assert [p.field for p in workflow.precheck(c)] == ["license_scope"]
        c2 = cf.make_ready(
            orgs["university"], orgs["enterprise"], license_scope=term("license_scope", "sole")
        )
        assert [p.field for p in workflow.precheck(c2)] == ["license_scope"]

    def test_payment_schedule_must_add_up(self, orgs, users):
        c = cf.make_ready(orgs["university"], orgs["enterprise"])
        Payment.objects.create(contract=c, due_on=dt.date(2025, 6, 1), amount=Decimal("100000"))
        problems = workflow.precheck(c)
        assert [p.field for p in problems] == ["payments"]
        assert "300000.00" in problems[0].message

    def test_the_page_and_the_api_show_the_precheck(self, orgs, users):
        c = cf.make_contract(orgs["university"], orgs["enterprise"])
        page = client_for(users["university"]).get(c.get_absolute_url()).content.decode()
        assert 'data-testid="precheck-problems"' in page
        r = api_for(users["university"]).get(f"/api/v1/contracts/{c.pk}/precheck/")
        assert r.status_code == 200 and r.json()["ok"] is False
        assert any(p["field"] == "attachments" for p in r.json()["problems"])
        r = api_move(users["university"], c, "submit")
        assert r.status_code == 409 and r.json()["problems"]
        c.refresh_from_db()
        assert c.status == "draft"


@pytest.mark.django_db
class TestWorkflow:
    def test_the_full_path_through_the_api(self, orgs, users):
        seller, bureau = users["university"], users["bureau"]
        c = cf.make_ready(orgs["university"], orgs["enterprise"])
        assert api_move(seller, c, "submit").json()["status"] == "submitted"
        c.refresh_from_db()
        assert c.rule_set is not None and c.deadline == c.rule_set.deadline(c.clock_started_on)
        assert api_move(seller, c, "accept").status_code == 403  # a party does not accept
        assert api_move(bureau, c, "accept").json()["status"] == "accepted"
        assert api_move(bureau, c, "review").json()["status"] == "reviewing"  # 25万: no experts
        r = api_move(bureau, c, "register", comment="符合认定条件")
        assert r.status_code == 200, r.json()
        number = r.json()["registration_no"]
        assert re.fullmatch(r"\d{16}", number) and number.startswith(str(dt.date.today().year))
        assert r.json()["deadline"] is None
        # impossible moves are refused and change nothing
        assert api_move(bureau, c, "accept").status_code == 409
        assert api_move(bureau, c, "amend").status_code == 409  # comment required
        assert api_move(bureau, c, "amend", comment="变更付款方式").json()["status"] == "amended"
        assert api_move(bureau, c, "cancel", comment="双方解除").json()["status"] == "cancelled"
        ct = ContentType.objects.get_for_model(TechContract)
        log = ChangeRecord.objects.filter(content_type=ct, object_id=str(c.pk), action="review")
        assert log.count() == 6
        assert all(r.actor_id in (seller.pk, bureau.pk) for r in log)
        assert log.filter(comment__contains="符合认定条件", actor=bureau).exists()

    def test_expert_review_from_five_million_and_for_disputes(self, orgs, users):
        bureau = users["bureau"]
        big = cf.make_ready(
            orgs["university"],
            orgs["enterprise"],
            total_amount=Decimal("5200000.00"),
            non_technical_amount=Decimal("200000.00"),
        )
        small = cf.make_ready(
            orgs["university"],
            orgs["enterprise"],
            total_amount=Decimal("5200000.00"),
            non_technical_amount=Decimal("200000.01"),  # 技术交易额 4,999,999.99
        )
        disputed = cf.make_ready(orgs["university"], orgs["enterprise"], disputed=True)
        for c in (big, small, disputed):
            workflow.transition(c, "submit", users["university"])
            workflow.transition(c, "accept", bureau)
            workflow.transition(c, "review", bureau)
        rules = RegistrationRuleSet.in_force(dt.date.today())
        if rules.expert_threshold is None:  # the 2000 rules know no expert review
            assert {big.status, small.status, disputed.status} == {"reviewing"}
            return
        assert big.status == "expert_review" and small.status == "reviewing"
        assert disputed.status == "expert_review"
        assert big.deadline == rules.deadline(dt.date.today(), expert=True)

    def test_expert_review_under_the_2026_rules(self, orgs, users):
        rules = RegistrationRuleSet.objects.get(code="miit-2026")
        c = cf.make_ready(
            orgs["university"],
            orgs["enterprise"],
            total_amount=Decimal("5e6"),
            non_technical_amount=0,
        )
        TechContract.objects.filter(pk=c.pk).update(status="accepted", rule_set=rules)
        c.refresh_from_db()
        workflow.transition(c, "review", users["bureau"])
        assert c.status == "expert_review"
        note = ChangeRecord.objects.filter(object_id=str(c.pk), action="review").first().comment
        assert "专家" in note or "expert" in note

    def test_a_correction_restarts_the_clock(self, orgs, users):
        seller, bureau = users["university"], users["bureau"]
        c = cf.make_ready(orgs["university"], orgs["enterprise"])
        workflow.transition(c, "submit", seller)
        TechContract.objects.filter(pk=c.pk).update(clock_started_on=dt.date(2020, 1, 2))
        c.refresh_from_db()
        with pytest.raises(TransitionError):
            workflow.transition(c, "return", bureau)  # needs a comment
        workflow.transition(c, "return", bureau, "请补充买方盖章页")
        assert c.status == "returned" and c.deadline is None
        assert c.last_comment == "请补充买方盖章页"
        # the seller edits again, then resubmits: the period starts anew today
        assert client_for(seller).get(f"/contracts/{c.pk}/edit/").status_code == 200
        workflow.transition(c, "submit", seller)
        assert c.clock_started_on == dt.date.today()
        assert c.deadline == c.rule_set.deadline(dt.date.today())

    def test_overdue_list(self, orgs, users):
        c = cf.make_ready(orgs["university"], orgs["enterprise"])
        workflow.transition(c, "submit", users["university"])
        TechContract.objects.filter(pk=c.pk).update(deadline=dt.date(2020, 1, 1))
        assert list(TechContract.objects.overdue()) == [TechContract.objects.get(pk=c.pk)]
        page = client_for(users["bureau"]).get("/contracts/deadlines/").content.decode()
        assert c.title in page and 'data-overdue="1"' in page
        other = client_for(users["university2"]).get("/contracts/deadlines/").content.decode()
        assert c.title not in other

    def test_pages_make_the_moves_and_refuse_stale_forms(self, orgs, users):
        c = cf.make_ready(orgs["university"], orgs["enterprise"])
        seller = client_for(users["university"])
        r = seller.post(f"/contracts/{c.pk}/act/", {"action": "submit", "version": c.version})
        assert r.status_code == 302
        c.refresh_from_db()
        assert c.status == "submitted"
        bureau = client_for(users["bureau"])
        bureau.post(f"/contracts/{c.pk}/act/", {"action": "accept", "version": 0})  # stale
        c.refresh_from_db()
        assert c.status == "submitted"
        assert seller.post(f"/contracts/{c.pk}/act/", {"action": "accept"}).status_code == 403
        assert (
            client_for(users["university2"])
            .post(f"/contracts/{c.pk}/act/", {"action": "accept"})
            .status_code
            == 404
        )

    def test_certificate_pdf_holds_the_number_in_chinese(self, orgs, users):
        c = cf.make_ready(orgs["university"], orgs["enterprise"])
        for action, user in (
            ("submit", "university"),
            ("accept", "bureau"),
            ("review", "bureau"),
            ("register", "bureau"),
        ):
            workflow.transition(c, action, users[user])
        assert (
            client_for(users["university2"]).get(f"/contracts/{c.pk}/certificate.pdf").status_code
            == 404
        )
        r = client_for(users["enterprise"]).get(f"/contracts/{c.pk}/certificate.pdf")
        assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
        assert b"STSong-Light" in r.content
        text = PdfReader(io.BytesIO(r.content)).pages[0].extract_text()
        assert c.registration_no in text
        assert "技术合同登记证明" in text and c.title in text

    def test_no_certificate_before_registration(self, orgs, users):
        c = cf.make_ready(orgs["university"], orgs["enterprise"])
        assert (
            client_for(users["university"]).get(f"/contracts/{c.pk}/certificate.pdf").status_code
            == 404
        )


def _race(contract_pk, users, action="register", comment=""):
    """Two registrars load the same contract, wait for each other, then both act."""
    barrier = threading.Barrier(2)
    results = []

    def act(user):
        try:
            c = TechContract.objects.get(pk=contract_pk)
            barrier.wait(timeout=10)
            for _attempt in range(50):
                try:
                    workflow.transition(c, action, user, comment)
                    break
                except OperationalError as exc:
                    # The in-memory test database uses SQLite's shared cache, whose table locks
                    # ignore busy_timeout; a file database (SQLITE_TEST_PATH) waits instead.
                    if "locked" not in str(exc):
                        raise
                    time.sleep(0.05)
            results.append("ok")
        except workflow.ConflictError:
            results.append("conflict")
        except Exception as exc:  # pragma: no cover - shown in the assertion
            results.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=act, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return sorted(results)


@pytest.mark.django_db(transaction=True)
def test_two_registrars_at_once_cannot_both_succeed(orgs, users):
    from tests.factories import make_user

    second = make_user("t_bureau2", "bureau", orgs["bureau"])
    c = cf.make_ready(orgs["university"], orgs["enterprise"])
    workflow.transition(c, "submit", users["university"])
    workflow.transition(c, "accept", users["bureau"])
    workflow.transition(c, "review", users["bureau"])
    results = _race(c.pk, [users["bureau"], second])
    assert results == ["conflict", "ok"], (connection.vendor, results)
    c.refresh_from_db()
    assert c.status == "registered" and c.version == 4
    assert ChangeRecord.objects.filter(object_id=str(c.pk), comment__startswith="登记").count() <= 1
    # the statistics cells moved once: the loser's transaction rolled its move back
    from xiake.contracts import rollup

    assert rollup.stored() == rollup.recompute()
    assert (
        rollup.stored()[("month", c.signed_on.year * 100 + c.signed_on.month, "registered", False)][
            0
        ]
        == 1
    )
