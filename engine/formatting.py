"""Numbers as prompts and solutions show them: plain text (:func:`fmt`, :func:`vec_str`) and LaTeX
(:func:`tnum`, :func:`par`, :func:`signed`, :func:`tex_vec`)."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["fmt", "par", "signed", "tex_vec", "tnum", "vec_str"]


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
