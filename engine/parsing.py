"""Tolerant parsing of a learner's typed answer.

Accepts what people type on a phone or with a Chinese IME: full-width digits and punctuation,
``1e-3``, ``1×10^-3``, ``1/2``, ``\\frac{1}{2}``, ``12.5%`` (only where the quantity is a ratio), shapes
like ``64x56x56`` or ``(64, 56, 56)`` and lists of indices. Every function raises :class:`Unreadable`
with a message saying what was expected; it never guesses.
"""

from __future__ import annotations

import math
import re
import unicodedata
from decimal import Decimal

__all__ = [
    "MAX_INPUT_CHARS",
    "NUMBER",
    "Unreadable",
    "normalize",
    "parse_choice",
    "parse_index_list",
    "parse_int",
    "parse_matrix",
    "parse_real",
    "parse_shape",
    "parse_vector",
    "typed_digits",
]

MAX_INPUT_CHARS = 10_000
#: Digits of a dimension or an index: more is no answer, and ``int`` refuses 4,300+ digits.
MAX_DIGITS = 18

_TRANSLATE = str.maketrans(
    {
        "，": ",",
        "、": ",",
        "；": ";",
        "。": ".",
        "．": ".",
        "／": "/",
        "％": "%",
        "－": "-",
        "—": "-",
        "–": "-",
        "−": "-",
        "（": "(",
        "）": ")",
        "【": "[",
        "】": "]",
        "［": "[",
        "］": "]",
        "｛": "{",
        "｝": "}",
        "＋": "+",
        "＊": "*",
        "·": "*",
        "⋅": "*",
        "＾": "^",
        "＝": "=",
        "：": ":",
        "\u3000": " ",
        "ｘ": "x",
        "Ｘ": "x",
        "X": "x",
        "✕": "x",
        "╳": "x",
    }
)


class Unreadable(ValueError):
    """The input could not be read as the expected kind of answer (never counted as wrong)."""


def normalize(text: str) -> str:
    """Full-width to half-width, IME punctuation to ASCII, whitespace trimmed.

    >>> normalize("１２，３４　")
    '12,34'
    """
    if not isinstance(text, str):
        raise Unreadable("expected text")
    if len(text) > MAX_INPUT_CHARS:
        raise Unreadable(f"answer is longer than {MAX_INPUT_CHARS} characters")
    text = unicodedata.normalize("NFKC", text).translate(_TRANSLATE)
    return text.strip()


#: A plain decimal number (``-1.5``, ``.5``, ``3.``, ``2e-3``): the grammar of single answers and of the
#: vectorised column parser in :mod:`engine.batch`.
NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_NUM_RE = re.compile(rf"^{NUMBER}$", re.IGNORECASE)
_SCI_RE = re.compile(rf"^({NUMBER})\s*(?:x|\*|×)\s*10\s*\^\s*\{{?\s*([+-]?\d+)\s*\}}?$", re.IGNORECASE)
_POW10_RE = re.compile(r"^10\s*\^\s*\{?\s*([+-]?\d+)\s*\}?$")
_FRAC_RE = re.compile(rf"^({NUMBER})\s*/\s*({NUMBER})$", re.IGNORECASE)
_TEXFRAC_RE = re.compile(r"^([+-]?)\\[dt]?frac\s*\{\s*([^{}]+?)\s*\}\s*\{\s*([^{}]+?)\s*\}$")


def _strip_wrappers(s: str) -> str:
    s = s.strip()
    while len(s) >= 2 and s[0] == "$" and s[-1] == "$":
        s = s[1:-1].strip()
    return s.replace("\\times", "×").replace("\\cdot", "*").replace("\\%", "%")


def _pow10(exponent: str) -> float:
    """10 to a typed exponent of any length: float's parser saturates (inf, 0.0) where ``10.0 ** int(e)``
    overflows or ``int`` refuses 4,300+ digits."""
    return float("1e" + exponent)


def _scaled(mantissa: str, exponent: str) -> float:
    """``mantissa × 10^exponent`` read exactly, as ``float("8.51968e5")`` reads it (correctly rounded
    once: 851968.0, where ``8.51968 * 10.0**5`` is 851967.9999999999)."""
    exp = int(exponent) if len(exponent.lstrip("+-")) <= 6 else None
    if exp is None:  # an absurd exponent: saturate the way float's parser does
        return float(mantissa) * _pow10(exponent)
    return float(Decimal(mantissa).scaleb(exp))


def _finite(x: float) -> float:
    if not math.isfinite(x):
        raise Unreadable("not a finite number")
    return x


def _number(s: str) -> float:
    s = _strip_wrappers(s).replace(" ", "").replace("_", "")
    s = s.replace(",", "") if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?", s) else s
    if not s:
        raise Unreadable("empty")
    if _NUM_RE.match(s):
        return float(s)
    m = _SCI_RE.match(s)
    if m:
        return _finite(_scaled(m.group(1), m.group(2)))
    m = _POW10_RE.match(s)
    if m:
        return _finite(_pow10(m.group(1)))
    m = _FRAC_RE.match(s)
    if m:
        den = _finite(float(m.group(2)))
        if den == 0:
            raise Unreadable("division by zero")
        return float(m.group(1)) / den
    m = _TEXFRAC_RE.match(s)
    if m:
        sign = -1.0 if m.group(1) == "-" else 1.0
        num, den = _finite(_number(m.group(2))), _finite(_number(m.group(3)))
        if den == 0:
            raise Unreadable("division by zero")
        return sign * num / den
    raise Unreadable(f"not a number: {s[:40]!r}")


def parse_real(text: str, *, ratio: bool = False) -> float:
    """A real number. ``ratio=True`` also accepts a percentage (``12.5%`` is 0.125).

    >>> parse_real("1×10^-3")
    0.001
    >>> parse_real("\\\\frac{1}{4}")
    0.25
    >>> parse_real("12.5％", ratio=True)
    0.125
    """
    if isinstance(text, str) and len(text) < 40 and text.isascii() and "_" not in text:
        try:  # fast path: a plain ASCII number
            value = float(text)
        except ValueError:
            pass
        else:
            if math.isfinite(value):
                return value
    s = normalize(text)
    if s.endswith("%"):
        if not ratio:
            raise Unreadable("a percentage is not accepted for this quantity; give the number")
        value = _number(s[:-1]) / 100.0
    else:
        value = _number(s)
    if not math.isfinite(value):
        raise Unreadable("not a finite number")
    return value


def parse_int(text: str) -> int:
    """An integer (``3``, ``3.0``, ``1e3``, ``1,024``); a non-integral number is unreadable as a count.

    >>> parse_int("１，０２４")
    1024
    """
    exact = _exact_integer(text)
    if exact is not None:
        return exact
    value = parse_real(text)
    if value != int(value):
        raise Unreadable("expected a whole number")
    if abs(value) > 2**62:
        raise Unreadable("number too large")
    return int(value)


def _exact_integer(text: str) -> int | None:
    """A plain or scientific integer read in decimal arithmetic (``8.51968×10^5``, ``1234567890123456789``
    past float's 2**53), or ``None`` for other forms (fractions...), which :func:`parse_real` reads."""
    s = _strip_wrappers(normalize(text)).replace(" ", "").replace("_", "")
    s = s.replace(",", "") if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?", s) else s
    m = _SCI_RE.match(s)
    if m and len(m.group(2).lstrip("+-")) <= 6:
        value = Decimal(m.group(1)).scaleb(int(m.group(2)))
    elif _NUM_RE.match(s) and len(s) <= 40:
        value = Decimal(s)
    else:
        return None
    if not value.is_finite() or abs(value) > 2**62:
        return None  # parse_real decides (too large, not finite)
    if value != value.to_integral_value():
        raise Unreadable("expected a whole number")
    return int(value)


def typed_digits(text: str) -> list[tuple[int, int] | None]:
    """How precisely each number of a typed answer was given: ``(significant digits, decimals)`` per
    number, ``None`` for an exact form (a fraction). Trailing zeros of a whole number are not
    significant; a percentage has two more decimals than it shows.

    >>> typed_digits("0.1250")
    [(4, 4)]
    >>> typed_digits("[1.2e-3, 1/8, 12.5%, 1200]")
    [(2, 4), None, (3, 3), (2, 0)]
    """
    s = normalize(text)
    items = [i for row in re.split(r"[;\n]", s) for i in _split_items(row.replace("[", "").replace("]", ""))]
    return [_digits_of(i) for i in items]


def _digits_of(item: str) -> tuple[int, int] | None:
    s = _strip_wrappers(item).replace(" ", "").replace("_", "")
    extra = 0
    if s.endswith("%"):
        s, extra = s[:-1], 2
    s = s.replace(",", "") if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?", s) else s
    m = _SCI_RE.match(s)
    if m:
        mantissa, exp = m.group(1), int(m.group(2)) if len(m.group(2)) <= 6 else 0
    elif _NUM_RE.match(s):
        mantissa, exp = s, 0
    else:
        return None  # 1/8, \frac{1}{8}, 10^-3: exact forms
    mantissa = mantissa.lstrip("+-").lower()
    if "e" in mantissa:
        mantissa, e = mantissa.split("e")
        exp += int(e) if len(e) <= 6 else 0
    whole, _, frac = mantissa.partition(".")
    digits = (whole + frac).lstrip("0")
    if not frac and "." not in mantissa:
        digits = digits.rstrip("0")
    return max(1, len(digits)), max(0, len(frac) - exp + extra)


def _split_items(s: str) -> list[str]:
    s = s.strip()
    if s[:1] in "([{" and s[-1:] in ")]}":
        s = s[1:-1]
    s = s.strip()
    if not s:
        return []
    if "," in s or ";" in s:
        parts = re.split(r"[,;]", s)
    else:
        parts = s.split()
    return [p.strip() for p in parts if p.strip()]


def parse_vector(text: str, *, ratio: bool = False) -> list[float]:
    """Numbers separated by commas or spaces, optionally bracketed.

    >>> parse_vector("[0.1，0.2 ]")
    [0.1, 0.2]
    """
    s = normalize(text)
    items = _split_items(s)
    if not items:
        raise Unreadable("expected a list of numbers")
    return [parse_real(i, ratio=ratio) for i in items]


def parse_matrix(text: str) -> list[list[float]]:
    """Rows separated by ``;`` or new lines or nested brackets: ``[[1, 2], [3, 4]]`` or ``1 2; 3 4``."""
    s = normalize(text)
    if s.startswith("[[") or s.startswith("(("):
        rows = re.findall(r"[\[(]([^\[\]()]*)[\])]", s[1:-1])
    else:
        rows = [r for r in re.split(r"[;\n]", s) if r.strip()]
    out = []
    for r in rows:
        items = r.replace(",", " ").split()
        if not items:
            raise Unreadable("empty row")
        out.append([parse_real(i) for i in items])
    if not out or len({len(r) for r in out}) != 1:
        raise Unreadable("expected a rectangular matrix")
    return out


def parse_shape(text: str) -> tuple[int, ...]:
    """A tensor shape: ``64x56x56``, ``64×56×56``, ``(64, 56, 56)``, ``64*56*56``.

    >>> parse_shape("（64，56，56）")
    (64, 56, 56)
    >>> parse_shape("64x56x56")
    (64, 56, 56)
    """
    s = normalize(text).replace("×", "x")
    if s[:1] in "([" and s[-1:] in ")]":
        s = s[1:-1]
    parts = [p for p in re.split(r"\s*(?:x|\*|,)\s*|\s+", s.strip()) if p]
    if not parts:
        raise Unreadable("expected a shape such as 64x56x56")
    return tuple(_count(p, "a dimension") for p in parts)


def parse_index_list(text: str) -> list[int]:
    """Indices separated by commas or spaces; an empty answer may be written ``[]`` or ``无``/``none``."""
    s = normalize(text)
    if s.lower() in ("[]", "()", "{}", "none", "无", "空", "empty"):
        return []
    items = _split_items(s)
    if not items:
        raise Unreadable("expected indices such as 0, 2, 3")
    return [_count(i, "an index") for i in items]


def _count(token: str, what: str) -> int:
    """A dimension or an index: plain digits, at most ``MAX_DIGITS`` of them."""
    if not re.fullmatch(r"\d+", token):
        raise Unreadable(f"not {what}: {token[:20]!r}")
    if len(token) > MAX_DIGITS:
        raise Unreadable("number too large")
    return int(token)


def _choice_key(text: str) -> str:
    """A choice's text as compared: case, blanks, backticks and the kind of quotes do not matter (Python
    code reads the same with ``"sum"`` or ``'sum'``, with or without spaces)."""
    return (
        re.sub(r"[\s`]+", "", normalize(text))
        .replace('"', "'")
        .replace("‘", "'")
        .replace("’", "'")
        .replace("“", "'")
        .replace("”", "'")
        .lower()
    )


def parse_choice(text: str, choices: tuple[str, ...]) -> str:
    """One of ``choices``: matched by its letter (A, B, ...), its index from 1, or its text (blanks and
    the kind of quotes aside).

    >>> parse_choice('F.kl_div(q.log(), p, reduction="sum")', ("F.kl_div(Q.log(), P, reduction='sum')",))
    "F.kl_div(Q.log(), P, reduction='sum')"
    """
    s = normalize(text)
    if not s:
        raise Unreadable("empty")
    low = s.lower()
    key = _choice_key(s)
    for i, c in enumerate(choices):
        if low == c.lower() or low == chr(ord("a") + i) or low == str(i + 1) or key == _choice_key(c):
            return c
    raise Unreadable("expected one of: " + ", ".join(f"{chr(65 + i)}. {c}" for i, c in enumerate(choices)))
