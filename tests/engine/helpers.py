"""Helpers shared by the per-family engine tests."""

from __future__ import annotations

import re

import torch

from engine import get_family, grade


def answers_of(variant, **wrong: str) -> dict[str, str]:
    """The reference answers as typed text, with some parts replaced by wrong text."""
    out = {p.name: str(p.answer) for p in variant.parts}
    out.update(wrong)
    return out


def mistake_id(family_id: str, params: dict, /, **wrong: str) -> str | None:
    """The mistake the grader names when ``wrong`` parts are typed into the variant of ``params``."""
    v = get_family(family_id).instantiate(params)
    result = grade(v, answers_of(v, **wrong))
    assert not result.correct
    return result.mistake.id if result.mistake else None


def shown_vector(prompt: str, name: str) -> list[float]:
    """The numbers of ``name = (a, b, ...)`` as the prompt shows them."""
    m = re.search(rf"{re.escape(name)} ?= ?\(([^)]*)\)", prompt)
    assert m, f"{name} not shown in the prompt"
    return [float(x.replace("\\", "").strip()) for x in m.group(1).split(",")]


def closed_answers(family_id: str, params: dict) -> dict:
    """The family's vectorised closed form evaluated on one parameter row."""
    fam = get_family(family_id)
    cols = fam.columns([params], torch.device("cpu"))
    return {k: v.reshape(1, -1)[0].tolist() for k, v in fam.closed_form(cols).items()}
