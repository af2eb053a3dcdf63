"""Demo contracts in every registration state (a step of `xiake demo`).

Deterministic for a seed. Sellers are the demo universities and new R&D institutions (the demo
``university`` account's organisation sells the first ones), buyers the demo enterprises (the demo
``enterprise`` account's company buys the first ones), so every demo login finds its contracts.
``generate`` returns the registered totals it created; a test checks the statistics page against
them to the fen.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from xiake.contracts import rollup
from xiake.contracts.models import (
    REGISTERED_STATES,
    Payment,
    RegistrationRuleSet,
    RegistrationStatus,
    TechContract,
)
from xiake.contracts.workflow import registry_code
from xiake.core.models import Attachment
from xiake.taxonomy.api import resolve

S = RegistrationStatus
# How many contracts of each state: most are registered, every state is present.
PLAN = (
    (S.REGISTERED, 30),
    (S.AMENDED, 3),
    (S.CANCELLED, 2),
    (S.REFUSED, 3),
    (S.EXPERT_REVIEW, 2),
    (S.REVIEWING, 3),
    (S.ACCEPTED, 2),
    (S.SUBMITTED, 4),
    (S.RETURNED, 2),
    (S.DRAFT, 4),
)
SUBJECTS = (
    ("development", "development_commissioned", None, "委托开发{}智能检测系统", "manufacturing"),
    ("development", "development_cooperative", None, "合作开发{}新型复合材料", "materials"),
    ("transfer", "transfer_patent", "invention", "“{}”发明专利权转让", "electronics"),
    ("transfer", "transfer_know_how", "know_how", "{}工艺技术秘密转让", "manufacturing"),
    ("license", "license_patent", "invention", "{}专利实施许可", "biomedicine"),
    ("consulting", None, None, "{}技术路线咨询", "energy"),
    ("service", None, None, "{}检测与工艺优化技术服务", "environment"),
    ("training", None, None, "{}工程师技术培训", "electronics"),
)
TOPICS = (
    "高精度传感",
    "锂电池回收",
    "工业视觉",
    "海水淡化膜",
    "生物降解塑料",
    "储能变流",
    "轨道减振",
    "芯片封装",
)


def _orgs(world, attr):
    return [o for o in getattr(world, attr, None) or [] if o is not None]


def generate(context) -> dict:
    rng = random.Random(f"{context.seed}:contracts")
    world, users = context.world, context.users
    sellers = _orgs(world, "universities") + _orgs(world, "nris")
    buyers = _orgs(world, "enterprises")
    demo_seller = getattr(users.get("university"), "organization", None)
    demo_buyer = getattr(users.get("enterprise"), "organization", None)
    if demo_seller is not None:
        sellers = [demo_seller, *[s for s in sellers if s.pk != demo_seller.pk]]
    if demo_buyer is not None:
        buyers = [demo_buyer, *[b for b in buyers if b.pk != demo_buyer.pk]]
    if not sellers or not buyers:
        return {}
    creator = users.get("university")
    registrar = users.get("bureau")
    today = timezone.localdate()
    rules = RegistrationRuleSet.in_force(today)
    old_rules = RegistrationRuleSet.in_force(dt.date(2025, 6, 30))
    party = {
        "university": resolve("party_type", "022"),
        "nri": resolve("party_type", "021"),
        "enterprise": resolve("party_type", "100"),
    }
    serial = {}
    contracts = []
    i = 0
    for status, n in PLAN:
        for _ in range(n):
            cat, sub, ip, title, field = SUBJECTS[i % len(SUBJECTS)]
            seller = sellers[i % len(sellers)] if i % 3 else sellers[0]
            buyer = buyers[i % len(buyers)] if i % 4 else buyers[0]
            total = Decimal(rng.randrange(50_000_00, 3_000_000_00, 100)) / 100
            if i % 17 == 5:  # a few large contracts (≥ 500万元 → expert review)
                total = Decimal(rng.randrange(5_000_000_00, 12_000_000_00, 100)) / 100
            if status == S.EXPERT_REVIEW:
                total = Decimal("6800000.00")
            non_tech = (total * Decimal(rng.choice((0, 0, 5, 10, 20))) / 100).quantize(
                Decimal("0.01")
            )
            signed = today - dt.timedelta(days=rng.randrange(20, 700))
            c = TechContract(
                title=title.format(TOPICS[i % len(TOPICS)]) + f"（{i + 1}）",
                contract_no=f"XK-{signed.year}-{i + 1:04d}",
                category=resolve("contract_type", cat),
                subcategory=resolve("contract_type", sub) if sub else None,
                license_scope=resolve("license_scope", "ordinary") if cat == "license" else None,
                technical_field=resolve("contract_field", field),
                owner_org=seller,
                seller_party_type=party.get(seller.org_type, party["university"]),
                seller_region=seller.region_code or "320113",
                buyer_org=buyer,
                buyer_party_type=party["enterprise"],
                buyer_region=buyer.region_code or ("320113" if buyer.is_local else "310115"),
                subject=f"{title.format(TOPICS[i % len(TOPICS)])}，含技术资料交付与现场指导。",
                ip_type=resolve("ip_type", ip) if ip else None,
                ip_numbers=f"ZL20{rng.randrange(18, 24)}1{rng.randrange(10**7, 10**8)}.X"
                if ip == "invention"
                else "",
                signed_on=signed,
                valid_from=signed,
                valid_to=signed + dt.timedelta(days=365 * rng.choice((1, 2, 3))),
                total_amount=total,
                non_technical_amount=non_tech,
                tech_amount=total - non_tech,
                disputed=status == S.EXPERT_REVIEW and i % 2 == 1,
                signed_online=i % 3 == 0,
                # a few confidential (保密) ones: amounts encrypted, shown to bureau and parties
                confidential=i % 11 == 7,
                status=status,
                created_by=creator,
            )
            if status != S.DRAFT:
                started = signed + dt.timedelta(days=rng.randrange(3, 15))
                if status in (S.SUBMITTED, S.ACCEPTED, S.REVIEWING, S.EXPERT_REVIEW):
                    started = today - dt.timedelta(days=rng.randrange(1, 30))
                c.rule_set = rules if started >= rules.effective_from else old_rules
                c.submitted_at = timezone.make_aware(dt.datetime.combine(started, dt.time(10, 0)))
                c.clock_started_on = started
                if status in (S.SUBMITTED, S.ACCEPTED, S.REVIEWING, S.EXPERT_REVIEW):
                    c.deadline = c.rule_set.deadline(started, expert=status == S.EXPERT_REVIEW)
                if status != S.SUBMITTED:
                    c.registrar = registrar
            if status in (*REGISTERED_STATES, S.CANCELLED):
                c.registered_on = c.clock_started_on + dt.timedelta(days=rng.randrange(5, 20))
                year = c.registered_on.year
                serial[year] = serial.get(year, 0) + 1
                c.registration_no = f"{year:04d}{registry_code()}{900000 + serial[year]:06d}"
                c.last_comment = "符合技术合同认定条件，予以登记。"
            elif status == S.RETURNED:
                c.last_comment = "请补充加盖双方公章的合同文本扫描件。"
            elif status == S.REFUSED:
                c.last_comment = "合同标的为一般商品买卖，不属于技术合同。"
            contracts.append(c)
            i += 1
    TechContract.objects.bulk_create(contracts)
    rollup.add(contracts)  # bulk_create calls no save(): count them in the statistics cells
    payments, attachments = [], []
    for c in contracts:
        first = (c.total_amount * Decimal("0.3")).quantize(Decimal("0.01"))
        payments.append(
            Payment(
                contract=c,
                confidential=c.confidential,  # bulk_create calls no save(), which copies it
                due_on=c.signed_on + dt.timedelta(days=30),
                amount=first,
                received_on=c.signed_on + dt.timedelta(days=28) if c.status != S.DRAFT else None,
                received_amount=first if c.status != S.DRAFT else Decimal("0.00"),
            )
        )
        payments.append(
            Payment(
                contract=c,
                confidential=c.confidential,
                due_on=c.valid_to,
                amount=c.total_amount - first,
            )
        )
        if c.status != S.DRAFT or c.pk % 2:
            name = f"{c.contract_no} 合同扫描件.pdf"
            attachments.append((c, name))
    Payment.objects.bulk_create(payments)
    for c, name in attachments:
        Attachment.objects.create(
            parent=c, file=ContentFile(_pdf_stub(c.title), name=name), name=name, size=0
        )
    registered = [c for c in contracts if c.status in REGISTERED_STATES]
    return {
        "technology contracts": len(contracts),
        "registered contracts": len(registered),
        "confidential contracts": sum(c.confidential for c in contracts),
        "registered 成交额 (yuan)": sum((c.total_amount for c in registered), Decimal(0)),
        "registered 技术交易额 (yuan)": sum((c.tech_amount for c in registered), Decimal(0)),
    }


def _pdf_stub(title: str) -> bytes:
    return b"%PDF-1.4\n% demo contract scan\n%%EOF\n"


def flush() -> dict:
    qs = TechContract.objects.filter(owner_org__is_demo=True) | TechContract.objects.filter(
        buyer_org__is_demo=True
    )
    ids = list(qs.values_list("pk", flat=True))
    from django.contrib.contenttypes.models import ContentType

    ct = ContentType.objects.get_for_model(TechContract)
    Attachment.objects.filter(content_type=ct, object_id__in=ids).delete()
    Payment.objects.filter(contract_id__in=ids).delete()
    n, _ = TechContract.objects.filter(pk__in=ids).delete()
    return {"technology contracts": len(ids)}
