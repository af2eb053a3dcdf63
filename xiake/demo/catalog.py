"""Demo records of the resource libraries: experts, achievements, demands, platforms, staff.

All rows are bulk-created in batches and the many-to-many links are inserted straight into the
through tables, so 16,000 achievements take seconds. Bulk inserts bypass the change-log signals on
purpose: the command writes one summary change record instead.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

from django.db import connections, router
from django.utils import timezone

from xiake.accounts.models import Organization
from xiake.catalog.models import Achievement, Demand, Expert, Platform, TransferStaff
from xiake.core.review import ReviewStatus
from xiake.demo import text
from xiake.demo.idnumbers import unique_resident_id
from xiake.demo.orgs import World, phone
from xiake.demo.vocab import DOMAIN_BY_KEY, DOMAINS
from xiake.taxonomy.api import Resolver, SchemeNotFound

BATCH = 500

# Demand cases by the domain of the enterprise that would post them: a steel-structure maker asks
# for machine vision, so that case is the materials enterprises' although its technology is AI.
CASES_BY_OWNER: dict[str, list] = defaultdict(list)
for _d in DOMAINS:
    for _c in _d.demand_cases:
        CASES_BY_OWNER[_c.owner or _d.key].append((_d, _c))

STATUS_WEIGHTS = (
    (ReviewStatus.PUBLISHED, 86),
    (ReviewStatus.PENDING, 6),
    (ReviewStatus.DRAFT, 4),
    (ReviewStatus.RETURNED, 2.5),
    (ReviewStatus.REJECTED, 1.5),
)
RETURN_COMMENTS = (
    "成果简介过于简略，请补充技术指标的测试条件和应用情况。",
    "知识产权信息不完整，请补充专利号或登记号。",
    "合作方式与报价信息不一致，请核实后重新提交。",
    "关键词与成果内容不符，请修改。",
    "联系人电话无法接通，请更新联系方式。",
)
REJECT_COMMENTS = (
    "该成果与已发布成果重复，不予发布。",
    "成果尚处于基础研究阶段，暂不具备转化条件。",
    "提交单位无权处置该成果，请由成果权属单位提交。",
    "材料中含有涉密信息，不予公开发布。",
)


class Terms:
    """Term ids by scheme and code; a missing code falls back to its shorter prefixes."""

    def __init__(self, codes):
        self.ids: dict[str, dict[str, int]] = {}
        for code in codes:
            try:
                r = Resolver(code)
            except SchemeNotFound:
                self.ids[code] = {}
                continue
            self.ids[code] = {t.code: t.pk for t in r.terms}

    def get(self, scheme: str, code: str | None):
        if not code:
            return None
        table = self.ids.get(scheme, {})
        while code:
            if code in table:
                return table[code]
            code = code[:-1]
        return None

    def pick(self, rng: random.Random, scheme: str, codes, first_weight: float = 0.6):
        """One of ``codes`` (the first more often) resolved in ``scheme``."""
        if not codes:
            return None
        code = codes[0] if rng.random() < first_weight or len(codes) == 1 else rng.choice(codes[1:])
        return self.get(scheme, code)


SCHEMES = (
    "gbt13745",
    "gbt4754",
    "sei2018",
    "hightech8",
    "chain",
    "trl",
    "stage",
    "ip_type",
    "coop_mode",
    "achievement_type",
    "demand_type",
    "platform_type",
    "platform_level",
)


def review_fields(rng: random.Random, reviewer, now) -> dict:
    status = text.weighted(rng, STATUS_WEIGHTS)
    fields = {"status": status}
    if status != ReviewStatus.DRAFT:
        fields["submitted_at"] = now - dt.timedelta(
            days=rng.randint(1, 900), hours=rng.randint(0, 23)
        )
    if status in (ReviewStatus.PUBLISHED, ReviewStatus.RETURNED, ReviewStatus.REJECTED):
        fields["reviewed_by"] = reviewer
        fields["reviewed_at"] = fields["submitted_at"] + dt.timedelta(
            days=rng.randint(0, 10), hours=rng.randint(1, 8)
        )
    if status == ReviewStatus.RETURNED:
        fields["review_comment"] = rng.choice(RETURN_COMMENTS)
    elif status == ReviewStatus.REJECTED:
        fields["review_comment"] = rng.choice(REJECT_COMMENTS)
    elif status == ReviewStatus.PUBLISHED and rng.random() < 0.3:
        fields["review_comment"] = "信息完整，同意发布。"
    return fields


def _through_insert(m2m_field, pairs, left: str, right: str) -> int:
    """Insert (left id, right id) rows straight into a many-to-many table with executemany.

    Model instances and the ORM's insert compiler cost more than the insert itself here.
    """
    through = m2m_field.through
    meta = through._meta
    connection = connections[router.db_for_write(through)]
    qn = connection.ops.quote_name
    lcol, rcol = meta.get_field(left).column, meta.get_field(right).column
    sql = f"INSERT INTO {qn(meta.db_table)} ({qn(lcol)}, {qn(rcol)}) VALUES (%s, %s)"
    rows = list(dict.fromkeys(pairs))
    with connection.cursor() as cursor:
        for i in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[i : i + 5000])
    return len(rows)


def patent_number(rng: random.Random, kind: str = "1") -> str:
    """A CN application number ZLyyyyknnnnnnn.c with the CNIPA check digit."""
    body = f"{rng.randint(2016, 2024)}{kind}{rng.randint(0, 9999999):07d}"
    weights = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
    c = sum(int(x) * w for x, w in zip(body, weights, strict=True)) % 11
    return f"ZL{body}.{'X' if c == 10 else c}"


def ip_numbers(rng: random.Random, ip: str) -> str:
    n = rng.randint(1, 3)
    if ip == "invention":
        return ",".join(patent_number(rng, "1") for _ in range(n))
    if ip == "utility":
        return ",".join(patent_number(rng, "2") for _ in range(n))
    if ip == "software":
        return ",".join(
            f"{rng.randint(2018, 2024)}SR{rng.randint(100000, 1999999):07d}" for _ in range(n)
        )
    if ip == "ic_layout":
        return f"BS.{rng.randint(19, 24)}5{rng.randint(100000, 999999)}.{rng.randint(0, 9)}"
    if ip == "plant_variety":
        return f"CNA{rng.randint(2017, 2023)}{rng.randint(1000, 9999)}.{rng.randint(1, 9)}"
    return ""


class Builder:
    """Generates the catalogue for one :class:`World`; ``counts`` collects what was written."""

    def __init__(self, seed: int, world: World, users: dict, corpus: list[dict] | None = None):
        self.seed = seed
        self.w = world
        self.users = users
        self.corpus = corpus or []
        self.terms = Terms(SCHEMES)
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.counts: dict[str, int] = {}
        self.experts_by_group: dict[tuple[int, str], list[int]] = defaultdict(list)
        self.expert_meta: dict[int, tuple[str, int]] = {}  # expert id → (name, quota)
        self.orgs_by_id = {o.pk: o for o in world.universities + world.nris + world.enterprises}

    def rng(self, label: str) -> random.Random:
        return random.Random(f"{self.seed}:{label}")

    # -- experts ------------------------------------------------------------------------------
    def experts(self, n: int) -> list[Expert]:
        rng = self.rng("experts")
        w = self.w
        # Experts work at universities and institutions, which hold most achievements.
        pick_owner = text.Picker([(o, 8) for o in w.universities] + [(o, 1.2) for o in w.nris])
        objs, disc, names = [], [], set()
        reviewer = self.users.get("bureau")
        id_rng, id_numbers = self.rng("expert-ids"), set()  # its own stream: the rest unchanged
        while len(objs) < n:
            org = pick_owner(rng)
            name = text.person_name(rng)
            if (org.pk, name) in names:
                continue
            names.add((org.pk, name))
            d = w.domain_of(rng, org)
            title = text.expert_title(rng, academic=org.org_type == "university")
            facs = [f for f in w.faculties.get(org.pk, []) if f in d.faculties] or w.faculties.get(
                org.pk, []
            )
            unit = rng.choice(facs) if facs else ""
            fields = rng.sample(d.fields, rng.randint(2, 3))
            e = Expert(
                name=name,
                owner_org=org,
                title=title,
                research_fields="、".join(fields),
                bio=text.expert_bio(rng, name, title, org.name, unit, fields),
                phone=phone(rng),
                email=f"expert{len(objs) + 1:04d}@example.edu.cn",
                id_number=unique_resident_id(id_rng, id_numbers, born_from=1955, born_to=1992),
                is_demo=True,
                **review_fields(rng, reviewer, self.now),
            )
            e._domain = d
            objs.append(e)
            disc.append(
                [self.terms.pick(rng, "gbt13745", d.disciplines)]
                + (
                    [self.terms.get("gbt13745", rng.choice(d.disciplines))]
                    if rng.random() < 0.4
                    else []
                )
            )
        Expert.objects.bulk_create(objs, batch_size=BATCH)
        pairs = [(e.pk, t) for e, ts in zip(objs, disc, strict=True) for t in ts if t]
        _through_insert(Expert.disciplines, pairs, "expert", "term")
        for e in objs:
            self.experts_by_group[(e.owner_org_id, e._domain.key)].append(e.pk)
            self.expert_meta[e.pk] = (e.name, rng.randint(3, 30))
        self.counts["experts"] = len(objs)
        return objs

    # -- achievements -------------------------------------------------------------------------
    def achievements(self, n: int) -> None:
        rng = self.rng("achievements")
        w, t = self.w, self.terms
        owners = (
            [
                (o, 9 if o.name in ("南京大学", "东南大学", "南京邮电大学") else 5)
                for o in w.universities
            ]
            + [(o, 1.6) for o in w.nris]
            + [(o, 0.07) for o in w.enterprises]
        )
        pick_owner = text.Picker(owners)
        reviewer = self.users.get("bureau")
        uni_user = self.users.get("university")
        objs, coop_pairs, links = [], [], []
        used: set[tuple[int, str]] = set()
        load: dict[int, int] = defaultdict(int)
        kind_terms = {k: t.get("achievement_type", k) for k in ("applied", "basic", "soft")}
        coop = ("transfer", "license", "joint", "equity", "other", "self")
        # Three achievements first for every organisation with experts (when n allows), so each
        # expert can be linked to at least three of their own organisation's achievements.
        expert_keys: dict[int, list[str]] = defaultdict(list)
        for org_id, key in sorted(self.experts_by_group):
            expert_keys[org_id].append(key)
        reserved = []
        if n >= 3 * len(expert_keys):
            reserved = [(o, rng.choice(keys)) for o, keys in expert_keys.items() for _ in range(3)]
        for i in range(n):
            if i < len(reserved):
                org_id, key = reserved[i]
                org, d = self.orgs_by_id[org_id], DOMAIN_BY_KEY[key]
            else:
                org = pick_owner(rng)
                d = w.domain_of(rng, org)
            at = text.achievement(rng, d)
            title, summary, keywords = at.title, at.summary, at.keywords
            if self.corpus:
                row = self.corpus[i % len(self.corpus)]
                title = row["title"][:200]
                summary = row.get("abstract") or summary
                keywords = row.get("keywords") or keywords
            while (org.pk, title) in used:
                title = text.retitle(rng, title)[:200]
            used.add((org.pk, title))
            # Stage and TRL agree; theory and soft science stay early.
            if at.kind == "applied":
                stage = text.weighted(rng, (("early", 3), ("middle", 4), ("mature", 3)))
            else:
                stage = "early"
            trl = {
                "early": rng.randint(2, 4),
                "middle": rng.randint(5, 6),
                "mature": rng.randint(7, 9),
            }[stage]
            if at.kind == "basic":
                trl = rng.randint(1, 3)
            ip = text.weighted(
                rng,
                (
                    ("invention", 55),
                    ("utility", 12),
                    ("software", 30 if d.key == "ai" else 4),
                    ("ic_layout", 12 if d.key == "ic" else 0),
                    ("plant_variety", 15 if d.key == "agri" else 0),
                    ("know_how", 8),
                    ("other", 2),
                ),
            )
            if at.kind == "soft":
                ip, stage, trl = "other", None, None
            price = None
            if rng.random() < (0.75 if at.kind == "applied" else 0.1):
                base = rng.choice((5, 8, 10, 20, 30, 50, 80, 100, 150, 200, 300, 500, 800, 1200))
                price = (Decimal(base) * Decimal(rng.randint(80, 120)) / 100).quantize(
                    Decimal("0.01")
                )
            review = review_fields(rng, reviewer, self.now)
            names = []
            group = self.experts_by_group.get((org.pk, d.key), [])
            lead = None
            if group:
                free = [e for e in group if load[e] < self.expert_meta[e][1]]
                lead = rng.choice(free or group)
                names.append(self.expert_meta[lead][0])
                if load[lead] < 30:
                    load[lead] += 1
                    links.append((lead, i))
            names += [text.person_name(rng) for _ in range(rng.randint(1, 4))]
            a = Achievement(
                title=title,
                achievement_type_id=kind_terms[at.kind],
                owner_org=org,
                completers="、".join(dict.fromkeys(names)),
                keywords=",".join(keywords)[:300],
                discipline_id=t.pick(rng, "gbt13745", d.disciplines),
                industry_id=t.pick(rng, "gbt4754", d.industries, 0.5),
                emerging_industry_id=t.pick(rng, "sei2018", d.sei, 0.8),
                hightech_field_id=t.get("hightech8", d.hightech),
                chain_id=t.pick(rng, "chain", d.chains, 0.7),
                trl_id=t.get("trl", str(trl) if trl else None),
                stage_id=t.get("stage", stage),
                ip_type_id=t.get("ip_type", ip),
                ip_numbers=ip_numbers(rng, ip),
                asking_price=price,
                origin=text.weighted(rng, (("original", 70), ("secondary", 20), ("imported", 10))),
                completion_date=self.today - dt.timedelta(days=rng.randint(60, 6 * 365)),
                summary=summary,
                technical_indicators=at.technical_indicators,
                application_fields=at.application_fields,
                contact_name=text.person_name(rng),
                contact_phone=phone(rng),
                contact_email=f"tto{org.pk % 1000:03d}@example.edu.cn",
                created_by=uni_user if uni_user and uni_user.organization_id == org.pk else None,
                is_demo=True,
                **review,
            )
            objs.append(a)
            modes = rng.sample(coop[:5], rng.randint(1, 3))
            if rng.random() < 0.05:
                modes.append("self")
            coop_pairs.append(modes)
        Achievement.objects.bulk_create(objs, batch_size=BATCH)
        coop_ids = {c: t.get("coop_mode", c) for c in coop}
        _through_insert(
            Achievement.cooperation_modes,
            [
                (a.pk, coop_ids[c])
                for a, cs in zip(objs, coop_pairs, strict=True)
                for c in cs
                if coop_ids[c]
            ],
            "achievement",
            "term",
        )
        # Every expert gets 3–30 achievements of their own organisation (same domain first).
        by_org: dict[int, list[int]] = defaultdict(list)
        for idx, a in enumerate(objs):
            by_org[a.owner_org_id].append(idx)
        have: dict[int, set[int]] = defaultdict(set)
        for e, idx in links:
            have[e].add(idx)
        for (org_id, _key), experts in sorted(self.experts_by_group.items()):
            pool = by_org.get(org_id, [])
            for e in experts:
                want = min(3, len(pool)) - len(have[e])
                if want > 0:
                    extra = rng.sample(
                        [x for x in pool if x not in have[e]], min(want, len(pool) - len(have[e]))
                    )
                    have[e].update(extra)
        expert_pairs = [(e, objs[idx].pk) for e in sorted(have) for idx in sorted(have[e])]
        _through_insert(Expert.achievements, expert_pairs, "expert", "achievement")
        self.counts["achievements"] = len(objs)
        self.counts["expert–achievement links"] = len(expert_pairs)

    # -- demands ------------------------------------------------------------------------------
    def demands(self, n: int, demo_enterprise: Organization) -> None:
        rng = self.rng("demands")
        w, t = self.w, self.terms
        reviewer = self.users.get("bureau")
        manager = self.users.get("manager")
        ent_user = self.users.get("enterprise")
        owners = [demo_enterprise] * 6
        others = [o for o in w.enterprises if o.pk != demo_enterprise.pk]
        owners += [rng.choice(others) for _ in range(max(0, n - 6))]
        objs, coop, assigned, used = [], [], [], set()
        remaining: dict[int, list] = {}  # org id → cases this enterprise has not used yet
        # about half the demands declare a discipline of their case's domain; a stream of its
        # own, so the rest of the demands stay as they were before demands had one
        disciplines = self.rng("demand-disciplines")
        for i, org in enumerate(owners[:n]):
            own = w.domain_of(rng, org)
            cases = remaining.get(org.pk) or rng.sample(
                CASES_BY_OWNER[own.key], len(CASES_BY_OWNER[own.key])
            )
            d, case = cases.pop()
            remaining[org.pk] = cases
            dt_ = text.demand(rng, d, case, org.name)
            title = dt_.title
            while (org.pk, title) in used:
                title = text.retitle(rng, title)
            used.add((org.pk, title))
            dtype = text.weighted(
                rng,
                (
                    ("tackling", 55),
                    ("introduction", 20),
                    ("testing", 10),
                    ("talent", 8),
                    ("other", 7),
                ),
            )
            budget = Decimal(rng.choice((10, 20, 30, 50, 80, 100, 150, 200, 300, 500)))
            review = review_fields(rng, reviewer, self.now)
            if org.pk == demo_enterprise.pk and i < 2:
                review = {"status": (ReviewStatus.DRAFT, ReviewStatus.PENDING)[i]}
            confidential = rng.random() < 0.1
            objs.append(
                Demand(
                    title=title,
                    owner_org=org,
                    demand_type_id=t.get("demand_type", dtype),
                    keywords=",".join(dt_.keywords),
                    discipline_id=(
                        t.pick(disciplines, "gbt13745", d.disciplines, 0.7)
                        if disciplines.random() < 0.5
                        else None
                    ),
                    industry_id=t.pick(rng, "gbt4754", own.industries),
                    chain_id=t.pick(rng, "chain", own.chains, 0.7),
                    description=dt_.description,
                    technical_indicators=dt_.technical_indicators,
                    budget=budget,
                    expected_investment=budget * rng.choice((1, 2, 3, 5)),
                    preferred_partner=dt_.preferred_partner,
                    valid_until=self.today + dt.timedelta(days=rng.randint(-30, 540)),
                    is_confidential=confidential,
                    contact_name=org.contact_name,
                    contact_phone=org.contact_phone,
                    contact_email=f"rd{i + 1:03d}@example.com",
                    created_by=ent_user if ent_user and org.pk == demo_enterprise.pk else None,
                    is_demo=True,
                    **review,
                )
            )
            coop.append(rng.sample(("joint", "transfer", "license", "other"), rng.randint(1, 2)))
            assigned.append(manager is not None and (confidential or rng.random() < 0.2))
        if manager is not None and objs and not any(o.is_confidential for o in objs):
            objs[-1].is_confidential = True
            assigned[-1] = True
        Demand.objects.bulk_create(objs, batch_size=BATCH)
        _through_insert(
            Demand.cooperation_modes,
            [
                (o.pk, t.get("coop_mode", c))
                for o, cs in zip(objs, coop, strict=True)
                for c in cs
                if t.get("coop_mode", c)
            ],
            "demand",
            "term",
        )
        if manager is not None:
            _through_insert(
                Demand.assigned_managers,
                [(o.pk, manager.pk) for o, a in zip(objs, assigned, strict=True) if a],
                "demand",
                "user",
            )
        self.counts["demands"] = len(objs)
        self.counts["confidential demands"] = sum(o.is_confidential for o in objs)

    # -- platforms ----------------------------------------------------------------------------
    def platforms(self, n: int) -> None:
        rng = self.rng("platforms")
        w, t = self.w, self.terms
        reviewer = self.users.get("bureau")
        national_hosts = {
            "南京大学",
            "东南大学",
            "南京航空航天大学",
            "南京理工大学",
            "河海大学",
            "南京农业大学",
            "中国药科大学",
            "南京工业大学",
            "南京邮电大学",
        }
        objs, used = [], set()
        while len(objs) < n:
            roll = rng.random()
            if roll < 0.6:
                org = rng.choice(w.universities)
            elif roll < 0.85:
                org = rng.choice(w.nris)
            else:
                org = rng.choice(w.enterprises)
            d = w.domain_of(rng, org)
            topic = rng.choice(d.platform_topics)
            if org.org_type == "university":
                ptype = rng.choice(
                    (
                        "provincial_key_lab",
                        "engineering_center",
                        "engineering_center",
                        "instrument_sharing",
                        "national_key_lab",
                    )
                )
                if ptype == "national_key_lab" and org.name not in national_hosts:
                    ptype = "provincial_key_lab"
            elif org.org_type == "nri":
                ptype = rng.choice(("public_service", "pilot_base", "engineering_center"))
            else:
                ptype = "enterprise_tech_center"
            level = {
                "national_key_lab": "national",
                "provincial_key_lab": "provincial",
                "instrument_sharing": rng.choice(("municipal", "district")),
                "public_service": rng.choice(("municipal", "district")),
                "pilot_base": rng.choice(("provincial", "municipal")),
                "engineering_center": rng.choice(("provincial", "municipal")),
                "enterprise_tech_center": rng.choice(("provincial", "municipal")),
            }[ptype]
            prefix = {
                "national": "国家",
                "provincial": "江苏省",
                "municipal": "南京市",
                "district": "栖霞区",
            }
            name = {
                "national_key_lab": f"{topic}国家重点实验室",
                "provincial_key_lab": f"江苏省{topic}重点实验室",
                "engineering_center": f"{prefix[level]}{topic}工程技术研究中心",
                "instrument_sharing": f"{org.name}{topic}大型仪器共享平台",
                "public_service": f"{prefix[level]}{topic}公共技术服务平台",
                "pilot_base": f"{prefix[level]}{topic}中试基地",
                "enterprise_tech_center": f"{prefix[level]}{topic}企业技术中心",
            }[ptype]
            if (org.pk, name) in used or (
                ptype == "national_key_lab" and any(p.name == name for p in objs)
            ):
                continue
            used.add((org.pk, name))
            objs.append(
                Platform(
                    name=name,
                    owner_org=org,
                    platform_type_id=t.get("platform_type", ptype),
                    level_id=t.get("platform_level", level),
                    discipline_id=t.pick(rng, "gbt13745", d.disciplines),
                    industry_id=t.pick(rng, "gbt4754", d.industries),
                    services=text.platform_services(rng, d, topic),
                    equipment=text.equipment(rng, d),
                    open_to_enterprises=rng.random() < 0.85,
                    address=org.address,
                    contact_name=text.person_name(rng),
                    contact_phone=phone(rng),
                    contact_email=f"platform{len(objs) + 1:03d}@example.edu.cn",
                    is_demo=True,
                    **review_fields(rng, reviewer, self.now),
                )
            )
        Platform.objects.bulk_create(objs, batch_size=BATCH)
        self.counts["platforms"] = len(objs)

    # -- transfer staff -----------------------------------------------------------------------
    def staff(self, n: int) -> None:
        rng = self.rng("staff")
        w = self.w
        reviewer = self.users.get("bureau")
        manager = self.users.get("manager")
        objs, used, certs = [], set(), set()
        id_rng, id_numbers = self.rng("staff-ids"), set()  # its own stream: the rest unchanged
        if manager is not None:
            objs.append(
                TransferStaff(
                    name=manager.last_name + manager.first_name,
                    owner_org=manager.organization,
                    kind=TransferStaff.Kind.MANAGER,
                    level=TransferStaff.Level.SENIOR,
                    certificate_no="JSTM2023000001",
                    certificate_issuer="江苏省技术市场协会",
                    certificate_expires=self.today + dt.timedelta(days=3 * 365),
                    expertise="新材料、先进制造领域成果评价与技术交易；技术合同认定登记辅导",
                    phone=manager.phone,
                    email=manager.email or "manager@example.com",
                    id_number=unique_resident_id(id_rng, id_numbers),
                    user=manager,
                    status=ReviewStatus.PUBLISHED,
                    is_demo=True,
                )
            )
            used.add((manager.organization_id, objs[0].name))
            certs.add("JSTM2023000001")
        issuers = {
            "manager": (
                "江苏省技术市场协会",
                "中国技术市场协会",
                "南京技术转移中心",
                "国家技术转移东部中心",
            ),
            "broker": ("江苏省科学技术厅", "江苏省技术市场协会"),
        }
        while len(objs) < n:
            kind = text.weighted(rng, (("manager", 60), ("broker", 22), ("commissioner", 18)))
            if kind == "commissioner":
                org = rng.choice(w.enterprises)
            elif kind == "broker":
                org = rng.choice(w.intermediaries)
            else:
                org = text.weighted(
                    rng,
                    (
                        (rng.choice(w.intermediaries), 5),
                        (rng.choice(w.universities), 3),
                        (rng.choice(w.nris), 2),
                    ),
                )
            name = text.person_name(rng)
            if (org.pk, name) in used:
                continue
            used.add((org.pk, name))
            fields = "、".join(rng.choice(d.fields) for d in rng.sample(DOMAINS, 2))
            level, cert, issuer, expires = "", None, "", None
            if kind != "commissioner":
                year = rng.randint(2019, 2025)
                prefix = "JSTM" if kind == "manager" else "JSJJ"
                while cert is None or cert in certs:
                    cert = f"{prefix}{year}{rng.randint(1, 999999):06d}"
                certs.add(cert)
                issuer = rng.choice(issuers[kind])
                # Mostly valid; a few lapsed so the early-warning views have something to show.
                expires = self.today + dt.timedelta(days=rng.randint(-120, 4 * 365))
                level = (
                    text.weighted(rng, (("junior", 45), ("intermediate", 35), ("senior", 20)))
                    if kind == "manager"
                    else text.weighted(rng, (("junior", 60), ("intermediate", 40)))
                )
            objs.append(
                TransferStaff(
                    name=name,
                    owner_org=org,
                    kind=kind,
                    level=level,
                    certificate_no=cert,
                    certificate_issuer=issuer,
                    certificate_expires=expires,
                    expertise=f"{fields}领域的技术需求挖掘、成果评价与供需对接",
                    phone=phone(rng),
                    email=f"staff{len(objs) + 1:03d}@example.com",
                    id_number=unique_resident_id(id_rng, id_numbers),
                    is_demo=True,
                    **review_fields(rng, reviewer, self.now),
                )
            )
        TransferStaff.objects.bulk_create(objs, batch_size=BATCH)
        self.counts["transfer staff"] = len(objs)
        for kind in ("manager", "broker", "commissioner"):
            self.counts[f"  of which {kind}s"] = sum(o.kind == kind for o in objs)


def domain_keys() -> list[str]:
    return [d.key for d in DOMAINS]


__all__ = ["Builder", "DOMAIN_BY_KEY", "Terms", "patent_number"]
