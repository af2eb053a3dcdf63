"""Achievement compilation (成果汇编) through the task queue, served exactly as `make run` does.

A temporary var dir gets ``migrate``, the full demo and ``collectstatic``; ``scripts/serve.py``
starts gunicorn (2 workers, 2 threads) and the ``xiake db_worker`` beside it on a free port. As the
demo user ``university`` (南京邮电大学: 557 published achievements + 92 public demands → a
580-page PDF and its DOCX), each repetition:

| measure | what it is |
|---|---|
| ``/health/`` p50 (**baseline**) | 20 requests before the build, the bare view through the stack |
| POST the compilation form | the request that asks for it: it only queues the build |
| queued → done | from the POST's answer to the polled status block saying done (1 s polling) |
| ``/health/`` p50 while building | 20 requests while the worker builds: the site stays responsive |
| status polls with a page count | how many 1 s polls showed "page x of y" (progress the user sees) |

Then once with ``TASKS_BACKEND=django_tasks.backends.immediate.ImmediateBackend`` (the former
default): the POST runs the build inside the request. When LibreOffice (``soffice``) is
installed, the last DOCX is rendered to PDF and every achievement's heading is looked up on the
page the contents name (an independent check of the DOCX page numbers; fonts are substituted).

    .venv/bin/python -m benchmarks.bench_compilation [--repetitions 3] [--keep]
"""

from __future__ import annotations

import argparse
import http.cookiejar
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from benchmarks.common import (
    PYTHON,
    REPO,
    fresh_var_dir,
    machine,
    median,
    now_iso,
    remove_dir,
    run_measured,
    table,
    terminate,
    write_json,
    xiake,
    xiake_env,
)

UNIVERSITY = "南京邮电大学"


def free_port(preferred: int = 8795) -> int:
    import socket

    for port in range(preferred, preferred + 50):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port near {preferred}")


class Session:
    """A logged-in browser-like client (cookies, CSRF) of the running server."""

    def __init__(self, base: str, username: str, password: str = "Xiake@demo1"):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        page = self.get("/accounts/login/")
        self.post("/accounts/login/", {"username": username, "password": password}, page)

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=300) as r:
            return r.read().decode()

    def post(self, path: str, data: dict, form_page: str) -> str:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form_page).group(1)
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": token}).encode()
        request = urllib.request.Request(self.base + path, body, headers={"Referer": self.base})
        with self.opener.open(request, timeout=300) as r:
            r.read()
            return r.geturl()


def health_p50(base: str, n: int = 20) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        with urllib.request.urlopen(base + "/health/", timeout=60) as r:
            r.read()
        times.append((time.perf_counter() - t) * 1000)
    return median(times)


def wait_until_up(base: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(base + "/health/", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("the server did not answer /health/")


def serve(var_dir: Path, port: int, log, **env) -> subprocess.Popen:
    gunicorn = str(Path(PYTHON).parent / "gunicorn")
    args = [PYTHON, str(REPO / "scripts" / "serve.py"), "--grace", "90", "--", gunicorn]
    args += ["xiake.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "2"]
    args += ["--threads", "2", "--timeout", "300"]
    return subprocess.Popen(args, env=xiake_env(var_dir, **env), cwd=REPO, stdout=log, stderr=log)


def ask(session: Session, university_pk: str, title: str) -> tuple[float, str]:
    form = session.get("/liaison/compilations/add/")
    t = time.perf_counter()
    url = session.post(
        "/liaison/compilations/add/",
        {"title": title, "university": university_pk, "include_demands": "on"},
        form,
    )
    return (time.perf_counter() - t) * 1000, re.search(r"/(\d+)/$", url).group(1)


def follow(session: Session, base: str, pk: str) -> dict:
    t = time.perf_counter()
    polls = with_pages = 0
    health_during = []
    while True:
        html = session.get(f"/liaison/compilations/{pk}/build-status/")
        polls += 1
        with_pages += 'data-testid="compilation-pages"' in html
        status = re.search(r'data-status="(\w+)"', html).group(1)
        if status in ("done", "failed"):
            break
        if len(health_during) < 20:
            health_during.append(health_p50(base, 1))
        time.sleep(1)
    return {
        "status": status,
        "seconds_to_done": time.perf_counter() - t,
        "polls": polls,
        "polls_with_pages": with_pages,
        "health_p50_during_ms": median(health_during),
    }


def docx_check(session: Session, pk: str, workdir: Path) -> dict | None:
    soffice = shutil.which("soffice")
    if not soffice:
        return None
    from pypdf import PdfReader

    with session.opener.open(f"{session.base}/liaison/compilations/{pk}/download/docx/") as r:
        (workdir / "c.docx").write_bytes(r.read())
    subprocess.run(
        [soffice, "--headless", "--convert-to", "pdf", "--outdir", str(workdir), "c.docx"],
        cwd=workdir,
        check=True,
        capture_output=True,
        timeout=600,
    )
    pages = [p.extract_text() for p in PdfReader(workdir / "c.pdf").pages]
    contents, starts = {}, {}
    for n, text in enumerate(pages, 1):
        if "....." in text:  # a contents page: "k. title ........ page"
            for entry in re.finditer(r"^(\d+)\. .*?\.{5,}\s*(\d+)\s*$", text, re.M):
                contents.setdefault(int(entry.group(1)), int(entry.group(2)))
            continue
        for line in text.splitlines()[:3]:  # an achievement's page starts with "k. title"
            heading = re.match(r"^(\d+)\.[\s\u3000]", line.strip())
            if heading:
                starts.setdefault(int(heading.group(1)), n)
    wrong = [k for k in contents if starts.get(k) != contents[k]]
    return {"rendered_pages": len(pages), "entries": len(contents), "wrong_pages": len(wrong)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the temporary var dir")
    args = parser.parse_args(argv)

    var_dir = fresh_var_dir("compilation")
    env = xiake_env(var_dir)
    result = {"started": now_iso(), "machine": machine(), "repetitions": []}
    log = open(var_dir / "serve.log", "ab")  # noqa: SIM115 - closed in finally
    proc = None
    try:
        for step in (("migrate", "--noinput", "-v0"), ("demo",), ("collectstatic", "--noinput")):
            run_measured(xiake(*step), env, 900).check()
        pk_of = run_measured(
            xiake(
                "shell",
                "-c",
                f"from xiake.catalog.models import University as U; "
                f"print(U.objects.get(name='{UNIVERSITY}').pk)",
            ),
            env,
        ).check()
        university_pk = pk_of.stdout.strip().splitlines()[-1]
        port = free_port()
        base = f"http://127.0.0.1:{port}"

        proc = serve(var_dir, port, log)
        wait_until_up(base, proc)
        session = Session(base, "university")
        for rep in range(args.repetitions):
            baseline = health_p50(base)
            post_ms, pk = ask(session, university_pk, f"{UNIVERSITY}科技成果汇编 {rep}")
            row = {"health_p50_ms": baseline, "post_ms": post_ms, **follow(session, base, pk)}
            result["repetitions"].append(row)
            print(f"queue {rep}: {row}", flush=True)
        with tempfile.TemporaryDirectory() as workdir:
            result["docx_rendered"] = docx_check(session, pk, Path(workdir))
        terminate(proc, timeout=120)

        proc = serve(
            var_dir, port, log, TASKS_BACKEND="django_tasks.backends.immediate.ImmediateBackend"
        )
        wait_until_up(base, proc)
        session = Session(base, "university")
        baseline = health_p50(base)
        post_ms, pk = ask(session, university_pk, f"{UNIVERSITY}科技成果汇编 immediate")
        result["immediate"] = {"health_p50_ms": baseline, "post_ms": post_ms}
        print(f"immediate: {result['immediate']}", flush=True)
    except Exception:
        log.flush()
        print((var_dir / "serve.log").read_text(errors="replace")[-3000:], file=sys.stderr)
        raise
    finally:
        if proc is not None:
            terminate(proc, timeout=120)
        log.close()
        if not args.keep:
            remove_dir(var_dir)

    reps = result["repetitions"]
    rows = [
        ["/health/ p50 (baseline), ms", median(r["health_p50_ms"] for r in reps)],
        ["POST compilation (queue), ms", median(r["post_ms"] for r in reps)],
        ["queued → done, s", median(r["seconds_to_done"] for r in reps)],
        ["/health/ p50 while building, ms", median(r["health_p50_during_ms"] for r in reps)],
        [
            "polls showing page x of y / polls",
            f"{reps[-1]['polls_with_pages']}/{reps[-1]['polls']}",
        ],
        ["/health/ p50 (immediate run), ms", result["immediate"]["health_p50_ms"]],
        ["POST compilation (immediate), ms", result["immediate"]["post_ms"]],
    ]
    if result.get("docx_rendered"):
        d = result["docx_rendered"]
        rows.append(
            ["DOCX via LibreOffice: entries on a wrong page", f"{d['wrong_pages']}/{d['entries']}"]
        )
    print(table(["measure", "value"], rows))
    print(write_json("compilation", result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
