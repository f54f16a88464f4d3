#!/usr/bin/env python
"""Front-end budget benchmark: prints figures, passes or fails nothing.

1. Initial JavaScript + CSS: the files frontend/dist/index.html loads (scripts, stylesheets, module
   preloads), gzipped here (level 9). KaTeX's fonts are not counted: the stylesheet loads them on
   demand. Budget: 300 KB.
2. Next card after a rating: a temporary SQLite database with the bundled content, served by gunicorn on
   loopback (started here); a learner studies in headless Chromium driven by Playwright. For each rating
   key press, the time from performance.now() in a capture-phase keydown listener to the app's
   ``dlquiz:card-shown`` performance mark (the next card's front is in the document), and to the first
   animation frame that has it (the frame then paints). Budget: 100 ms.
3. The dashboard after its data arrives: the same learner (after the ratings above) opens the dashboard
   a few times; the longest main-thread task (PerformanceObserver ``longtask``, over 50 ms) that ends after
   the ``/api/v1/dashboard`` response's last byte, and when the /me and dashboard requests started (the
   dashboard's should not wait for /me). Budget: 100 ms.

    cd frontend && npm ci && npm run build && cd .. && .venv/bin/python bench/frontend.py [--ratings 40]
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "frontend" / "dist"
PYTHON = sys.executable
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
USERNAME, PASSWORD = "bench", "bench-kernel-stride-7"
JS_CSS_BUDGET_KB = 300
NEXT_CARD_BUDGET_MS = 100
DASHBOARD_TASK_BUDGET_MS = 100


def initial_assets() -> list[tuple[str, int, int]]:
    """(path, raw bytes, gzipped bytes) of each script and stylesheet index.html loads."""
    html = (DIST / "index.html").read_text(encoding="utf-8")
    urls = re.findall(r'<script[^>]+src="([^"]+)"', html)
    urls += re.findall(r'<link[^>]+rel="(?:stylesheet|modulepreload)"[^>]*href="([^"]+)"', html)
    urls += re.findall(r'<link[^>]+href="([^"]+)"[^>]*rel="(?:stylesheet|modulepreload)"', html)
    out = []
    for url in dict.fromkeys(urls):
        path = DIST / url.removeprefix("/static/")
        data = path.read_bytes()
        out.append((url, len(data), len(gzip.compress(data, compresslevel=9))))
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare_database(env: dict[str, str]) -> None:
    manage = [PYTHON, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, cwd=ROOT, check=True)
    subprocess.run([*manage, "load_content"], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    subprocess.run(
        [
            *manage,
            "shell",
            "-v",
            "0",
            "-c",
            "from dlquiz.accounts.services import user_create; "
            "from dlquiz.study.services import settings_update; "
            f"u = user_create(username={USERNAME!r}, password={PASSWORD!r}, timezone='UTC'); "
            "settings_update(user=u, new_per_day=1000)",
        ],
        env=env,
        cwd=ROOT,
        check=True,
    )


def wait_up(url: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server did not answer {url} within {timeout} s")


LISTENER = """
window.__bench = null;
window.addEventListener('keydown', (e) => {
  if (!['1', '2', '3', '4'].includes(e.key)) return;
  const t0 = performance.now();
  const b = (window.__bench = { t0, dom: null, frame: null, card: null });
  const tick = () => {
    const m = performance.getEntriesByName('dlquiz:card-shown').find((x) => x.startTime >= t0);
    if (m) {
      b.dom = m.startTime - t0;
      b.frame = performance.now() - t0;  // the first animation frame with the new card: it paints next
      b.card = m.detail && m.detail.card;
    } else if (performance.now() - t0 < 5000) {
      requestAnimationFrame(tick);
    } else {
      b.frame = -1;
    }
  };
  requestAnimationFrame(tick);
}, true);
"""


LONG_TASKS = """
window.__longtasks = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__longtasks.push({ start: e.startTime, duration: e.duration });
}).observe({ type: 'longtask', buffered: true });
"""

DASHBOARD_FIGURES = """() => {
  const res = performance.getEntriesByType('resource');
  const last = (part) => res.filter((e) => e.name.includes(part)).pop();
  const dash = last('/api/v1/dashboard'), me = last('/api/v1/me');
  const arrived = dash ? dash.responseEnd : 0;
  const after = window.__longtasks.filter((t) => t.start + t.duration > arrived);
  return {
    longest: Math.max(0, ...after.map((t) => t.duration)),
    dashStart: dash ? dash.startTime : -1,
    meEnd: me ? me.responseEnd : -1,
  };
}"""


def measure_dashboard(page, base: str, loads: int) -> list[dict[str, float]]:  # type: ignore[no-untyped-def]
    """The longest task after the dashboard's data arrived, per load of the dashboard."""
    page.add_init_script(LONG_TASKS)
    out = []
    for _ in range(loads):
        page.goto(f"{base}/")
        page.wait_for_selector("#forecast-chart canvas")
        page.wait_for_timeout(800)  # the charts and the heat map settle
        out.append(page.evaluate(DASHBOARD_FIGURES))
    return out


def measure_next_card(base: str, ratings: int, dashboard: list[dict[str, float]]) -> list[dict[str, float]]:
    from playwright.sync_api import sync_playwright

    results: list[dict[str, float]] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.add_init_script(LISTENER)
        page.goto(f"{base}/login")
        page.fill("#username", USERNAME)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector(".stats")
        page.goto(f"{base}/study")
        page.wait_for_selector(".card-face")
        page.wait_for_timeout(300)
        rating = 3
        while len(results) < ratings:
            face = page.locator(".card-face")
            card = face.get_attribute("data-card-id")
            if "kind-exercise" in (face.get_attribute("class") or ""):
                page.keyboard.press("s")  # exercises need an answer first: suspend and go on
                page.wait_for_function(
                    "(c) => document.querySelector('.card-face')?.dataset.cardId !== c", arg=card
                )
                continue
            page.keyboard.press("Space")
            page.wait_for_selector(".ratings")
            page.wait_for_timeout(50)  # a learner reads the answer; the idle prefetch runs
            page.keyboard.press(str(rating))
            page.wait_for_function("() => window.__bench && window.__bench.frame !== null", timeout=10_000)
            r = page.evaluate("window.__bench")
            if r["frame"] < 0:
                if page.locator(".finished").count():
                    print(f"  the queue ran out after {len(results)} ratings")
                    break
                raise RuntimeError("the next card did not appear within 5 s")
            results.append(r)
            rating = 4 if rating == 3 else 3
        dashboard.extend(measure_dashboard(page, base, 5))
        browser.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ratings", type=int, default=40, help="ratings to time (default 40)")
    args = parser.parse_args()
    if not (DIST / "index.html").is_file():
        print("frontend/dist is not built: cd frontend && npm ci && npm run build", file=sys.stderr)
        return 2

    assets = initial_assets()
    print("Initial JavaScript + CSS (files index.html loads; KaTeX fonts excluded):")
    for url, raw, gz in assets:
        print(f"  {url:<48} {raw / 1024:8.1f} KB raw {gz / 1024:8.1f} KB gzip")
    total_gz = sum(gz for _, _, gz in assets) / 1024
    print(f"  total {total_gz:.1f} KB gzipped (budget {JS_CSS_BUDGET_KB} KB)")

    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: cannot time the next card", file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="dlquiz-bench-frontend-"))
    env = {
        **os.environ,
        "DLQUIZ_DATA_DIR": str(tmp),
        "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}",
        "DEBUG": "false",
        "DJANGO_SETTINGS_MODULE": "dlquiz.settings",
        "THROTTLE_LOGIN": "1000/min",
        "LOG_LEVEL": "ERROR",
    }
    server = None
    try:
        prepare_database(env)
        port = free_port()
        gunicorn = shutil.which("gunicorn", path=str(Path(PYTHON).parent)) or "gunicorn"
        server = subprocess.Popen(
            [
                gunicorn,
                "dlquiz.wsgi:application",
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                "2",
                "--threads",
                "4",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=ROOT,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        wait_up(f"{base}/login", server)
        dashboard: list[dict[str, float]] = []
        results = measure_next_card(base, args.ratings, dashboard)
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)

    dom = sorted(r["dom"] for r in results)
    frame = sorted(r["frame"] for r in results)

    def pct(xs: list[float], p: float) -> float:
        return xs[min(len(xs) - 1, round(p * (len(xs) - 1)))]

    print(f"Next card after a rating (gunicorn + SQLite on loopback, headless Chromium, {len(dom)} ratings):")
    print(
        f"  key press -> next front in the DOM: median {statistics.median(dom):.1f} ms, "
        f"p95 {pct(dom, 0.95):.1f} ms, max {dom[-1]:.1f} ms"
    )
    print(
        f"  key press -> first frame with it:   median {statistics.median(frame):.1f} ms, "
        f"p95 {pct(frame, 0.95):.1f} ms, max {frame[-1]:.1f} ms (budget {NEXT_CARD_BUDGET_MS} ms)"
    )
    longest = sorted(d["longest"] for d in dashboard)
    waited = sum(1 for d in dashboard if d["meEnd"] >= 0 and d["dashStart"] >= d["meEnd"])
    print(f"Dashboard after its data arrives ({len(longest)} loads, same learner):")
    print(
        f"  longest task after the data: median {statistics.median(longest):.0f} ms, max {longest[-1]:.0f} ms "
        f"(0: none over 50 ms; budget {DASHBOARD_TASK_BUDGET_MS} ms); per load, in order: "
        + ", ".join(f"{d['longest']:.0f}" for d in dashboard)
    )
    print(f"  dashboard request started after /me answered: {waited} of {len(dashboard)} loads")
    return 0


if __name__ == "__main__":
    sys.exit(main())
