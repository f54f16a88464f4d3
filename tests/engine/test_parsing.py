"""engine.parsing: what its docstrings promise (full-width / IME input, 1e-3, 1×10^-3, fractions,
\\frac, percentages only for ratios, shapes, index lists, the 10,000-character limit, garbage
reported as unreadable and never guessed), with hypothesis round-trip and fuzz properties."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.parsing import (
    MAX_INPUT_CHARS,
    Unreadable,
    normalize,
    parse_choice,
    parse_index_list,
    parse_int,
    parse_matrix,
    parse_real,
    parse_shape,
    parse_vector,
)

FULL_WIDTH = str.maketrans("0123456789.,-+/%()eE", "０１２３４５６７８９．，－＋／％（）ｅＥ")


# -- normalize ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("１２，３４　", "12,34"),
        ("　（６４，５６）　", "(64,56)"),
        ("１２．５％", "12.5%"),
        ("３／４", "3/4"),
        ("ａ—ｂ", "a-b"),  # em dash from an IME
        ("−３", "-3"),  # U+2212 minus sign
        ("１；２", "1;2"),
        ("【１，２】", "[1,2]"),
        ("  7 \n", "7"),
    ],
)
def test_normalize_full_width_and_ime_punctuation(text, expected):
    assert normalize(text) == expected


def test_normalize_rejects_non_text():
    with pytest.raises(Unreadable):
        normalize(5)  # type: ignore[arg-type]


# -- reals -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0.125", 0.125),
        ("1e-3", 1e-3),
        ("1E-3", 1e-3),
        ("2.5e2", 250.0),
        ("1×10^-3", 1e-3),
        ("1x10^-3", 1e-3),
        ("1*10^-3", 1e-3),
        ("3×10^{-2}", 0.03),
        ("3\\times10^{-2}", 0.03),
        ("1.5 × 10 ^ 4", 15000.0),
        ("10^-3", 1e-3),
        ("10^{3}", 1000.0),
        ("1/8", 0.125),
        ("-3/4", -0.75),
        ("1 / 8", 0.125),
        ("\\frac{1}{4}", 0.25),
        ("\\dfrac{3}{4}", 0.75),
        ("\\tfrac{1}{2}", 0.5),
        ("-\\frac{1}{2}", -0.5),
        ("\\frac{1e-3}{2}", 5e-4),
        ("$0.5$", 0.5),
        ("$$\\frac{1}{8}$$", 0.125),
        ("１．５", 1.5),
        ("－２", -2.0),
        ("１／８", 0.125),
        ("１×１０^－３", 1e-3),
        (".5", 0.5),
        ("+3", 3.0),
        ("1,024", 1024.0),
        ("1,234,567.5", 1234567.5),
    ],
)
def test_parse_real_accepts(text, value):
    assert parse_real(text) == pytest.approx(value, rel=1e-15)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "abc",
        "0.1.2",
        "1e",
        "e3",
        "1/0",
        "\\frac{1}{0}",
        "inf",
        "nan",
        "1e999",
        "2^3",
        "1,2",  # a decimal comma or two numbers? never guessed
        "12,34,5",
        "0x10",
        "1/2/3",
        "\\frac{1}{2",
        "--1",
        "约 0.5",
        "0.5 左右",
    ],
)
def test_parse_real_rejects_garbage(text):
    with pytest.raises(Unreadable):
        parse_real(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12.5%", 0.125),
        ("12.5％", 0.125),
        ("１２．５％", 0.125),
        ("50 %", 0.5),
        ("100%", 1.0),
        ("1/2%", 0.005),
    ],
)
def test_percentages_only_for_ratios(text, value):
    assert parse_real(text, ratio=True) == pytest.approx(value, rel=1e-15)
    with pytest.raises(Unreadable, match="percentage"):
        parse_real(text)


def test_plain_number_for_a_ratio_is_not_rescaled():
    assert parse_real("0.125", ratio=True) == 0.125
    assert parse_real("12.5", ratio=True) == 12.5  # no guessing that 12.5 meant 12.5%


# -- integers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3", 3),
        ("3.0", 3),
        ("1e3", 1000),
        ("1,024", 1024),
        ("１，０２４", 1024),
        ("-4", -4),
        ("\\frac{6}{2}", 3),
        ("1×10^6", 1_000_000),
        ("８", 8),
    ],
)
def test_parse_int_accepts(text, value):
    got = parse_int(text)
    assert got == value and isinstance(got, int)


@pytest.mark.parametrize("text", ["3.5", "1/3", "1e30", "9" * 20, "three", "", "1e-3"])
def test_parse_int_rejects_non_integers_and_overflow(text):
    with pytest.raises(Unreadable):
        parse_int(text)


# -- vectors and matrices ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("[0.1，0.2 ]", [0.1, 0.2]),
        ("0.1, 0.2", [0.1, 0.2]),
        ("0.1 0.2", [0.1, 0.2]),
        ("0.1;0.2", [0.1, 0.2]),
        ("(1, 2, 3)", [1.0, 2.0, 3.0]),
        ("1e-3, 1/2, \\frac{1}{4}", [1e-3, 0.5, 0.25]),
        ("５", [5.0]),
    ],
)
def test_parse_vector(text, value):
    assert parse_vector(text) == value


def test_parse_vector_percentages_only_for_ratios():
    assert parse_vector("10%, 20%", ratio=True) == [0.1, 0.2]
    with pytest.raises(Unreadable):
        parse_vector("10%, 20%")


@pytest.mark.parametrize("text", ["[]", "", "a, b", "0.1, x"])
def test_parse_vector_rejects(text):
    with pytest.raises(Unreadable):
        parse_vector(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("[[1, 2], [3, 4]]", [[1.0, 2.0], [3.0, 4.0]]),
        ("((1,2),(3,4))", [[1.0, 2.0], [3.0, 4.0]]),
        ("1 2; 3 4", [[1.0, 2.0], [3.0, 4.0]]),
        ("1 2\n3 4", [[1.0, 2.0], [3.0, 4.0]]),
        ("１，２；３，４", [[1.0, 2.0], [3.0, 4.0]]),
        ("[[1/2, 1e-3]]", [[0.5, 1e-3]]),
    ],
)
def test_parse_matrix(text, value):
    assert parse_matrix(text) == value


@pytest.mark.parametrize("text", ["", "1 2; 3", "[[1,2],[3]]", "1 2; a b"])
def test_parse_matrix_rejects_ragged_or_garbage(text):
    with pytest.raises(Unreadable):
        parse_matrix(text)


# -- shapes ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "64x56x56",
        "64×56×56",
        "64X56X56",
        "64 x 56 x 56",
        "(64, 56, 56)",
        "[64, 56, 56]",
        "64*56*56",
        "（64，56，56）",
        "６４×５６×５６",
        "64 56 56",
    ],
)
def test_parse_shape_forms(text):
    assert parse_shape(text) == (64, 56, 56)


def test_parse_shape_single_dimension():
    assert parse_shape("3") == (3,)


@pytest.mark.parametrize("text", ["", "()", "64x-1", "64x5.5", "64xabc", "a by b"])
def test_parse_shape_rejects(text):
    with pytest.raises(Unreadable):
        parse_shape(text)


# -- index lists and choices -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0, 2, 3", [0, 2, 3]),
        ("3 0 2", [3, 0, 2]),
        ("[0，2]", [0, 2]),
        ("{1,2}", [1, 2]),
        ("１、３", [1, 3]),
        ("[]", []),
        ("无", []),
        ("空", []),
        ("none", []),
        ("None", []),
    ],
)
def test_parse_index_list(text, value):
    assert parse_index_list(text) == value


@pytest.mark.parametrize("text", ["", "-1, 2", "1.5", "a, b", "0, x"])
def test_parse_index_list_rejects(text):
    with pytest.raises(Unreadable):
        parse_index_list(text)


CHOICES = ("NCHW", "NHWC", "CHWN")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("A", "NCHW"),
        ("b", "NHWC"),
        ("Ｃ", "CHWN"),
        ("2", "NHWC"),
        ("nhwc", "NHWC"),
        (" chwn ", "CHWN"),
    ],
)
def test_parse_choice(text, value):
    assert parse_choice(text, CHOICES) == value


@pytest.mark.parametrize("text", ["", "D", "4", "0", "NHCW"])
def test_parse_choice_rejects(text):
    with pytest.raises(Unreadable, match="expected one of|empty"):
        parse_choice(text, CHOICES)


# -- the length limit --------------------------------------------------------------------------------

PARSERS = [
    parse_real,
    parse_int,
    parse_vector,
    parse_matrix,
    parse_shape,
    parse_index_list,
    lambda t: parse_choice(t, CHOICES),
]


@pytest.mark.parametrize("parse", PARSERS)
def test_inputs_over_the_limit_are_rejected(parse):
    assert MAX_INPUT_CHARS == 10_000
    with pytest.raises(Unreadable, match="longer than"):
        parse(" " * MAX_INPUT_CHARS + "1")


def test_input_at_the_limit_is_read():
    assert parse_real(" " * (MAX_INPUT_CHARS - 1) + "1") == 1.0
    assert parse_shape("1" + "x1" * ((MAX_INPUT_CHARS - 1) // 2)) == (1,) * (1 + (MAX_INPUT_CHARS - 1) // 2)


# -- properties --------------------------------------------------------------------------------------

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@settings(max_examples=200, deadline=None)
@given(finite)
def test_real_round_trips_repr_and_full_width(x):
    assert parse_real(repr(x)) == x
    assert parse_real(repr(x).translate(FULL_WIDTH)) == x


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 10**6), st.integers(1, 10**6))
def test_fraction_equals_division(a, b):
    assert parse_real(f"{a}/{b}") == a / b
    assert parse_real(f"\\frac{{{a}}}{{{b}}}") == a / b


@settings(max_examples=200, deadline=None)
@given(st.integers(-9, 9), st.integers(-30, 30))
def test_scientific_forms_agree(m, e):
    want = m * 10.0**e
    for text in (f"{m}e{e}", f"{m}×10^{e}", f"{m}x10^{{{e}}}", f"{m}*10^{e}"):
        assert math.isclose(parse_real(text), want, rel_tol=1e-12, abs_tol=0.0), text


@settings(max_examples=200, deadline=None)
@given(st.integers(-(2**53), 2**53))
def test_int_round_trips_with_and_without_separators(n):
    # (integers are read through a float, so the round trip is exact up to 2**53)
    assert parse_int(str(n)) == n
    assert parse_int(f"{n:,}") == n


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 4096), min_size=1, max_size=6))
def test_shape_and_index_list_round_trip(dims):
    shape = tuple(dims)
    assert parse_shape("x".join(map(str, dims))) == shape
    assert parse_shape("×".join(map(str, dims))) == shape
    assert parse_shape("(" + ", ".join(map(str, dims)) + ")") == shape
    assert parse_index_list(", ".join(map(str, dims))) == dims
    assert parse_index_list("［" + "，".join(map(str, dims)) + "］") == dims


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(finite, min_size=2, max_size=2), min_size=1, max_size=4))
def test_matrix_round_trip(rows):
    text = "; ".join(" ".join(repr(x) for x in r) for r in rows)
    assert parse_matrix(text) == rows


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_garbage_is_unreadable_never_an_exception(text):
    for parse in PARSERS + [lambda t: parse_real(t, ratio=True), lambda t: parse_vector(t, ratio=True)]:
        try:
            parse(text)
        except Unreadable:
            pass


# -- huge exponents and digit strings (regression: OverflowError / ValueError escaped the parser) -------

HUGE = [
    "1x10^400",
    "1×10^{400}",
    "10^400",
    "10^-" + "9" * 5000,
    "10^" + "9" * 5000,
    "\\frac{1}{10^400}",
    "\\frac{10^400}{3}",
    "1/1e400",
    "1e400",
    "1" * 4400,
    "-" + "9" * 4301,
]


def _numbers(value):
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in _numbers(v)]
    return [value]


@pytest.mark.parametrize("text", HUGE, ids=range(len(HUGE)))
@pytest.mark.parametrize("parse", PARSERS + [lambda t: parse_real(t, ratio=True)])
def test_huge_numbers_are_unreadable_or_read_never_an_overflow(parse, text):
    try:
        value = parse(text)
    except Unreadable:
        return
    assert all(math.isfinite(x) for x in _numbers(value))


@pytest.mark.parametrize(
    "text", ["1x10^400", "10^400", "\\frac{1}{10^400}", "1/1e400", "1" * 4400], ids=range(5)
)
def test_huge_reals_are_unreadable(text):
    with pytest.raises(Unreadable, match="finite"):
        parse_real(text)


def test_tiny_powers_of_ten_underflow_to_zero():
    assert parse_real("1x10^-400") == 0.0
    assert parse_real("10^-" + "9" * 5000) == 0.0


@pytest.mark.parametrize("parse", [parse_shape, parse_index_list])
def test_dimensions_and_indices_of_4300_digits_are_unreadable(parse):
    with pytest.raises(Unreadable, match="too large"):
        parse("1" * 4400)
    with pytest.raises(Unreadable, match="too large"):
        parse("3, " + "7" * 19)
    assert parse("3, " + "7" * 18)[-1] == int("7" * 18)


# -- grading: any parse failure is "unreadable", never an exception -----------------------------------

# one family per kind of part: real, vector, int, choice, list (indices), shape
KIND_FAMILIES = ["activation_values", "adagrad_step", "bottleneck_cost", "kl_divergence", "nms", "norm_axes"]
nasty = st.one_of(
    st.sampled_from(HUGE),
    st.text(max_size=40),
    st.from_regex(
        r"[-+]?\d{1,5}(\.\d*)?([eE][-+]?\d{1,5})?(\s*[x×*]\s*10\^\{?-?\d{1,6}\}?)?", fullmatch=True
    ),
)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(KIND_FAMILIES), nasty, st.integers(0, 2**31 - 1))
def test_grade_and_grade_batch_report_unreadable_never_raise(family, text, seed):
    from engine import get_family, grade, grade_batch

    fam = get_family(family)
    v = fam.generate(seed)
    answers = {p.name: text for p in v.parts}
    result = grade(v, answers)
    assert {r.status for r in result.parts} <= {"correct", "wrong", "imprecise", "unreadable", "missing"}
    batch = list(grade_batch(fam, [dict(v.params)] * 2, [answers, answers]))
    assert len(batch) == 2 and all(0.0 <= r["score"] <= 1.0 for r in batch)


@pytest.mark.parametrize("text", ["1x10^400", "10^400", "\\frac{1}{10^400}", "1" * 4400], ids=range(4))
@pytest.mark.parametrize("family", KIND_FAMILIES)
def test_grade_marks_huge_answers_unreadable(family, text):
    from engine import get_family, grade, grade_batch

    fam = get_family(family)
    v = fam.generate(7)
    answers = {p.name: text for p in v.parts}
    assert [r.status for r in grade(v, answers).parts] == ["unreadable"] * len(v.parts)
    assert [r["score"] for r in grade_batch(fam, [dict(v.params)], [answers])] == [0.0]


@pytest.mark.parametrize(
    "text", ["1e30", "9" * 20, "1x" + "9" * 20], ids=["1e30", "20-digits", "shape-20-digits"]
)
@pytest.mark.parametrize("family", ["conv2d_output_size", "nms", "norm_axes", "bottleneck_cost"])
def test_grade_batch_agrees_with_grade_on_counts_too_large_to_read(family, text):
    """Whole-number parts (counts, shapes, indices) past 18 digits are unreadable to the single grader; the
    batch grader's fast column path must say the same instead of grading them wrong."""
    from engine import get_family, grade, grade_batch

    fam = get_family(family)
    v = fam.generate(3)
    answers = {p.name: text for p in v.parts}
    single = {r.name: r.status for r in grade(v, answers).parts}
    batch = list(grade_batch(fam, [dict(v.params)] * 2, [answers, answers]))
    assert batch[0]["parts"] == single and batch[1]["parts"] == single


@pytest.mark.parametrize(
    "text", ["8.51968×10^5", "8.51968*10^5", "8.51968\\times 10^{5}", "$8.51968 \\times 10^{5}$", "8.51968e5"]
)
def test_integer_parts_read_every_scientific_notation_exactly(text):
    # 8.51968 * 10.0**5 is 851967.9999999999 in floats: the notation must be read in decimal arithmetic
    from engine.parsing import parse_int

    assert 8.51968 * 10.0**5 != 851968
    assert parse_int(text) == 851968


def test_integer_parts_read_digits_past_float_precision_exactly():
    from engine.parsing import parse_int

    assert parse_int("1234567890123456789") == 1234567890123456789  # float would give ...784
    assert parse_int("1.234567890123456789×10^18") == 1234567890123456789
    with pytest.raises(Unreadable):
        parse_int("8.519685×10^5")  # 851968.5: no whole number


def test_typed_digits_count_what_the_learner_gave():
    from engine.parsing import typed_digits

    assert typed_digits("0.1250") == [(4, 4)]
    assert typed_digits("1200") == [(2, 0)]  # trailing zeros of a whole number are not significant
    assert typed_digits("1.5×10^-3") == [(2, 4)]
    assert typed_digits("12.5%") == [(3, 3)]
    assert typed_digits("1/8, \\frac{1}{8}") == [None, None]  # fractions are exact
    assert typed_digits("[[1, 2.5], [3, 4]]") == [(1, 0), (2, 1), (1, 0), (1, 0)]
