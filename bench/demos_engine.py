#!/usr/bin/env python
"""Demonstrations benchmark (engine only): per demonstration at its default parameters,

* cold run: a fresh Python process that has imported torch and the engine (as a worker has) runs the
  demonstration once; median of 3 processes (``--warm-up``: the process calls
  ``engine.demos.warm_up()`` first, as a worker does when it starts);
* first progress: seconds from the start of ``run`` to its first progress callback (cold, median of 3);
* warm run: median of 3 further runs in one process (other seeds);
* JSON: the size of ``result.to_dict()`` as JSON.

Torch uses ``--threads`` intra-op threads (default 2, the target machine's cores). Target (issue 11):
every default run under 5 s on a 2-core CPU. A figure, not a test: nothing here passes or fails.

The load average is printed because the figures mean little on a busy CPU: OpenMP threads spin while
they wait, so with more runnable threads than cores a multi-threaded run slows down many times over
(``OMP_WAIT_POLICY=PASSIVE`` or ``--threads 1`` avoid it; see docs/demos.md).

    .venv/bin/python bench/demos_engine.py [--threads 2] [--demo ID ...] [--device cpu] [--warm-up]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def one_run(demo_id: str, seed: int, device: str) -> dict[str, float]:
    from engine.demos import get_demo

    demo = get_demo(demo_id)
    first: list[float] = []
    t0 = time.perf_counter()

    def progress(pct: int) -> None:
        if not first:
            first.append(time.perf_counter() - t0)

    result = demo.run(seed=seed, progress=progress, device=device)
    wall = time.perf_counter() - t0
    size = len(json.dumps(result.to_dict(), allow_nan=False, ensure_ascii=False).encode())
    return {"wall": wall, "first_progress": first[0], "json_bytes": size}


def child(args: argparse.Namespace) -> None:
    import torch

    torch.set_num_threads(args.threads)
    import engine.demos  # import outside the timed region, as in a worker

    if args.warm_up:
        engine.demos.warm_up()

    print(json.dumps(one_run(args.child, args.seed, args.device)))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--demo", nargs="*", help="demonstration ids (default: all)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--warm-up", action="store_true", help="cold processes call warm_up() first")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    import torch

    torch.set_num_threads(args.threads)
    from engine.demos import all_demos

    ids = args.demo or [d.id for d in all_demos()]
    import os

    print(
        f"torch {torch.__version__}, {args.threads} thread(s), device {args.device}, {os.cpu_count()} CPU(s), "
        f"warm_up {'yes' if args.warm_up else 'no'}, load average {os.getloadavg()[0]:.1f}, OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '(unset)')}; "
        f"median of {args.repeat} (seconds)"
    )
    print(f"{'demonstration':<18} {'cold run':>9} {'1st progress':>13} {'warm run':>9} {'JSON KiB':>9}")
    worst = 0.0
    for demo_id in ids:
        cold = []
        for seed in range(args.repeat):
            cmd = [
                sys.executable,
                __file__,
                "--child",
                demo_id,
                "--seed",
                str(seed),
                "--threads",
                str(args.threads),
                "--device",
                args.device,
                *(["--warm-up"] if args.warm_up else []),
            ]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT)
            cold.append(json.loads(out.stdout.strip().splitlines()[-1]))
        warm = [one_run(demo_id, 100 + seed, args.device) for seed in range(args.repeat)]
        cold_wall = statistics.median(c["wall"] for c in cold)
        worst = max(worst, cold_wall)
        print(
            f"{demo_id:<18} {cold_wall:>9.3f} {statistics.median(c['first_progress'] for c in cold):>13.3f} "
            f"{statistics.median(w['wall'] for w in warm):>9.3f} {cold[0]['json_bytes'] / 1024:>9.1f}"
        )
    print(f"slowest cold run: {worst:.3f} s (target: under 5 s on a 2-core CPU)")


if __name__ == "__main__":
    main()
