"""Confidential (保密) contracts: amounts encrypted at rest, masked for those who may not see them,
and statistics still equal to the plain sums."""

import io
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from openpyxl import load_workbook

from tests.base import api_for, client_for
from tests.contracts.factories import make_contract, make_ready
from tests.contracts.test_rollup import assert_rollup_matches, varied  # noqa: F401
from tests.factories import make_user
from xiake.contracts import rollup, stats, workflow
from xiake.contracts.models import TechContract
from xiake.core import crypto
from xiake.core.models import ChangeRecord

SECRET_TOTAL, SECRET_NON_TECH = Decimal("8765432.19"), Decimal("123456.78")
SECRET_TECH = SECRET_TOTAL - SECRET_NON_TECH


def raw_row(pk) -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM contracts_techcontract WHERE id = %s", [pk])
        names = [c[0] for c in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


def text_forms(amount: Decimal) -> list[str]:
    """How an amount could appear in clear: 8765432.19, 8,765,432.19, 876543219 (fen)."""
    return [str(amount), f"{amount:,.2f}", str(int(amount * 100))]


@pytest.fixture
def secret(orgs, users):
    return make_ready(
        orgs["university"],
        orgs["enterprise"],
        title="保密合同甲",
        confidential=True,
        total_amount=SECRET_TOTAL,
        non_technical_amount=SECRET_NON_TECH,
    )


@pytest.mark.django_db
def test_sql_sees_no_confidential_amount_and_the_application_reads_it(secret):
    row = raw_row(secret.pk)
    for column in ("total_amount", "non_technical_amount", "tech_amount"):
        assert Decimal(row[column]) == 0
    assert row["sealed_amounts"].startswith(crypto.TOKEN_PREFIX)
    dump = " ".join(str(v) for v in row.values())
    for amount in (SECRET_TOTAL, SECRET_NON_TECH, SECRET_TECH):
        for form in text_forms(amount):
            assert form not in dump
    again = TechContract.objects.get(pk=secret.pk)
    assert (again.total_amount, again.non_technical_amount, again.tech_amount) == (
        SECRET_TOTAL,
        SECRET_NON_TECH,
        SECRET_TECH,
    )
    # the change log keeps no amount either
    logged = json.dumps(
        [[r.before, r.after] for r in ChangeRecord.objects.filter(object_id=str(secret.pk))],
        ensure_ascii=False,
        default=str,
    )
    for form in text_forms(SECRET_TOTAL):
        assert form not in logged


@pytest.mark.django_db
def test_lifting_confidentiality_puts_the_amounts_back_in_plain(secret):
    secret.confidential = False
    secret.save(update_fields=["confidential"])
    row = raw_row(secret.pk)
    # (SQLite answers a float for a decimal column read with raw SQL)
    assert Decimal(str(row["total_amount"])) == SECRET_TOTAL and row["sealed_amounts"] == ""
    secret.confidential = True
    secret.save()
    row = raw_row(secret.pk)
    assert Decimal(row["total_amount"]) == 0 and row["sealed_amounts"]
    assert TechContract.objects.get(pk=secret.pk).total_amount == SECRET_TOTAL


@pytest.mark.django_db
def test_a_workflow_move_keeps_the_amounts_sealed_and_the_cells_right(secret, users):
    workflow.transition(secret, "submit", users["university"])
    secret = TechContract.objects.get(pk=secret.pk)
    for action in ("accept", "review"):
        workflow.transition(secret, action, users["bureau"])
        secret = TechContract.objects.get(pk=secret.pk)
    assert Decimal(raw_row(secret.pk)["total_amount"]) == 0
    assert rollup.stored() == rollup.recompute()
    total_fen = sum(
        t for (dim, _k, status, _o), (_c, t, _x) in rollup.stored().items() if dim == "month"
    )
    assert total_fen == rollup.fen(SECRET_TOTAL)


def plain_sums(contracts) -> tuple[int, Decimal, Decimal]:
    """The sums computed from the contracts' plain values, in Python."""
    objs = [TechContract.objects.get(pk=c.pk) for c in contracts]
    return (
        len(objs),
        sum((c.total_amount for c in objs), Decimal(0)),
        sum((c.tech_amount for c in objs), Decimal(0)),
    )


@pytest.mark.django_db
def test_statistics_equal_the_plain_sums_with_confidential_contracts(varied, users, orgs):  # noqa: F811
    for c in varied[::3]:  # a third of them confidential, in different states and groups
        c.confidential = True
        c.save()
    assert TechContract.objects.filter(confidential=True).count() == 4
    # the cells, and every page variant from the cells, equal a direct grouping
    assert_rollup_matches(users["bureau"])
    # … and the totals equal the plain sums of what each one may see
    bureau_all = [c for c in varied if c.status != "draft"]
    total, _sections = stats.report(users["bureau"], "all", "year")
    assert (total.count, total.total, total.tech) == plain_sums(bureau_all)
    mine = [c for c in varied if orgs["university"].pk in (c.owner_org_id, c.buyer_org_id)]
    total, sections = stats.report(users["university"], "all", "year")
    assert (total.count, total.total, total.tech) == plain_sums(mine)
    for _heading, rows in sections[:-1]:  # every breakdown adds up to the same total
        assert sum((r.total for r in rows), Decimal(0)) == total.total
    registered = [c for c in varied if c.status in ("registered", "amended")]
    total, _sections = stats.report(users["bureau"], "registered", "month", use_rollup=False)
    assert (total.count, total.total, total.tech) == plain_sums(registered)


@pytest.mark.django_db
def test_statistics_leave_out_confidential_amounts_a_user_may_not_see(orgs, users):
    manager = make_user("party_manager", "manager", orgs["university"])
    plain = make_contract(
        orgs["university"], total_amount=Decimal("1000.00"), non_technical_amount=Decimal("0")
    )
    make_contract(
        orgs["university"],
        confidential=True,
        total_amount=Decimal("5000.00"),
        non_technical_amount=Decimal("0"),
    )
    total, _ = stats.report(users["university"], "all", "year")
    assert (total.count, total.total) == (2, Decimal("6000.00"))
    total, _ = stats.report(manager, "all", "year")
    assert (total.count, total.total) == (2, plain.total_amount)  # counted, amount not summed


def test_the_bureau_can_export_statistics_with_confidential_amounts(secret, users):
    secret_plain = make_ready(
        secret.owner_org, secret.buyer_org, total_amount=Decimal("100000.00"), status="registered"
    )
    TechContract.objects.filter(pk=secret.pk).update(status="registered")
    rollup.rebuild()
    response = client_for(users["bureau"]).get(
        reverse("contracts:statistics"), {"scope": "registered", "export": "xlsx"}
    )
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    expected = SECRET_TOTAL + secret_plain.total_amount
    assert f" · 2 · {expected} · " in ws["A1"].value  # title: scope · count · 成交额 · 技术交易额
    period_rows = []
    for row in ws.iter_rows(min_row=4, values_only=True):
        if not row or row[0] is None:
            break
        period_rows.append(row)
    assert sum(Decimal(str(r[2])) for r in period_rows).quantize(Decimal("0.01")) == expected


def _seen(user, secret) -> dict[str, str]:
    """The list page, detail page, API, CSV and XLSX export as ``user`` sees them."""
    client = client_for(user)
    xlsx = client.get(reverse("contracts:techcontract_list"), {"export": "xlsx"})
    cells = " ".join(
        str(v)
        for row in load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True)
        for v in row
        if v is not None
    )
    return {
        "list": client.get(reverse("contracts:techcontract_list")).content.decode(),
        "detail": client.get(
            reverse("contracts:techcontract_detail", args=[secret.pk])
        ).content.decode(),
        "api": json.dumps(
            api_for(user).get(f"/api/v1/contracts/{secret.pk}/").json(), ensure_ascii=False
        ),
        "api_list": json.dumps(api_for(user).get("/api/v1/contracts/").json(), ensure_ascii=False),
        "csv": client.get(reverse("contracts:techcontract_list"), {"export": "csv"}).content.decode(
            "utf-8-sig"
        ),
        "xlsx": cells,
    }


def _shows(text: str, amount: Decimal) -> bool:
    return any(form in text for form in (*text_forms(amount), f"{amount:,}"))


def test_confidential_amounts_are_masked_for_a_party_s_manager(secret, orgs, users):
    manager = make_user("party_manager", "manager", orgs["university"])
    seen = _seen(manager, secret)
    for where, text in seen.items():
        assert "保密合同甲" in text, where  # the contract itself is visible to the party
        for amount in (SECRET_TOTAL, SECRET_NON_TECH, SECRET_TECH):
            assert not _shows(text, amount), (where, amount)
        assert "保密" in text.replace("保密合同甲", ""), where
    api = api_for(manager).get(f"/api/v1/contracts/{secret.pk}/").json()
    assert api["total_amount"] == api["tech_amount"] == "保密"


@pytest.mark.parametrize("persona", ["bureau", "university", "enterprise"])
def test_confidential_amounts_are_clear_for_the_registrar_and_the_parties(secret, users, persona):
    from xiake.contracts import workflow as wf

    wf.transition(secret, "submit", users["university"])  # the bureau sees it from submission
    seen = _seen(users[persona], TechContract.objects.get(pk=secret.pk))
    for where, text in seen.items():
        if where in ("list", "detail"):  # pages show yuan formatted by the locale
            assert _shows(text, SECRET_TOTAL) or "8765432" in text.replace(",", ""), where
        else:
            assert _shows(text, SECRET_TOTAL), where
    api = api_for(users[persona]).get(f"/api/v1/contracts/{secret.pk}/").json()
    assert Decimal(api["total_amount"]) == SECRET_TOTAL


def test_the_api_accepts_and_seals_a_confidential_contract(orgs, users):
    contract = make_contract(orgs["university"], orgs["enterprise"])
    r = api_for(users["university"]).patch(
        f"/api/v1/contracts/{contract.pk}/",
        {"confidential": True, "total_amount": "4321.00", "non_technical_amount": "0.00"},
        format="json",
    )
    assert r.status_code == 200, r.content
    assert Decimal(raw_row(contract.pk)["total_amount"]) == 0
    assert TechContract.objects.get(pk=contract.pk).total_amount == Decimal("4321.00")
    assert rollup.stored() == rollup.recompute()


def test_workload_and_funnel_count_confidential_values_only_for_the_bureau(orgs, users):
    """The brokerage sums (per manager, per demand) read the contract columns in SQL; the sealed
    amounts are added for those who may see them, so the bureau's figures are the plain sums."""
    from tests.brokerage.test_cases import make_case
    from xiake.brokerage.models import DockingCase
    from xiake.brokerage.workload import workload

    case = make_case(orgs["enterprise"], title="签约", manager=users["manager"])
    DockingCase.objects.filter(pk=case.pk).update(stage="signed")
    for amount, confidential in ((Decimal("1000.00"), False), (SECRET_TOTAL, True)):
        make_contract(
            orgs["university"],
            orgs["enterprise"],
            docking_case=case,
            total_amount=amount,
            non_technical_amount=Decimal("0"),
            status="registered",
            confidential=confidential,
        )
    rows = {r.manager_id: r for r in workload(users["bureau"])}
    assert rows[users["manager"].pk].signed_contracts == 2
    assert rows[users["manager"].pk].signed_value == SECRET_TOTAL + Decimal("1000.00")
    # the manager counts the contract but does not learn its value
    (mine,) = workload(users["manager"])
    assert mine.signed_contracts == 2 and mine.signed_value == Decimal("1000.00")


def test_the_payment_schedule_is_sealed_with_its_contract(orgs, users):
    from xiake.contracts.models import Payment

    contract = make_contract(
        orgs["university"],
        orgs["enterprise"],
        total_amount=Decimal("3000.00"),
        non_technical_amount=Decimal("0"),
    )
    client = client_for(users["university"])
    for amount in ("1000.00", "2000.00"):
        client.post(
            reverse("contracts:payment_add", args=[contract.pk]),
            {"due_on": "2026-12-01", "amount": amount},
        )
    payments = list(Payment.objects.filter(contract=contract))
    assert len(payments) == 2

    def raw_amounts():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT amount, sealed_amounts FROM contracts_payment WHERE contract_id = %s "
                "ORDER BY id",
                [contract.pk],
            )
            return [(Decimal(str(a)), s) for a, s in cursor.fetchall()]

    assert [a for a, _s in raw_amounts()] == [Decimal("1000"), Decimal("2000")]
    contract.confidential = True
    contract.save()
    assert all(a == 0 and s.startswith(crypto.TOKEN_PREFIX) for a, s in raw_amounts())
    assert [p.amount for p in Payment.objects.filter(contract=contract).order_by("id")] == [
        Decimal("1000.00"),
        Decimal("2000.00"),
    ]
    # the pre-check still adds the instalments up against the total
    problems = workflow.precheck(TechContract.objects.get(pk=contract.pk))
    assert "payments" not in {p.field for p in problems}
    # a party's manager sees the schedule without amounts
    manager = make_user("party_manager", "manager", orgs["university"])
    page = client_for(manager).get(contract.get_absolute_url()).content.decode()
    assert "1000.00" not in page and "2000.00" not in page and "3000.00" not in page
    contract.confidential = False
    contract.save()
    assert [a for a, s in raw_amounts() if s == ""] == [Decimal("1000"), Decimal("2000")]
