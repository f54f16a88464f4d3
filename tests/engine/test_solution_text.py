"""Worked solutions read as a learner writes arithmetic: a negative factor or term is parenthesised or
signed (``0.9\\times(-1)``, ``0.5-0.4``), never ``0.9\\times-1`` or ``0.5+-0.4``."""

import re

import pytest

from engine.family import all_families

CLASHING_SIGNS = re.compile(r"(\+\s*-\s*\d|-\s*-\s*\d|\\times\s*-\s*\d|\\cdot\s*-\s*\d|/\s*-\s*\d)")


@pytest.mark.parametrize("family", all_families(), ids=lambda f: f.id)
def test_no_clashing_signs_in_worked_solutions(family):
    for seed in range(1, 31):
        solution = family.generate(seed).solution
        found = CLASHING_SIGNS.search(solution)
        assert found is None, f"seed {seed}: …{solution[max(0, found.start() - 40) : found.end() + 10]}…"


def test_the_pattern_catches_what_it_should():
    for bad in (r"0.5+-0.4", r"0.9\times-1.09", r"1--2", r"a\cdot -3", r"4/-2"):
        assert CLASHING_SIGNS.search(bad), bad
    for good in (r"0.5-0.4", r"0.9\times(-1.09)", r"e^{-5.3}", r"1-(-2)", r"x_{-1}"):
        assert CLASHING_SIGNS.search(good) is None, good
