"""Orchestration of the demo data: flush, organisations, accounts, catalogue, one change record."""

from __future__ import annotations

import gzip
import json
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from xiake.accounts.models import Organization
from xiake.catalog.models import (
    Achievement,
    Agency,
    AllianceMember,
    Demand,
    Expert,
    Faculty,
    Platform,
    SubCentre,
    TransferStaff,
    University,
)
from xiake.demo import extensions
from xiake.demo import orgs as orgs_mod
from xiake.demo.accounts import DEMO_USERNAMES, create_accounts
from xiake.demo.catalog import Builder


class DemoError(Exception):
    """The demo data cannot be written as asked; the message says why."""


@dataclass
class Options:
    seed: int = 42
    achievements: int = 16000
    demands: int = 117
    experts: int = 782
    platforms: int = 118
    staff: int = 500
    enterprises: int = 320
    nris: int = 53
    intermediaries: int = 54
    corpus: str | None = None


@dataclass
class Result:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    flushed: dict[str, int] = field(default_factory=dict)


def has_demo_data() -> bool:
    return Organization.objects.filter(is_demo=True).exists()


def read_corpus(path: str, limit: int) -> list[dict]:
    """Rows with a title from a JSONL or JSONL.gz file (title, abstract, keywords), in order."""
    p = Path(path)
    if not p.exists():
        raise DemoError(f"corpus file not found: {p}")
    opener = gzip.open if p.suffix == ".gz" else open
    rows = []
    with opener(p, "rt", encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DemoError(f"{p}, line {lineno}: not JSON ({exc.msg})") from None
            title = str(obj.get("title") or "").strip()
            if not title:
                continue
            kws = obj.get("keywords") or []
            if isinstance(kws, str):
                kws = [k for k in kws.replace("，", ",").replace("；", ",").split(",") if k.strip()]
            kws = [str(k).strip() for k in kws if len(str(k).strip()) > 1][:6]
            rows.append(
                {
                    "title": title,
                    "abstract": str(obj.get("abstract") or "").strip(),
                    "keywords": kws,
                }
            )
            if len(rows) >= limit:
                break
    if not rows:
        raise DemoError(f"{p}: no rows with a 'title'")
    return rows


def _raw_delete(qs) -> int:
    # QuerySet._raw_delete: one DELETE statement, no per-object signals (no change-log noise).
    return qs._raw_delete(qs.db)


def _blockers(demo_orgs) -> list[str]:
    """Non-demo rows that point at demo organisations and would be left dangling."""
    problems = []
    for rel in Organization._meta.get_fields(include_hidden=True):
        # Reverse relations only, hidden ones (related_name="+") included.
        if not rel.auto_created or rel.concrete or rel.many_to_many:
            continue
        model = rel.related_model
        qs = model._base_manager.filter(**{f"{rel.field.name}__in": demo_orgs})
        if any(f.name == "is_demo" for f in model._meta.fields):
            qs = qs.filter(is_demo=False)
        elif model._meta.label_lower == "accounts.user":
            qs = qs.exclude(username__in=DEMO_USERNAMES)
        elif model in (Faculty, SubCentre, AllianceMember):
            continue
        n = qs.count()
        if n:
            problems.append(f"{n} {model._meta.verbose_name_plural} ({model._meta.label})")
    return problems


def flush() -> dict[str, int]:
    """Delete every demo record (and reset the demo users' organisations); returns counts."""
    out = {}
    # Other apps' demo rows refer to demo organisations: they go first.
    for step in reversed(extensions.steps()):
        if step.flush is not None:
            out.update(step.flush())
    demo_orgs = Organization.objects.filter(is_demo=True).values("pk")
    blockers = _blockers(demo_orgs)
    if blockers:
        raise DemoError(
            "cannot flush the demo data: records that are not demo data refer to demo "
            "organisations: " + "; ".join(blockers)
        )
    ach = Achievement.objects.filter(is_demo=True).values("pk")
    exp = Expert.objects.filter(is_demo=True).values("pk")
    dem = Demand.objects.filter(is_demo=True).values("pk")
    Through = Expert.achievements.through
    out["expert–achievement links"] = _raw_delete(
        Through.objects.filter(expert_id__in=exp) | Through.objects.filter(achievement_id__in=ach)
    )
    _raw_delete(Expert.disciplines.through.objects.filter(expert_id__in=exp))
    _raw_delete(Achievement.cooperation_modes.through.objects.filter(achievement_id__in=ach))
    _raw_delete(Demand.cooperation_modes.through.objects.filter(demand_id__in=dem))
    _raw_delete(Demand.assigned_managers.through.objects.filter(demand_id__in=dem))
    for model in (Expert, Achievement, Demand, Platform, TransferStaff, Agency):
        out[model._meta.verbose_name_plural] = _raw_delete(model.objects.filter(is_demo=True))
    unis = University.objects.filter(is_demo=True).values("pk")
    _raw_delete(Faculty.objects.filter(university_id__in=unis))
    _raw_delete(SubCentre.objects.filter(university_id__in=unis))
    _raw_delete(AllianceMember.objects.filter(owner_org_id__in=demo_orgs))
    out["universities"] = _raw_delete(University.objects.filter(is_demo=True))
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(username__in=DEMO_USERNAMES).update(organization=None)
    out["organisations"] = _raw_delete(Organization.objects.filter(is_demo=True))
    return {str(k): v for k, v in out.items()}


def delete_accounts() -> int:
    from django.contrib.auth import get_user_model

    # A normal delete: the collector sets created_by / reviewed_by / actor to NULL elsewhere.
    deleted, _ = get_user_model().objects.filter(username__in=DEMO_USERNAMES).delete()
    return deleted


def ensure_taxonomy() -> None:
    """Load the built-in classification lists when a scheme the demo needs is missing."""
    from xiake.demo.catalog import SCHEMES
    from xiake.taxonomy.models import Scheme

    current = set(Scheme.objects.filter(is_current=True).values_list("code", flat=True))
    if not set(SCHEMES) <= current:
        from xiake.taxonomy.loading import load_builtin

        load_builtin()


def generate(opts: Options, *, flush_first: bool = False) -> Result:
    """Write the whole demo data set in one transaction."""
    started = time.perf_counter()
    result = Result()
    corpus = read_corpus(opts.corpus, opts.achievements) if opts.corpus else None
    with transaction.atomic():
        if flush_first:
            result.flushed = flush()
        elif has_demo_data():
            raise DemoError(
                "demo data already exists: use --flush-demo to replace it "
                "(or --if-empty to leave it alone)"
            )
        ensure_taxonomy()
        world = orgs_mod.build(
            random.Random(f"{opts.seed}:orgs"),
            enterprises=opts.enterprises,
            nris=opts.nris,
            intermediaries=opts.intermediaries,
        )
        uni = next(o for o in world.universities if o.name == orgs_mod.DEMO_UNIVERSITY)
        enterprise = next(
            (o for o in world.enterprises if o.is_local and world.domains[o.pk] == ("materials",)),
            world.enterprises[0],
        )
        users = create_accounts(
            {
                "admin": world.bureau,
                "bureau": world.bureau,
                "university": uni,
                "enterprise": enterprise,
                "manager": world.transfer_centre,
                "institution": world.nris[0],
                "evaluator": world.evaluator,
            }
        )
        b = Builder(opts.seed, world, users, corpus)
        b.experts(opts.experts)
        b.achievements(opts.achievements)
        b.demands(opts.demands, enterprise)
        b.platforms(opts.platforms)
        b.staff(opts.staff)
        result.counts = {**world.counts, **b.counts, "demo accounts": len(users)}
        context = extensions.DemoContext(seed=opts.seed, world=world, users=users)
        for step in extensions.steps():
            result.counts.update(step.generate(context))
        result.seconds = time.perf_counter() - started
        try:
            from xiake.core.changelog import record_event
        except ImportError:  # pragma: no cover - the change log is part of core
            record_event = None
        if record_event is not None:
            summary = ", ".join(f"{k.strip()} {v}" for k, v in result.counts.items())
            record_event(
                "import",
                comment=f"xiake demo --seed {opts.seed}"
                f"{' --corpus ' + opts.corpus if opts.corpus else ''}: {summary}"[:2000],
            )
    result.seconds = time.perf_counter() - started
    return result
