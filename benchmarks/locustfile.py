"""The mixed load scenario of ``bench_load.py`` for locust (https://locust.io), one class per user type.

Run by ``benchmarks/bench_load.py``, which prepares the database, logs the accounts in, writes the
data file named by ``XIAKE_LOAD_DATA`` (sessions, record ids) and reads back the file named by
``XIAKE_LOAD_OUT`` (every request's latency, measured from the end of spawning to the stop). It can
also be run by hand against a server the bench has prepared::

    XIAKE_LOAD_DATA=var/bench/load-data-pg.json XIAKE_LOAD_OUT=/tmp/out.json \\
    .venv/bin/python -m locust -f benchmarks/locustfile.py --headless -u 50 -r 25 -t 60s \\
        --host http://127.0.0.1:8180 Anonymous Enterprise University Importer

User types (``weight`` = share of the concurrent users; ``Importer`` is one user whatever the
count) and what each does between think times of ``XIAKE_LOAD_WAIT`` seconds (default 2–8):

| class | share | requests |
|---|---|---|
| ``Anonymous`` | 60 % | portal home, portal search, achievement page, event page, filtered achievement list |
| ``Enterprise`` | 30 % | role home, matching API search, a demand's matches tab, demand draft, event registration, policy consultation |
| ``University`` | 10 % | role home, matching search page, an achievement's matches tab |
| ``Importer`` | 1 user | a 10-row achievement workbook through the import page: upload, validation, import |
| ``Bare`` | (alone) | ``/health/`` — the baseline, run with the same users and think times |
"""

from __future__ import annotations

import io
import itertools
import json
import os
import random
import re
import time
import uuid
from http.cookiejar import Cookie

from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser

DATA = json.loads(open(os.environ["XIAKE_LOAD_DATA"], encoding="utf-8").read())
WAIT = tuple(float(x) for x in os.environ.get("XIAKE_LOAD_WAIT", "2,8").split(","))
QUERIES = DATA["queries"]
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
JOB = re.compile(r'name="job" value="(\d+)"')

# Request name → category of the report.
CATEGORY = {"anon": "anonymous browsing", "search": "logged-in search/matching"}
CATEGORY.update({"form": "form submissions", "import": "import", "bare": "bare view"})

# -- every request's latency, recorded from the end of spawning (the ramp-up is not measured) -----

_window = {"start": None, "end": None}
_records: dict[str, dict] = {}


@events.spawning_complete.add_listener
def _spawned(user_count, **_kw):
    if _window["start"] is None:
        _window["start"] = time.time()


@events.request.add_listener
def _request(name, response_time, exception, response=None, **_kw):
    if _window["start"] is None:
        return
    rec = _records.setdefault(name, {"ms": [], "failures": [], "statuses": {}})
    status = getattr(response, "status_code", 0) or 0
    rec["statuses"][str(status)] = rec["statuses"].get(str(status), 0) + 1
    if exception is not None:
        rec["failures"].append(f"{status} {type(exception).__name__}: {exception}"[:300])
    else:
        rec["ms"].append(round(response_time, 2))


@events.quitting.add_listener
def _write(environment, **_kw):
    out = os.environ.get("XIAKE_LOAD_OUT")
    if not out:
        return
    _window["end"] = time.time()
    payload = {"window": _window, "requests": _records, "category": CATEGORY}
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(payload, fh)


# -- users -----------------------------------------------------------------------------------------


def _sessions(role):
    """Round-robin over the logged-in sessions of ``role`` (several virtual users share one)."""
    pool = DATA["sessions"][role]
    return itertools.cycle(random.Random(role).sample(pool, len(pool)))


_POOLS = {}


def _next_session(role):
    if role not in _POOLS:
        _POOLS[role] = _sessions(role)
    return next(_POOLS[role])


class LoggedIn(FastHttpUser):
    abstract = True
    role = ""
    wait_time = between(*WAIT)

    def on_start(self):
        self.account = _next_session(self.role)
        host = self.host.split("://", 1)[1].split(":")[0]
        for name, value in self.account["cookies"].items():
            self.client.cookiejar.set_cookie(_cookie(host, name, value))

    def csrf_of(self, path, name):
        with self.client.get(path, name=name, catch_response=True) as r:
            found = CSRF.search(r.text or "")
            if not found:
                r.failure("no CSRF token in the form")
                return None
            return found.group(1)

    def post_form(self, path, data, name, files=None):
        token = self.csrf_of(path, f"form: {name} (GET)")
        if token is None:
            return None
        headers = {"Referer": self.host + path}
        with self.client.post(
            path,
            data={**data, "csrfmiddlewaretoken": token},
            files=files,
            headers=headers,
            name=f"form: {name} (POST)",
            catch_response=True,
        ) as r:
            if r.status_code >= 400:
                r.failure(f"{r.status_code}: {_message(r.text)}")
            return r


def _cookie(host, name, value):
    return Cookie(0, name, value, None, False, host, False, False, "/", True, False, None, False,
                  None, None, {})  # fmt: skip


def _message(html):
    found = re.findall(r"invalid-feedback[^>]*>([^<]+)|alert[^>]*>([^<]+)", html or "")
    return "; ".join(a or b for a, b in found)[:200] or (html or "")[:200]


class Anonymous(FastHttpUser):
    weight = 6
    wait_time = between(*WAIT)

    @task(3)
    def portal_home(self):
        self.client.get("/portal/", name="anon: portal home")

    @task(4)
    def portal_search(self):
        self.client.get(
            "/portal/search/", params={"q": random.choice(QUERIES)}, name="anon: portal search"
        )

    @task(3)
    def achievement(self):
        pk = random.choice(DATA["achievements"])
        self.client.get(f"/catalog/achievements/{pk}/", name="anon: achievement page")

    @task(2)
    def event(self):
        pk = random.choice(DATA["events"])
        self.client.get(f"/liaison/events/{pk}/", name="anon: event page")

    @task(1)
    def achievement_list(self):
        params = {"status": "published", "trl": random.randint(1, 9), "page": random.randint(1, 5)}
        self.client.get("/catalog/achievements/", params=params, name="anon: achievement list")


class Enterprise(LoggedIn):
    weight = 3
    role = "enterprise"

    @task(2)
    def home(self):
        self.client.get("/my/", name="search: role home /my/")

    @task(4)
    def api_search(self):
        params = {"q": random.choice(QUERIES), "type": "achievement", "limit": 10}
        self.client.get("/api/v1/matching/search/", params=params, name="search: API matching")

    @task(3)
    def demand_matches(self):
        pk = random.choice(self.account["demands"])
        target = random.choice(("achievement", "expert", "platform"))
        self.client.get(
            f"/matching/matches/demand/{pk}/",
            params={"type": target},
            name="search: demand matches tab",
        )

    @task(1)
    def demand_draft(self):
        data = {
            "title": f"负载测试需求 {uuid.uuid4().hex[:8]}",
            "description": "压力测试写入的需求草稿：" + random.choice(QUERIES),
            "keywords": random.choice(QUERIES),
        }
        self.post_form("/catalog/demands/add/", data, "demand draft")

    @task(1)
    def register(self):
        pk = random.choice(DATA["open_events"])
        data = {"attendee_name": "压测", "phone": "13800000000"}
        path = f"/liaison/events/{pk}/"
        token = self.csrf_of(path, "form: event registration (GET)")
        if token is None:
            return
        with self.client.post(
            f"/liaison/events/{pk}/register/",
            data={**data, "csrfmiddlewaretoken": token},
            headers={"Referer": self.host + path},
            name="form: event registration (POST)",
            catch_response=True,
        ) as r:
            if r.status_code >= 400:
                r.failure(f"{r.status_code}: {_message(r.text)}")

    @task(1)
    def consultation(self):
        data = {"subject": f"压测咨询 {uuid.uuid4().hex[:8]}", "question": "政策适用范围？"}
        self.post_form("/liaison/consultations/add/", data, "consultation")


class University(LoggedIn):
    weight = 1
    role = "university"

    @task(2)
    def home(self):
        self.client.get("/my/", name="search: role home /my/")

    @task(3)
    def search_page(self):
        self.client.get(
            "/matching/search/", params={"q": random.choice(QUERIES)}, name="search: search page"
        )

    @task(2)
    def achievement_matches(self):
        pk = random.choice(self.account["achievements"])
        self.client.get(
            f"/matching/matches/achievement/{pk}/",
            params={"type": random.choice(("demand", "expert"))},
            name="search: achievement matches tab",
        )


class Importer(LoggedIn):
    """One university user importing a small workbook every 15–25 s (occasional, not a flood)."""

    fixed_count = 1
    role = "university"
    wait_time = between(15, 25)

    @task
    def import_workbook(self):
        path = "/catalog/achievements/import/"
        token = self.csrf_of(path, "import: page (GET)")
        if token is None:
            return
        headers = {"Referer": self.host + path}
        files = {"file": ("成果.xlsx", _workbook(), "application/octet-stream")}
        with self.client.post(
            path,
            data={"csrfmiddlewaretoken": token},
            files=files,
            headers=headers,
            name="import: upload + validation",
            catch_response=True,
        ) as r:
            job = JOB.search(r.text or "")
            if r.status_code != 200 or not job:
                r.failure(f"{r.status_code}: no validated job ({_message(r.text)})")
                return
            token = CSRF.search(r.text).group(1)
        with self.client.post(
            path,
            data={"csrfmiddlewaretoken": token, "job": job.group(1)},
            headers=headers,
            name="import: apply",
            catch_response=True,
        ) as r:
            if r.status_code >= 400:
                r.failure(f"{r.status_code}: {_message(r.text)}")


def _workbook(rows=10) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["成果名称", "所属单位", "关键词", "技术成熟度", "合作方式", "意向价格（万元）"])
    tag = uuid.uuid4().hex[:8]
    for i in range(rows):
        q = random.choice(QUERIES)
        ws.append([f"{q}压测成果 {tag}-{i}", "", q, str(random.randint(3, 8)), "转让", 50 + i])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


class Bare(FastHttpUser):
    """The baseline: the bare Django view with the same users and think times."""

    wait_time = between(*WAIT)

    @task
    def health(self):
        self.client.get("/health/", name="bare: /health/")
