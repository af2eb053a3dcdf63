"""Write the import benchmark's workbook: N achievement rows under the import template's headers.

Run as ``XIAKE_VAR_DIR=… python -m benchmarks.workbook --out FILE`` against a database that holds
the demo organisations (``xiake demo --achievements 0``): owners are the demo universities, and the
classification cells are the names an export writes (codes where a name is ambiguous). Titles and
abstracts come from the CSL corpus when it is present, else from the demo text generator.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
from pathlib import Path

from benchmarks.common import CORPUS


def corpus_rows(path: Path, limit: int) -> list[dict]:
    rows = []
    if not path.exists():
        return rows
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if len(rows) >= limit:
                break
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                continue
            title = str(obj.get("title") or "").strip()
            if title:
                kws = obj.get("keywords") or []
                if isinstance(kws, str):
                    kws = kws.replace("，", ",").split(",")
                rows.append(
                    {
                        "title": title[:200],
                        "abstract": str(obj.get("abstract") or "").strip(),
                        "keywords": ",".join(str(k).strip() for k in kws if str(k).strip())[:300],
                    }
                )
    return rows


def build(out: Path, n: int, seed: int, corpus: Path) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiake.settings")
    import django

    django.setup()
    from openpyxl import Workbook

    from xiake.accounts.models import Organization
    from xiake.core.columns import columns_for
    from xiake.core.resources import registry
    from xiake.demo import text
    from xiake.demo.vocab import DOMAINS
    from xiake.taxonomy.api import Resolver

    resource = registry()["catalog.achievement"]
    columns = columns_for(resource)
    rng = random.Random(seed)
    owners = list(
        Organization.objects.filter(org_type="university")
        .order_by("pk")
        .values_list("name", flat=True)
    )
    if not owners:
        raise SystemExit("no demo universities: run `xiake demo --achievements 0` first")
    texts = corpus_rows(corpus, n)
    source = f"{corpus.name} ({len(texts)} rows, cycled)" if texts else "demo text generator"

    # The cell a person would type for each term: its name when the name resolves back to it.
    cells = {}
    for col in columns:
        if col.scheme:
            resolver = Resolver(col.scheme)
            cells[col.name] = [
                t.name if resolver.resolve(t.name) == t else t.code for t in resolver.terms
            ]
    trl_names = dict(zip(range(1, 10), cells["trl"], strict=False))
    origin_labels = ["原始创新", "二次开发", "引进消化吸收"]

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("科技成果")
    ws.append([col.header for col in columns])
    today = dt.date.today()
    used = set()
    for i in range(n):
        domain = DOMAINS[i % len(DOMAINS)]
        generated = text.achievement(rng, domain)
        if texts:
            src = texts[i % len(texts)]
            title, summary, keywords = src["title"], src["abstract"], src["keywords"]
            # The same title comes back once per cycle through the corpus: another owner then.
            owner = owners[(i % len(texts) * 7 + i // len(texts)) % len(owners)]
        else:
            title, summary = generated.title[:200], generated.summary
            keywords = ",".join(generated.keywords)[:300]
            owner = owners[rng.randrange(len(owners))]
        while (owner, title) in used:
            title = text.retitle(rng, title)[:200]
        used.add((owner, title))
        trl = rng.randint(1, 9)
        stage = "初期(实验室/小试)" if trl <= 4 else "中期(中试)" if trl <= 6 else "成熟应用"
        values = {
            "title": title,
            "achievement_type": rng.choice(cells["achievement_type"]),
            "owner_org": owner,
            "completers": "、".join(text.person_name(rng) for _ in range(rng.randint(1, 5))),
            "keywords": keywords,
            "discipline": rng.choice(cells["discipline"]),
            "industry": rng.choice(cells["industry"]),
            "emerging_industry": rng.choice(cells["emerging_industry"]),
            "hightech_field": rng.choice(cells["hightech_field"]),
            "chain": rng.choice(cells["chain"]),
            "trl": trl_names.get(trl, str(trl)),
            "stage": stage if stage in cells["stage"] else rng.choice(cells["stage"]),
            "ip_type": rng.choice(cells["ip_type"]),
            "ip_numbers": f"ZL{rng.randint(2015, 2024)}1{rng.randint(0, 99999999):08d}.{rng.randint(0, 9)}",
            "cooperation_modes": "，".join(
                rng.sample(cells["cooperation_modes"], rng.randint(1, 3))
            ),
            "asking_price": round(
                rng.choice((5, 8, 10, 20, 50, 100, 300, 800)) * rng.uniform(0.8, 1.2), 2
            )
            if rng.random() < 0.7
            else None,
            "origin": rng.choice(origin_labels),
            "completion_date": today - dt.timedelta(days=rng.randint(60, 6 * 365)),
            "summary": summary,
            "technical_indicators": generated.technical_indicators,
            "application_fields": generated.application_fields,
            "contact_name": text.person_name(rng),
            "contact_phone": f"025-{rng.randint(5000_0000, 8999_9999)}",
            "contact_email": f"tto{i % 1000:03d}@example.edu.cn",
        }
        ws.append([values.get(col.name) for col in columns])
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return {"rows": n, "columns": len(columns), "text_source": source, "bytes": out.stat().st_size}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--rows", type=int, default=16000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    o = parser.parse_args(argv)
    info = build(o.out, o.rows, o.seed, o.corpus)
    json.dump(info, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
