"""What identity numbers cost an API list page: masking and the audit record of each full reveal.

A fresh SQLite database (temporary ``XIAKE_VAR_DIR``) gets two universities with ``--experts``
experts each: those of university A carry identity numbers (valid, from the demo generator), those
of university B none. The API list page of each university's experts (``page_size`` = all of
them) is fetched through Django's test client, interleaved, ``--repetitions`` times:

- **baseline**: the bureau reads university B's experts (no numbers: nothing masked, no reveal);
- the bureau reads university A's (every number shown in full: one 查看证件号码 audit record each);
- an enterprise user reads university B's (phones masked, as before identity numbers) and
  university A's (phones and every number masked: no audit record).

The bureau's page with numbers writes its reveal records in one statement (a page of the API).

    .venv/bin/python -m benchmarks.bench_identity                     # 100 experts, 15 repetitions
    .venv/bin/python -m benchmarks.bench_identity --experts 50 --repetitions 9
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time

from benchmarks.common import (
    machine,
    measure_in_child,
    now_iso,
    table,
    write_json,
)

STATIC_PLAIN = "django.contrib.staticfiles.storage.StaticFilesStorage"


def run_child(args) -> dict:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test.utils import override_settings
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    from xiake.accounts.models import Organization, User
    from xiake.catalog.models import Expert
    from xiake.core.models import ChangeAction, ChangeRecord
    from xiake.demo.idnumbers import unique_resident_id

    call_command("migrate", verbosity=0)
    override_settings(
        STORAGES={**settings.STORAGES, "staticfiles": {"BACKEND": STATIC_PLAIN}}
    ).enable()
    with_numbers = Organization.objects.create(name="基准大学甲", org_type="university")
    without = Organization.objects.create(name="基准大学乙", org_type="university")
    stranger = Organization.objects.create(name="基准企业", org_type="enterprise")
    rng, used = random.Random(args.seed), set()
    for org, numbered in ((with_numbers, True), (without, False)):
        Expert.objects.bulk_create(
            Expert(
                name=f"专家{org.pk}-{i:04d}",
                owner_org=org,
                status="published",
                phone="13800001111",
                id_number=unique_resident_id(rng, used) if numbered else "",
            )
            for i in range(args.experts)
        )

    def client_of(user):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        return client

    bureau = client_of(User.objects.create_user("bench_bureau", role="bureau"))
    outsider = client_of(
        User.objects.create_user("bench_enterprise", role="enterprise", organization=stranger)
    )
    targets = [
        ("baseline: bureau, experts without numbers", bureau, without),
        ("bureau, numbers in full (audited)", bureau, with_numbers),
        ("enterprise, experts without numbers", outsider, without),
        ("enterprise, numbers masked", outsider, with_numbers),
    ]
    params = {"page_size": args.experts}
    results = {name: [] for name, _c, _o in targets}
    reveals = ChangeRecord.objects.filter(action=ChangeAction.REVEAL)
    for rep in range(args.repetitions + 2):  # two warm-up rounds, not counted
        for name, client, org in targets:  # interleaved: drift hits every target alike
            started = time.perf_counter()
            response = client.get("/api/v1/experts/", {**params, "owner_org": org.pk})
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, response.content[:300]
            assert len(response.json()["results"]) == args.experts
            if rep >= 2:
                results[name].append(elapsed)
    return {
        "experts_per_page": args.experts,
        "repetitions": args.repetitions,
        "reveal_records": reveals.count(),
        "targets": {
            name: {"median_ms": round(statistics.median(ms), 1), "ms": [round(v, 1) for v in ms]}
            for name, ms in results.items()
        },
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experts", type=int, default=100)
    parser.add_argument("--repetitions", type=int, default=15)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_child(args)))
        return
    started_at, load = now_iso(), machine()
    result = measure_in_child(
        "benchmarks.bench_identity",
        [f"--experts={args.experts}", f"--repetitions={args.repetitions}", f"--seed={args.seed}"],
        name="identity",
        timeout=1800,
    )
    base = result["targets"]["baseline: bureau, experts without numbers"]["median_ms"]
    rows = [
        [name, t["median_ms"], round(t["median_ms"] / base, 2)]
        for name, t in result["targets"].items()
    ]
    print(table(["API list page", "median ms", "× baseline"], rows))
    print(
        f"{result['reveal_records']} reveal records written; "
        f"load average at start {load['loadavg_at_start']}, at end "
        f"{[round(x, 2) for x in os.getloadavg()]}"
    )
    write_json(
        "identity",
        {"started": started_at, "machine": load, "loadavg_at_end": os.getloadavg(), **result},
    )


if __name__ == "__main__":
    main(sys.argv[1:])
