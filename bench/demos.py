#!/usr/bin/env python
"""Demonstrations through the real path: gunicorn + a Celery worker on the ``demos`` queue (Redis broker,
PostgreSQL), as a learner's browser would use them.

Per demonstration at its default parameters:

- cold run time: from the POST that creates the run to the worker's write of its result (the run row's
  ``finished_at - created_at``: queueing, the worker's claim, the computation and the writes), median of
  3 runs with distinct seeds so nothing is shared; the computation alone (``compute_seconds``) beside it;
- time to the first progress update (``first_progress_at - created_at``), median of the same 3;
- latency of fetching a finished shared run (``GET /api/v1/demo-runs/{id}`` by a second learner who joined
  it) next to the trivial authenticated endpoint (``GET /api/v1/ping``), p50 of interleaved requests in
  the same run.

Then the worker's throughput in runs per minute with its default concurrency (one process per CPU):
a batch of fresh runs (every demonstration, distinct seeds) queued at once, from the first POST to the
last result.

Targets (issue #11): every default run under 5 s on the CPU; a shared run's fetch within 2x of the trivial
endpoint.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dlquiz_bench_demos REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/demos.py

The database named in DATABASE_URL is dropped and created afresh; the Redis database's ``demos`` queue is
purged.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dlquiz_bench_demos")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dlquiz.settings")
os.environ["DEMO_MAX_QUEUED"] = "1000"  # the throughput batch is one learner's
os.environ.setdefault("ENGINE_DEVICE", "cpu")

import requests  # noqa: E402

from bench.review_loop import ensure_database, free_port, start_server  # noqa: E402

PASSWORD = "bench-password-123"


def setup_database() -> None:
    ensure_database(urlparse(os.environ["DATABASE_URL"]).path.lstrip("/"))
    import django

    django.setup()
    from django.core.management import call_command

    from dlquiz.accounts.services import user_create

    call_command("migrate", verbosity=0)
    for name in ("bench-a", "bench-b"):
        user_create(username=name, password=PASSWORD)


def session(base: str, username: str) -> requests.Session:
    s = requests.Session()
    r = s.post(f"{base}/api/v1/auth/token", json={"username": username, "password": PASSWORD}, timeout=30)
    r.raise_for_status()
    s.headers["Authorization"] = f"Token {r.json()['token']}"
    return s


def start_worker(log: Path) -> subprocess.Popen[bytes]:
    from dlquiz.celery import app

    with app.connection_for_write() as conn:
        conn.default_channel.queue_declare("demos", durable=True, auto_delete=False)
        conn.default_channel.queue_purge("demos")
    cmd = [str(ROOT / ".venv/bin/celery"), "-A", "dlquiz", "worker", "-Q", "demos", "-l", "info"]
    cmd += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    for _ in range(600):
        if "ready." in log.read_text(errors="replace"):
            return proc
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("the worker did not start:\n" + log.read_text(errors="replace"))


def wait_done(s: requests.Session, base: str, run_id: int, timeout: float = 120.0) -> dict:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        run = s.get(f"{base}/api/v1/demo-runs/{run_id}", timeout=30).json()
        if run["status"] in ("done", "failed", "cancelled"):
            if run["status"] != "done":
                raise SystemExit(f"run {run_id} ended {run['status']}: {run['error']}")
            return run
        time.sleep(0.05)
    raise SystemExit(f"run {run_id} did not finish in {timeout} s")


def timings(run_id: int) -> tuple[float, float, float]:
    """(cold run, first progress, compute) seconds from the run row."""
    from dlquiz.demos.models import DemoRun

    row = DemoRun.objects.get(pk=run_id)
    assert row.finished_at and row.first_progress_at and row.compute_seconds is not None
    return (
        (row.finished_at - row.created_at).total_seconds(),
        (row.first_progress_at - row.created_at).total_seconds(),
        row.compute_seconds,
    )


def p50_ms(s: requests.Session, url: str, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        r = s.get(url, timeout=30)
        out.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, r.text[:200]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3, help="cold runs per demonstration (median)")
    ap.add_argument("--fetches", type=int, default=100, help="requests per latency sample")
    args = ap.parse_args()

    setup_database()
    from engine.demos import all_demos

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(port, workers=2)
    log = Path(tempfile.mkdtemp(prefix="dlquiz-bench-demos-")) / "worker.log"
    worker = start_worker(log)
    try:
        a, b = session(base, "bench-a"), session(base, "bench-b")
        demos = [d.id for d in all_demos()]
        seed = 1000
        print(
            f"dlquiz demonstrations bench: gunicorn -w 2, celery worker -Q demos (concurrency {os.cpu_count()})"
        )
        print(
            f"{'demonstration':<18} {'cold run':>9} {'compute':>8} {'1st progress':>13} {'fetch p50':>10} {'ping p50':>9} {'ratio':>6}"
        )
        worst_ratio = 0.0
        for demo in demos:
            cold, first, compute = [], [], []
            last = None
            for _ in range(args.runs):
                seed += 1
                r = a.post(f"{base}/api/v1/demos/{demo}/runs", json={"seed": seed}, timeout=30)
                assert r.status_code == 202, r.text[:300]
                last = wait_done(a, base, r.json()["id"])
                c, f, k = timings(last["id"])
                cold.append(c)
                first.append(f)
                compute.append(k)
            assert last is not None
            # a second learner joins the finished run: shared, then fetched like a polling page would
            joined = b.post(
                f"{base}/api/v1/demos/{demo}/runs", json={"seed": last["seed"]}, timeout=30
            ).json()
            assert joined["id"] == last["id"] and joined["status"] == "done"
            fetch, ping = [], []
            for _ in range(args.fetches // 10):
                fetch += p50_ms(b, f"{base}/api/v1/demo-runs/{last['id']}", 10)
                ping += p50_ms(b, f"{base}/api/v1/ping", 10)
            f50, p50 = statistics.median(fetch), statistics.median(ping)
            worst_ratio = max(worst_ratio, f50 / p50)
            print(
                f"{demo:<18} {statistics.median(cold):>8.2f}s {statistics.median(compute):>7.2f}s "
                f"{statistics.median(first):>12.3f}s {f50:>8.1f}ms {p50:>7.1f}ms {f50 / p50:>5.2f}x"
            )

        # throughput: a batch of fresh runs queued at once
        batch = []
        t0 = time.monotonic()
        for _ in range(2):
            for demo in demos:
                seed += 1
                r = a.post(f"{base}/api/v1/demos/{demo}/runs", json={"seed": seed}, timeout=30)
                assert r.status_code == 202, r.text[:300]
                batch.append(r.json()["id"])
        for run_id in batch:
            wait_done(a, base, run_id, timeout=600)
        elapsed = time.monotonic() - t0
        print(
            f"throughput: {len(batch)} runs (every demonstration twice, fresh seeds) in {elapsed:.1f} s = "
            f"{len(batch) / elapsed * 60:.0f} runs/min with concurrency {os.cpu_count()}"
        )
        print(f"worst shared-run fetch / ping: {worst_ratio:.2f}x (target <= 2x)")
    finally:
        for proc in (worker, server):
            try:
                os.killpg(proc.pid, 15)
            except ProcessLookupError:
                pass
            proc.wait(30)


if __name__ == "__main__":
    main()
