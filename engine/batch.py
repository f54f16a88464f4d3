"""Grading many answer sheets of one family at once, as tensor arithmetic.

Reference answers come from :meth:`Family.closed_form` on whole parameter columns; typed answers are
parsed column by column (the common typings in one vectorised step, the rest by the tolerant parser of
single grading) and compared on the engine's device.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import torch

from engine import parsing
from engine.device import get_device
from engine.family import Family
from engine.grading import imprecise, parse_answer
from engine.parsing import NUMBER, Unreadable
from engine.values import NUMERIC_KINDS, Part, flat

__all__ = ["BatchGrade", "grade_batch"]


class BatchGrade:
    """The result of :func:`grade_batch`, kept as tensors: ``scores`` (n,) and, per part, ``status`` codes
    (0 unreadable or missing, 1 wrong, 2 correct, 3 imprecise: fewer digits than asked, right to those).
    Indexing gives one item as a dict."""

    STATUS = ("unreadable", "wrong", "correct", "imprecise")

    def __init__(self, scores: torch.Tensor, status: dict[str, torch.Tensor]) -> None:
        self.scores = scores
        self.status = status

    def __len__(self) -> int:
        return int(self.scores.shape[0])

    def __getitem__(self, i: int) -> dict[str, Any]:
        return {
            "score": float(self.scores[i]),
            "parts": {k: self.STATUS[int(v[i])] for k, v in self.status.items()},
        }

    def __iter__(self) -> Iterator[dict[str, Any]]:
        scores = self.scores.tolist()
        status = {k: v.tolist() for k, v in self.status.items()}
        for i, sc in enumerate(scores):
            yield {"score": sc, "parts": {k: self.STATUS[v[i]] for k, v in status.items()}}


_NUM_RE_SRC = rf"[ \t]*{NUMBER}[ \t]*"  # the single parser's number grammar, blanks around it
_LIST_ROW = rf"[ \t]*\[?(?:{_NUM_RE_SRC}(?:,{_NUM_RE_SRC})*)?\]?[ \t]*"
_SHAPE_ROW = r"[ \t]*\d+(?:[ \t]*x[ \t]*\d+)*[ \t]*"
_NUMERIC_CHARS = re.compile(r"[0-9eE+\-., \t\n]*")
_COLUMN_RES = {
    "scalar": re.compile(rf"{_NUM_RE_SRC}(?:\n{_NUM_RE_SRC})*"),
    "list": re.compile(rf"{_LIST_ROW}(?:\n{_LIST_ROW})*"),
    "shape": re.compile(rf"{_SHAPE_ROW}(?:\n{_SHAPE_ROW})*"),
}


def _parse_column(part: Part, texts: list[str | None], width: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Parsed values (n, width) float64 (NaN where unreadable or of the wrong length) and a readable mask.

    The common typings are converted for the whole column at once (:func:`_parse_column_fast`); any other
    column goes through the tolerant per-item parser."""
    fast = _parse_column_fast(part, texts, width)
    if fast is not None:
        return fast
    nan_row = [math.nan] * width
    rows: list[list[float]] = []
    readable: list[bool] = []
    for text in texts:
        row = nan_row
        ok_item = False
        if text:
            try:
                value = parse_answer(part, text)
                ok_item = True  # a readable answer of the wrong length stays NaN: wrong
                if part.kind == "choice":
                    row = [float(part.choices.index(value))]
                else:
                    row = sorted(flat(value)) if part.kind == "set" else flat(value)
                    if part.kind in ("set", "list") and len(row) < width:
                        row = row + [-1.0] * (width - len(row))  # index answers are padded with -1
                if len(row) != width:
                    row = nan_row
            except Unreadable:
                pass
        rows.append(row)
        readable.append(ok_item)
    return torch.tensor(rows, dtype=torch.float64), torch.tensor(readable, dtype=torch.bool)


def _parse_column_fast(
    part: Part, texts: list[str | None], width: int
) -> tuple[torch.Tensor, torch.Tensor] | None:
    """The vectorised path for the common typings: plain numbers, numbers separated by commas (optionally
    bracketed; index lists may be shorter than the widest row), shapes like 64x56x56, choices typed as the
    choice itself. One regular expression checks the whole column and NumPy converts it; ``None`` when
    any text needs the tolerant per-item parser (full-width characters, fractions, percentages, ...)."""
    n = len(texts)
    if part.kind == "choice":
        index = {c: float(i) for i, c in enumerate(part.choices)}
        picked = [index.get(t) if isinstance(t, str) else None for t in texts]
        if any(v is None for v in picked):
            return None
        return torch.tensor(picked, dtype=torch.float64).reshape(n, 1), torch.ones(n, dtype=torch.bool)
    if not all(isinstance(t, str) and t and "\n" not in t for t in texts):
        return None
    joined = "\n".join(texts)  # type: ignore[arg-type]
    if len(joined) > 200 * n + 1000:
        return None
    # a cheap character check first; NumPy's conversion then rejects malformed numbers ("1e", "+-1")
    plain = "[" not in joined and "]" not in joined and _NUMERIC_CHARS.fullmatch(joined) is not None
    if part.kind in ("int", "real"):
        if width != 1 or "," in joined or not (plain or _COLUMN_RES["scalar"].fullmatch(joined)):
            return None
        try:
            values = np.array(joined.split("\n"), dtype=np.float64).reshape(n, 1)
        except ValueError:
            return None
    else:
        if part.kind == "shape":
            if not _COLUMN_RES["shape"].fullmatch(joined):
                return None
            rows = joined.replace("x", ",").split("\n")
        elif part.kind in ("vector", "list", "set"):
            if not (plain or _COLUMN_RES["list"].fullmatch(joined)):
                return None
            rows = joined.replace("[", "").replace("]", "").split("\n")
        else:
            return None
        lengths = np.fromiter((r.count(",") + 1 if r.strip() else 0 for r in rows), dtype=np.int64, count=n)
        if (lengths > width).any() or (part.kind in ("vector", "shape") and (lengths != width).any()):
            return None
        flat = ",".join(r for r in rows if r.strip())
        try:
            items = np.array(flat.split(","), dtype=np.float64) if flat else np.zeros(0)
        except ValueError:
            return None
        if part.kind in ("list", "set", "shape") and (items < 0).any():
            return None  # negative indices are unreadable to the tolerant parser too
        values = np.full((n, width), -1.0)  # index lists shorter than the widest are padded with -1
        starts = np.cumsum(lengths) - lengths
        values[np.repeat(np.arange(n), lengths), np.arange(len(items)) - np.repeat(starts, lengths)] = items
    if not np.isfinite(values).all():
        return None
    if part.kind in ("int", "list", "set", "shape") and not (values == np.round(values)).all():
        return None
    if part.kind in ("int", "list", "set", "shape") and (np.abs(values) >= 10**parsing.MAX_DIGITS).any():
        return None  # past 18 digits the tolerant parser decides (it reads them as unreadable)
    if part.kind == "set":
        values = np.sort(values, axis=1)
    return torch.from_numpy(values), torch.ones(n, dtype=torch.bool)


def grade_batch(
    family: Family,
    params: Sequence[Mapping[str, Any]] | Mapping[str, torch.Tensor],
    answers_list: Sequence[Mapping[str, str]],
    *,
    device: torch.device | None = None,
) -> BatchGrade:
    """Grade many submissions of one family at once.

    ``params`` is a list of parameter dicts or, already vectorised, a dict of parameter columns (as
    :meth:`Family.sample_columns` gives). Reference answers come from :meth:`Family.closed_form` on the
    whole columns, typed answers are parsed column by column (plain numbers in one vectorised step) and
    compared as tensor arithmetic on the engine's device.

    Example:
        >>> from engine import get_family
        >>> f = get_family("conv2d_output_size")
        >>> ps = [{"size": 32, "kernel": 3, "padding": 1, "stride": 2, "dilation": 1}] * 2
        >>> [r["score"] for r in grade_batch(f, ps, [{"out": "16"}, {"out": "15"}])]
        [1.0, 0.0]
    """
    device = device or get_device()
    if isinstance(params, Mapping):
        cols = {k: v.to(device) for k, v in params.items()}
        n = int(next(iter(cols.values())).shape[0]) if cols else 0
        first_row = family.rows({k: v[:1] for k, v in cols.items()})[0] if n else {}
    else:
        n = len(params)
        cols = family.columns(params, device) if n else {}
        first_row = dict(params[0]) if n else {}
    if n != len(answers_list):
        raise ValueError("params and answers_list differ in length")
    if n == 0:
        return BatchGrade(torch.zeros(0, dtype=torch.float64), {})
    refs = family.closed_form(cols)
    sample_parts = family.build(first_row).parts
    status: dict[str, torch.Tensor] = {}
    credit = torch.zeros(n, dtype=torch.float64, device=device)
    for part in sample_parts:
        ref = refs[part.name].to(device=device, dtype=torch.float64).reshape(n, -1)
        parsed, readable = _parse_column(part, [a.get(part.name) for a in answers_list], ref.shape[1])
        parsed, readable = parsed.to(device), readable.to(device)
        if part.kind == "set":  # -1 padding sorts first on both sides
            ref = ref.sort(dim=1).values
        if part.kind in NUMERIC_KINDS:
            ok = ((parsed - ref).abs() <= part.precision.tolerance_tensor(ref)).all(dim=1)
        else:
            ok = (parsed == ref).all(dim=1)
        ok = ok & readable
        credit += ok.to(torch.float64)
        codes = torch.where(ok, 2, torch.where(readable, 1, 0)).cpu()
        if part.kind in NUMERIC_KINDS:
            _mark_imprecise(part, codes, ref, answers_list)
        status[part.name] = codes
    return BatchGrade((credit / len(sample_parts)).cpu(), status)


def _mark_imprecise(
    part: Part, codes: torch.Tensor, ref: torch.Tensor, answers_list: Sequence[Mapping[str, str]]
) -> None:
    """Recode the wrong answers that are imprecise (3), by single grading's rule, on the rows' own
    reference values (only wrong rows are looked at: the rule needs the typed digits). The batch knows
    no mistakes: a value typed with few digits that is exactly a listed mistake's, which single grading
    calls wrong (that mistake), is imprecise here; both score nothing."""
    wrong = (codes == 1).nonzero().flatten().tolist()
    if not wrong:
        return
    rows = ref.cpu()
    for i in wrong:
        text = answers_list[i].get(part.name) or ""
        answer: Any = rows[i].tolist()
        if part.kind == "real":
            answer = answer[0]
        try:
            value = parse_answer(part, text)
        except Unreadable:
            continue
        if imprecise(replace(part, answer=answer), value, text):
            codes[i] = 3
