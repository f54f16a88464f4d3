#!/usr/bin/env python
"""Engine benchmark: variants generated and graded per second, per family, one at a time vs grade_batch.

Single item: ``family.generate(seed)`` (the PyTorch path: modules on meta tensors, optimizer steps...) then
``grade(variant, answers)``. Batch: ``family.sample_columns`` draws 10,000 variants as parameter columns,
then one ``grade_batch`` call (closed form on whole columns, vectorised parsing, comparison as tensor
arithmetic). The answers graded are the right ones, typed as text, prepared outside the timed region.
Target (issue #4): batch >= 20x single.

On a machine with CUDA and torchvision it also times the IoU matrix and NMS for 1k/10k boxes against
torchvision.ops on the same GPU.

    .venv/bin/python bench/engine.py [--batch 10000] [--single 200] [--family ID ...]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch

from engine import all_families, get_device, get_family, grade, grade_batch
from engine.ops import box_iou, nms


def typed(part, value) -> str:
    if part.kind == "shape":
        return "x".join(str(int(d)) for d in value)
    if part.kind in ("set", "list"):
        return ", ".join(str(int(i)) for i in value) if value else "[]"
    if part.kind == "vector":
        return ", ".join(repr(float(x)) for x in value)
    if part.kind == "matrix":
        return "; ".join(" ".join(repr(float(x)) for x in row) for row in value)
    return str(value) if part.kind == "choice" else repr(value)


def _typed_row(part, row: list[float]) -> str:
    """A closed-form answer row as a learner would type it (index answers without the -1 padding)."""
    if part.kind == "choice":
        return part.choices[int(row[0])]
    if part.kind in ("int", "real") and len(row) == 1:
        return repr(int(row[0])) if part.kind == "int" else repr(row[0])
    if part.kind == "shape":
        return "x".join(str(int(d)) for d in row)
    if part.kind in ("set", "list"):
        items = [str(int(i)) for i in row if i >= 0]
        return ", ".join(items) if items else "[]"
    return ", ".join(repr(x) for x in row)


def bench_family(fid: str, n_single: int, n_batch: int) -> tuple[float, float]:
    family = get_family(fid)
    # single item: generate (the PyTorch path) + grade; typed answers prepared beforehand
    pre = [family.generate(s) for s in range(n_single)]
    answers = [{p.name: typed(p, p.answer) for p in v.parts} for v in pre]
    t = time.perf_counter()
    for seed, ans in zip(range(n_single), answers, strict=True):
        grade(family.generate(seed), ans)
    single = n_single / (time.perf_counter() - t)
    # batch: draw n_batch variants as parameter columns + one grade_batch call; the typed answers are
    # prepared beforehand from the same draw
    cols = family.sample_columns(n_batch, generator=torch.Generator().manual_seed(1))
    refs = family.closed_form(cols)
    parts = family.build(family.rows({k: v[:1] for k, v in cols.items()})[0]).parts
    ref_rows = {p.name: refs[p.name].reshape(n_batch, -1).tolist() for p in parts}
    answers_b = [{p.name: _typed_row(p, ref_rows[p.name][i]) for p in parts} for i in range(n_batch)]
    t = time.perf_counter()
    cols = family.sample_columns(n_batch, generator=torch.Generator().manual_seed(1))
    result = grade_batch(family, cols, answers_b)
    batch = n_batch / (time.perf_counter() - t)
    assert float(result.scores.min()) == 1.0, fid
    return single, batch


def bench_boxes() -> None:
    if not torch.cuda.is_available():
        print("IoU/NMS vs torchvision.ops: skipped (no CUDA on this machine)")
        return
    try:
        import torchvision.ops as tvo
    except ImportError:
        print("IoU/NMS vs torchvision.ops: skipped (torchvision is not installed)")
        return
    dev = torch.device("cuda")
    for n in (1_000, 10_000):
        g = torch.Generator(device="cpu").manual_seed(n)
        xy = torch.rand(n, 2, generator=g) * 1000
        wh = torch.rand(n, 2, generator=g) * 100 + 1
        boxes = torch.cat([xy, xy + wh], 1).to(dev)
        scores = torch.rand(n, generator=g).to(dev)

        def timed(fn, reps=5):
            fn()
            torch.cuda.synchronize()
            t = time.perf_counter()
            for _ in range(reps):
                fn()
            torch.cuda.synchronize()
            return (time.perf_counter() - t) / reps * 1000

        ours_iou = timed(lambda b=boxes: box_iou(b, b))
        tv_iou = timed(lambda b=boxes: tvo.box_iou(b, b))
        ours_nms = timed(lambda b=boxes, s=scores: nms(b, s, 0.5), 2)
        tv_nms = timed(lambda b=boxes, s=scores: tvo.nms(b, s, 0.5))
        same = nms(boxes, scores, 0.5).tolist() == tvo.nms(boxes, scores, 0.5).tolist()
        print(
            f"{n:>6} boxes: IoU matrix {ours_iou:8.2f} ms vs torchvision {tv_iou:8.2f} ms ({ours_iou / tv_iou:.1f}x) | "
            f"NMS {ours_nms:8.2f} ms vs torchvision {tv_nms:8.2f} ms ({ours_nms / tv_nms:.1f}x), same kept: {same}"
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=10_000)
    ap.add_argument("--single", type=int, default=200)
    ap.add_argument("--family", nargs="*")
    args = ap.parse_args()
    torch.set_num_threads(1)
    print(f"device: {get_device()}, torch {torch.__version__}, batch {args.batch}, single {args.single}")
    print(f"{'family':<30} {'single/s':>10} {'batch/s':>12} {'speed-up':>9}")
    ratios = []
    for fam in all_families():
        if args.family and fam.id not in args.family:
            continue
        single, batch = bench_family(fam.id, args.single, args.batch)
        ratios.append(batch / single)
        print(f"{fam.id:<30} {single:>10.0f} {batch:>12.0f} {batch / single:>8.1f}x")
    ratios.sort()
    print(
        f"speed-up over {len(ratios)} families: min {ratios[0]:.1f}x, median {ratios[len(ratios) // 2]:.1f}x, "
        f"families under 20x: {sum(r < 20 for r in ratios)}"
    )
    bench_boxes()


if __name__ == "__main__":
    main()
