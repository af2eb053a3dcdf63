"""A closed-loop HTTP/1.1 load generator on asyncio raw sockets (keep-alive), for 127.0.0.1 only.

The fallback of bench_list.py when wrk is not installed. Prints the same JSON line as
``wrk_report.lua``: requests, duration, non-200 answers, socket errors, latency percentiles (µs).
Bounded by ``--duration`` seconds and ``--max-requests``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
import time
from urllib.parse import urlsplit


def percentile(sorted_values: list[int], p: float) -> int:
    if not sorted_values:
        return 0
    k = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values)) - 1))
    return sorted_values[k]


class Stats:
    def __init__(self):
        self.latencies: list[int] = []
        self.non200 = 0
        self.bytes = 0
        self.errors = {"connect": 0, "read": 0, "write": 0, "timeout": 0}


async def read_response(reader: asyncio.StreamReader) -> tuple[int, int, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    size = len(head)
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
        size += len(body)
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            line = await reader.readuntil(b"\r\n")
            n = int(line.split(b";")[0], 16)
            chunk = await reader.readexactly(n + 2)
            size += len(line) + len(chunk)
            if n == 0:
                break
    close = headers.get("connection", "").lower() == "close"
    return status, size, close


async def worker(host, port, requests, deadline: float, budget: list, stats: Stats, timeout):
    """One keep-alive connection; ``requests`` (an iterator shared by all workers) gives each
    next request, so several URLs are spread over the connections in turn."""
    reader = writer = None
    while time.perf_counter() < deadline and budget[0] > 0:
        if writer is None:
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(host, port), timeout
                )
            except (OSError, TimeoutError):
                stats.errors["connect"] += 1
                await asyncio.sleep(0.05)
                continue
        budget[0] -= 1
        request = next(requests)
        started = time.perf_counter_ns()
        try:
            writer.write(request)
            await writer.drain()
        except OSError:
            stats.errors["write"] += 1
            writer = None
            continue
        try:
            status, size, close = await asyncio.wait_for(read_response(reader), timeout)
        except TimeoutError:
            stats.errors["timeout"] += 1
            writer.close()
            writer = None
            continue
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            stats.errors["read"] += 1
            writer.close()
            writer = None
            continue
        stats.latencies.append((time.perf_counter_ns() - started) // 1000)
        stats.bytes += size
        if status != 200:
            stats.non200 += 1
        if close:
            writer.close()
            writer = None
    if writer is not None:
        writer.close()


def build_request(url: str, headers) -> tuple[str, int, bytes]:
    parts = urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("loadgen sends traffic to the local machine only")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    lines = [f"GET {path} HTTP/1.1", f"Host: {parts.netloc}", "Connection: keep-alive", *headers]
    return parts.hostname, parts.port or 80, ("\r\n".join(lines) + "\r\n\r\n").encode()


async def run(urls, connections, duration, headers, max_requests, timeout) -> dict:
    """``urls``: one URL, or several on the same host (sent in turn)."""
    built = [build_request(u, headers) for u in ([urls] if isinstance(urls, str) else urls)]
    if len({(host, port) for host, port, _r in built}) > 1:
        raise SystemExit("all URLs must be on the same host and port")
    host, port = built[0][:2]
    requests = itertools.cycle([r for _h, _p, r in built])
    stats, budget = Stats(), [max_requests]
    started = time.perf_counter()
    deadline = started + duration
    await asyncio.gather(
        *(
            worker(host, port, requests, deadline, budget, stats, timeout)
            for _ in range(connections)
        )
    )
    elapsed = time.perf_counter() - started
    lat = sorted(stats.latencies)
    return {
        "requests": len(lat),
        "duration_us": int(elapsed * 1e6),
        "bytes": stats.bytes,
        "responses": len(lat),
        "non200": stats.non200,
        "socket_errors": stats.errors,
        "latency_us": {
            "min": lat[0] if lat else 0,
            "mean": round(sum(lat) / len(lat), 1) if lat else 0,
            "max": lat[-1] if lat else 0,
            "p50": percentile(lat, 50),
            "p90": percentile(lat, 90),
            "p99": percentile(lat, 99),
        },
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="+", help="one URL, or several sent in turn")
    parser.add_argument("-c", "--connections", type=int, default=20)
    parser.add_argument("-d", "--duration", type=float, default=30)
    parser.add_argument("-H", "--header", action="append", default=[])
    parser.add_argument("--max-requests", type=int, default=1_000_000)
    parser.add_argument("--timeout", type=float, default=10)
    o = parser.parse_args(argv)
    result = asyncio.run(run(o.url, o.connections, o.duration, o.header, o.max_requests, o.timeout))
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
