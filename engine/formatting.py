"""Numbers as prompts and solutions show them: plain text (:func:`fmt`, :func:`vec_str`) and LaTeX
(:func:`tnum`, :func:`par`, :func:`signed`, :func:`tex_vec`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.values import Part

__all__ = ["fmt", "par", "precision_statement", "signed", "tex_vec", "tnum", "vec_str"]


def fmt(x: float, digits: int = 6) -> str:
    """A number as shown in prompts and solutions: integers plain, reals with ``digits`` significant.

    >>> fmt(3.0), fmt(0.1 + 0.2), fmt(1e-5)
    ('3', '0.3', '1e-05')
    """
    if isinstance(x, int) or (isinstance(x, float) and x.is_integer() and abs(x) < 1e15):
        return str(int(x))
    return f"{x:.{digits}g}"


def tnum(x: float, digits: int = 6) -> str:
    """A number for LaTeX: ``1e-05`` becomes ``10^{-5}``, ``2.5e-06`` becomes ``2.5\\times10^{-6}``."""
    s = fmt(x, digits)
    if "e" not in s:
        return s
    mant, exp = s.split("e")
    e = int(exp)
    return f"10^{{{e}}}" if mant in ("1", "1.0") else f"{mant}\\times10^{{{e}}}"


def par(x: float, digits: int = 6) -> str:
    """:func:`tnum`, in parentheses when negative (for products and differences)."""
    s = tnum(x, digits)
    return f"({s})" if s.startswith("-") else s


def signed(x: float, digits: int = 6) -> str:
    """A term appended to a sum: ``+0.5`` or ``-0.5``."""
    s = tnum(x, digits)
    return s if s.startswith("-") else "+" + s


def vec_str(values: Iterable[float]) -> str:
    """``[0.1, -2, 3.5]`` as shown in prompts."""
    return "[" + ", ".join(fmt(float(v)) for v in values) + "]"


def tex_vec(values: Iterable[float]) -> str:
    """A LaTeX row vector."""
    return "(" + ",\\ ".join(tnum(float(v)) for v in values) + ")"


def precision_statement(parts: Sequence[Part]) -> str:
    """What the prompt asks of the typed answers, from each part's declared precision (the one statement
    every prompt ends with; the grader's tolerance derives from the same declaration).

    >>> from engine.values import Part, Precision
    >>> precision_statement([Part("n", "个数", "int", 3), Part("x", "$x$", "real", 0.5)])
    '**作答要求**：个数填整数（须精确）；$x$ 保留 4 位有效数字（可写分数）。计算过程中不要提前取整。'
    >>> precision_statement([Part("x", "$x$", "real", 0.5), Part("y", "$y$", "real", 0.5)])
    '**作答要求**：数值答案保留 4 位有效数字（可写分数）。计算过程中不要提前取整。'
    """
    groups: dict[str, list[str]] = {}
    reals = False
    for p in parts:
        if p.kind == "int":
            text = "填整数（须精确）"
        elif p.kind in ("real", "vector", "matrix"):
            text, reals = p.precision.describe(), True
        else:
            continue  # shapes, indices and choices: exact, their format is the input's hint
        groups.setdefault(text, []).append(p.label)
    if not groups:
        return ""
    if len(groups) == 1 and len(next(iter(groups.values()))) == len(parts):
        text = next(iter(groups))  # one statement for every part
        body = ("数值答案" if len(parts) > 1 and reals else "答案") + text
    else:
        body = "；".join(
            "、".join(labels) + ("" if text.startswith("填") else " ") + text
            for text, labels in groups.items()
        )
    return f"**作答要求**：{body}。" + ("计算过程中不要提前取整。" if reals else "")
