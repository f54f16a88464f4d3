"""The :class:`Family` base class (the template every exercise family fills in) and the registry.

A *family* is an exercise template (``conv2d_output_size``). From a seed or explicit parameters it
builds a *variant*: the numbers, a Chinese prompt (Markdown + LaTeX), the answer parts with their
reference values, a worked solution and the values a catalogue of known mistakes would give.

Each family provides two independent computations of its answers:

* :meth:`Family.solve` runs the operation the way PyTorch does (an ``nn`` module on a meta tensor, an
  optimizer step, ``F.cross_entropy``...) or, where torch has no such op, a slow plain-Python reference;
* :meth:`Family.closed_form` evaluates the textbook formula on whole columns of parameters at once, in
  vectorised torch code on the engine's device. :func:`engine.batch.grade_batch` uses it; tests check
  the two agree.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any, ClassVar, Self

import torch

from engine import grading
from engine.device import get_device
from engine.formatting import precision_statement
from engine.values import InvalidParams, Mistake, Param, Part, Variant

__all__ = ["Family", "TypedParams", "all_families", "get_family", "register"]


class TypedParams:
    """Base of a family's typed parameter object: a frozen dataclass next to the family whose fields are
    the schema's names with their types (``Literal[...]`` for string choices), so that mypy checks the
    arithmetic the hooks do on them.

    Example:
        >>> from dataclasses import dataclass
        >>> @dataclass(frozen=True)
        ... class _Params(TypedParams):
        ...     size: int
        >>> _Params.of({"size": 7}).size
        7
    """

    @classmethod
    def of(cls, p: Mapping[str, Any]) -> Self:
        """The validated parameter dict ``p`` as this object."""
        return cls(**p)


class Family:
    """Base class of an exercise family: it owns the template that turns parameters into a variant.

    A family says only what is particular to it: the class attributes (``id``, ``title``, ``topics``,
    ``version``, ``schema``), the two independent computations of the answers (:meth:`solve`,
    :meth:`closed_form`) and the four hooks :meth:`build` assembles a :class:`Variant` from —
    :meth:`prompt`, :meth:`parts`, :meth:`solution` and :meth:`mistakes`. Each hook receives the
    validated parameters ``p`` and the worked numbers ``w`` (:meth:`work`: by default the answers
    :meth:`solve` gives). :meth:`build` states the precision each part declares at the end of the
    prompt and screens the mistakes (:func:`engine.grading.screen_mistakes`); :meth:`generate` draws
    again where a mistake would not show at that precision, so no family repeats either.
    """

    id: ClassVar[str]
    title: ClassVar[str]
    topics: ClassVar[tuple[str, ...]]
    version: ClassVar[int] = 1
    schema: ClassVar[dict[str, Param]]
    #: Also drop mistakes whose values are not of the part's kind: not finite, of the wrong length, no
    #: listed choice (see :func:`engine.grading.screen_mistakes`).
    screen_mistakes: ClassVar[bool] = True
    #: How many valid draws :meth:`generate` tries for one whose mistakes all show at the stated
    #: precision before it gives up (a family whose mistakes rarely show must ask for more digits).
    max_fair_draws: ClassVar[int] = 200

    # -- to implement -------------------------------------------------------------------------
    def solve(self, p: dict[str, Any]) -> dict[str, Any]:
        """Answers the way PyTorch computes them (or a slow plain-Python reference), by part name."""
        raise NotImplementedError

    def closed_form(self, cols: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Answers from the closed-form formula, vectorised: each param is a 1-D tensor (choices as
        indices into ``schema[name].choices``); each result has the batch as its first dimension.
        Variable-length index answers (set/list parts) are padded on the right with -1; a choice part
        is given as the index of the right choice."""
        raise NotImplementedError

    def prompt(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        """The question (Chinese Markdown + LaTeX) showing exactly the numbers the answers come from."""
        raise NotImplementedError

    def parts(self, p: dict[str, Any], w: dict[str, Any]) -> Sequence[Part]:
        """The answer parts, each carrying its reference value (normally from ``w``)."""
        raise NotImplementedError

    def solution(self, p: dict[str, Any], w: dict[str, Any]) -> str:
        """The worked solution shown after answering."""
        raise NotImplementedError

    def mistakes(self, p: dict[str, Any], w: dict[str, Any]) -> Iterable[Mistake]:
        """The known mistakes, most telling first: what each would make the parts come out as. List them
        all; :meth:`build` drops the ones this variant cannot reveal."""
        return ()

    # -- the template -------------------------------------------------------------------------
    def work(self, p: dict[str, Any]) -> dict[str, Any]:
        """The worked numbers handed to every hook: :meth:`solve`'s answers. A family whose prompt,
        solution or mistakes need intermediate values too may override this to add them."""
        return self.solve(p)

    def build(self, p: dict[str, Any]) -> Variant:
        """The variant for validated parameters ``p``, assembled from the hooks (``seed`` is ``None``):
        the prompt ends with the precision its parts declare, and the mistakes are screened
        (:func:`engine.grading.screen_mistakes`)."""
        w = self.work(p)
        parts = tuple(self.parts(p, w))
        mistakes, indistinct = grading.screen_mistakes(
            parts, self.mistakes(p, w), screen=self.screen_mistakes
        )
        statement = precision_statement(parts)
        prompt = self.prompt(p, w)
        return Variant(
            family=self.id,
            version=self.version,
            seed=None,
            params=p,
            prompt=f"{prompt}\n\n{statement}" if statement else prompt,
            parts=parts,
            solution=self.solution(p, w),
            mistakes=mistakes,
            indistinct=indistinct,
        )

    # -- provided -----------------------------------------------------------------------------
    def constraint(self, params: dict[str, Any]) -> str | None:
        """Why these parameters make no valid exercise (``None`` when they do)."""
        return None

    def sample(self, rng: random.Random) -> dict[str, Any]:
        return {name: spec.sample(rng) for name, spec in self.schema.items()}

    def validate(self, params: Mapping[str, Any]) -> dict[str, Any]:
        if not isinstance(params, Mapping):
            raise InvalidParams("params must be an object")
        unknown = set(params) - set(self.schema)
        if unknown:
            raise InvalidParams(f"unknown parameters: {', '.join(sorted(unknown))}")
        missing = set(self.schema) - set(params)
        if missing:
            raise InvalidParams(f"missing parameters: {', '.join(sorted(missing))}")
        clean = {name: spec.validate(name, params[name]) for name, spec in self.schema.items()}
        why = self.constraint(clean)
        if why:
            raise InvalidParams(why)
        return clean

    def generate(self, seed: int) -> Variant:
        """A variant from a seed: the same seed always gives the same variant. Draws that violate the
        family's constraints are redrawn, and so are draws where a catalogued mistake cannot be told
        apart from the right answer at the precision the parts state (``Variant.indistinct``): no
        generated variant grades a listed mistake correct."""
        rng = random.Random(f"{self.id}:{self.version}:{seed}")
        fair_tries = 0
        for _ in range(1000):
            params = self.sample(rng)
            if self.constraint(params) is None:
                variant = self.build(params)
                if not variant.indistinct:
                    return replace(variant, seed=seed)
                fair_tries += 1
                if fair_tries >= self.max_fair_draws:
                    break
        raise RuntimeError(f"{self.id}: no valid parameters drawn for seed {seed}")

    def instantiate(self, params: Mapping[str, Any]) -> Variant:
        return self.build(self.validate(params))

    def constraint_mask(self, cols: dict[str, torch.Tensor]) -> torch.Tensor:
        """Vectorised :meth:`constraint`: a boolean tensor, True where a row is a valid exercise.

        The default applies :meth:`constraint` row by row (slow); families with constraints override it."""
        n = next(iter(cols.values())).shape[0]
        if type(self).constraint is Family.constraint:
            return torch.ones(n, dtype=torch.bool, device=next(iter(cols.values())).device)
        rows = self.rows(cols)
        return torch.tensor(
            [self.constraint(r) is None for r in rows],
            dtype=torch.bool,
            device=next(iter(cols.values())).device,
        )

    def sample_columns(
        self, n: int, *, generator: torch.Generator, device: torch.device | None = None
    ) -> dict[str, torch.Tensor]:
        """Parameters of ``n`` random variants drawn as tensors (the batch counterpart of :meth:`sample`),
        redrawing rows that break the family's constraints. Same distributions as :meth:`sample`."""
        device = device or get_device()
        out: dict[str, list[torch.Tensor]] = {k: [] for k in self.schema}
        have = 0
        for _ in range(100):
            m = max(16, int((n - have) * 1.3))
            cols = {}
            for name, spec in self.schema.items():
                if spec.kind == "int":
                    v = torch.randint(int(spec.low), int(spec.high) + 1, (m,), generator=generator)
                    cols[name] = v.to(torch.float64)
                elif spec.kind == "real":
                    u = (
                        torch.rand(m, generator=generator, dtype=torch.float64) * (spec.high - spec.low)
                        + spec.low
                    )
                    cols[name] = torch.round(u, decimals=spec.decimals)
                else:
                    cols[name] = torch.randint(0, len(spec.choices), (m,), generator=generator)
            cols = {k: v.to(device) for k, v in cols.items()}
            ok = self.constraint_mask(cols)
            for k in self.schema:
                out[k].append(cols[k][ok])
            have += int(ok.sum())
            if have >= n:
                return {k: torch.cat(v)[:n] for k, v in out.items()}
        raise RuntimeError(f"{self.id}: constraints reject almost every draw")

    def rows(self, cols: Mapping[str, torch.Tensor]) -> list[dict[str, Any]]:
        """Columns back to parameter dicts (choices decoded, ints as int)."""
        lists = {k: v.tolist() for k, v in cols.items()}
        n = len(next(iter(lists.values())))
        out = []
        for i in range(n):
            row: dict[str, Any] = {}
            for name, spec in self.schema.items():
                v = lists[name][i]
                row[name] = (
                    spec.choices[int(v)] if spec.kind == "choice" else (int(v) if spec.kind == "int" else v)
                )
            out.append(row)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "topics": list(self.topics),
            "version": self.version,
            "params": {k: v.to_dict() for k, v in self.schema.items()},
        }

    def columns(
        self, params_list: Sequence[Mapping[str, Any]], device: torch.device | None = None
    ) -> dict[str, torch.Tensor]:
        """Parameters of many variants as 1-D tensors (float64; choices as indices)."""
        device = device or get_device()
        cols: dict[str, torch.Tensor] = {}
        for name, spec in self.schema.items():
            if spec.kind == "choice":
                values = [spec.choices.index(p[name]) for p in params_list]
                cols[name] = torch.tensor(values, dtype=torch.int64, device=device)
            else:
                cols[name] = torch.tensor(
                    [float(p[name]) for p in params_list], dtype=torch.float64, device=device
                )
        return cols


# -- registry --------------------------------------------------------------------------------------

_REGISTRY: dict[str, Family] = {}


def register(cls: type[Family]) -> type[Family]:
    """Class decorator adding a family to the registry."""
    if cls.id in _REGISTRY:
        raise ValueError(f"family {cls.id} registered twice")
    _REGISTRY[cls.id] = cls()
    return cls


def _load() -> None:
    import engine.families  # noqa: F401  (imports every family module, which registers itself)


def get_family(family_id: str) -> Family:
    _load()
    try:
        return _REGISTRY[family_id]
    except KeyError:
        raise KeyError(f"unknown exercise family {family_id!r}") from None


def all_families() -> list[Family]:
    _load()
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]
