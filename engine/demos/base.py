"""The demonstration template: parameter schema, validation, seeding, progress and a typed result.

A *demonstration* is a small real torch experiment (a few seconds on a 2-core CPU) whose numbers a learner
looks at: plot series, a few headline figures, a Chinese explanation that quotes this run's numbers and a
prediction question whose right answer is computed from the run. Subclasses say what is particular to
them (schema, question, :meth:`Demo.compute`); :meth:`Demo.run` owns the rest.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import torch

from engine import InvalidParams, Param

__all__ = [
    "MAX_SEED",
    "Demo",
    "DemoResult",
    "Figure",
    "InvalidDemoParams",
    "Output",
    "Progress",
    "Question",
    "Setting",
    "all_demos",
    "get_demo",
    "histogram",
    "register",
    "warm_up",
]

MAX_SEED = 2**31 - 1

Progress = Callable[[int], None]


class InvalidDemoParams(InvalidParams):
    """Parameters (or a seed) outside a demonstration's schema; raised before any computation starts.

    A subclass of :class:`engine.InvalidParams`, so callers that already handle the exercise families'
    parameter errors handle these too.
    """


@dataclass(frozen=True)
class Setting:
    """One entry of a demonstration's schema: an engine :class:`~engine.Param` (its kinds and its
    validation rule), plus the default and a label the parameter controls show.

    ``Param`` alone has no default or label, which a demonstration needs (a run with no parameters uses
    the defaults, and the controls are built from the schema); the range check stays ``Param``'s own.
    """

    param: Param
    default: Any
    label: str

    def validate(self, name: str, value: Any) -> Any:
        return self.param.validate(name, value)

    def to_dict(self) -> dict[str, Any]:
        return {**self.param.to_dict(), "default": self.default, "label": self.label}


@dataclass(frozen=True)
class Figure:
    """A headline number of a run."""

    key: str
    label: str
    value: float
    unit: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "value": _num(self.value), "unit": self.unit}


@dataclass(frozen=True)
class Question:
    """The prediction question, known from the parameters alone (it can be asked while the run
    computes); the right choice comes from the run."""

    text: str
    choices: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"question": self.text, "choices": list(self.choices)}


@dataclass(frozen=True)
class DemoResult:
    """What a run returns. ``series`` holds plot data as JSON-ready values (lists of numbers, nested
    dicts); ``answer`` is the index of the right choice of ``question`` *in this run*, ``why`` says so
    with the run's numbers."""

    demo: str
    version: int
    params: Mapping[str, Any]
    seed: int
    device: str
    series: Mapping[str, Any]
    figures: tuple[Figure, ...]
    explanation: str
    question: Question
    answer: int
    why: str

    def is_right(self, choice: int | str) -> bool:
        """Grade a prediction: the index of a choice or its text."""
        if isinstance(choice, str):
            return choice == self.question.choices[self.answer]
        return choice == self.answer

    def to_dict(self) -> dict[str, Any]:
        return {
            "demo": self.demo,
            "version": self.version,
            "params": dict(self.params),
            "seed": self.seed,
            "device": self.device,
            "series": _jsonable(self.series),
            "figures": [f.to_dict() for f in self.figures],
            "explanation": self.explanation,
            "prediction": {**self.question.to_dict(), "answer": self.answer, "why": self.why},
        }


@dataclass
class Output:
    """What :meth:`Demo.compute` hands back; :meth:`Demo.run` adds the identity of the run."""

    series: dict[str, Any]
    figures: list[Figure]
    explanation: str
    answer: int
    why: str


class _Reporter:
    """Forwards progress as monotone integers below 100; :meth:`Demo.run` sends the final 100."""

    def __init__(self, callback: Progress | None) -> None:
        self.callback = callback
        self.last = -1

    def __call__(self, fraction: float) -> None:
        pct = min(99, max(0, int(fraction * 100)))
        if pct > self.last:
            self.last = pct
            if self.callback is not None:
                self.callback(pct)

    def done(self) -> None:
        self.last = 100
        if self.callback is not None:
            self.callback(100)


class Demo:
    """Base class of a demonstration. Subclasses set the class attributes and implement
    :meth:`question` and :meth:`compute`; they may add a cross-parameter :meth:`constraint`."""

    id: ClassVar[str]
    title: ClassVar[str]
    #: the English title the English interface shows, and a one-line Chinese summary for the list
    title_en: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    topics: ClassVar[tuple[str, ...]]
    version: ClassVar[int] = 1
    schema: ClassVar[dict[str, Setting]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, s in getattr(cls, "schema", {}).items():
            s.validate(name, s.default)  # a default outside its own range is a programming error

    # -- to implement -------------------------------------------------------------------------
    def question(self, p: Mapping[str, Any]) -> Question:
        raise NotImplementedError

    def compute(
        self, p: Mapping[str, Any], *, device: torch.device, report: Callable[[float], None]
    ) -> Output:
        """The experiment. Runs under a seeded, forked torch RNG; calls ``report(fraction)`` as it goes."""
        raise NotImplementedError

    def constraint(self, p: Mapping[str, Any]) -> str | None:
        """A message when a combination of valid parameters is refused, else ``None``."""
        return None

    # -- template -------------------------------------------------------------------------------
    def defaults(self) -> dict[str, Any]:
        return {name: s.default for name, s in self.schema.items()}

    def canonical(self, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The full parameter set: defaults filled in, values checked and normalised (ints as ints,
        reals as floats), keys in schema order. Raises :class:`InvalidDemoParams`.

        Two requests mean the same run exactly when their canonical parameters (and seeds) are equal.
        """
        params = dict(params or {})
        unknown = sorted(set(params) - set(self.schema))
        if unknown:
            raise InvalidDemoParams(f"{self.id}: unknown parameter(s) {unknown}; known: {list(self.schema)}")
        out: dict[str, Any] = {}
        for name, s in self.schema.items():
            try:
                out[name] = s.validate(name, params.get(name, s.default))
            except InvalidDemoParams:
                raise
            except InvalidParams as exc:
                raise InvalidDemoParams(f"{self.id}: {exc}") from None
        problem = self.constraint(out)
        if problem:
            raise InvalidDemoParams(f"{self.id}: {problem}")
        return out

    @staticmethod
    def check_seed(seed: Any) -> int:
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
            raise InvalidDemoParams(f"seed must be an integer in [0, {MAX_SEED}], not {seed!r}")
        return seed

    def run(
        self,
        params: Mapping[str, Any] | None = None,
        *,
        seed: int = 0,
        progress: Progress | None = None,
        device: torch.device | str | None = None,
    ) -> DemoResult:
        """Validate, then run the experiment with ``seed``; deterministic on the CPU for given
        ``(params, seed)``. ``progress(percent)`` is called with increasing integers, the last one 100.
        ``device=None`` runs on the CPU; a worker passes :func:`engine.get_device` to use CUDA."""
        p = self.canonical(params)
        seed = self.check_seed(seed)
        dev = torch.device(device) if device is not None else torch.device("cpu")
        if dev.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(
                "a demonstration was asked to run on CUDA but torch.cuda.is_available() is False"
            )
        reporter = _Reporter(progress)
        forked = [dev] if dev.type == "cuda" else []
        with torch.random.fork_rng(devices=forked, device_type="cuda"):
            torch.manual_seed(seed)
            out = self.compute(p, device=dev, report=reporter)
        q = self.question(p)
        if not 0 <= out.answer < len(q.choices):
            raise AssertionError(f"{self.id}: answer {out.answer} is not a choice of {q.choices}")
        result = DemoResult(
            demo=self.id,
            version=self.version,
            params=p,
            seed=seed,
            device=str(dev),
            series=out.series,
            figures=tuple(out.figures),
            explanation=out.explanation,
            question=q,
            answer=out.answer,
            why=out.why,
        )
        reporter.done()
        return result

    def to_dict(self) -> dict[str, Any]:
        """The description a list endpoint shows: id, title, topics, version, schema with defaults."""
        return {
            "id": self.id,
            "title": self.title,
            "title_en": self.title_en,
            "summary": self.summary,
            "topics": list(self.topics),
            "version": self.version,
            "schema": {name: s.to_dict() for name, s in self.schema.items()},
        }


def warm_up() -> None:
    """Pay the one-off costs of a fresh process before the first run: the first ``torch.optim``
    optimizer imports ``torch._dynamo`` (about 1.5 s on a 2-core CPU). A worker calls this once when its
    process starts, so that a learner's first run does not wait for it."""
    torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)


_REGISTRY: dict[str, Demo] = {}


def register(cls: type[Demo]) -> type[Demo]:
    if cls.id in _REGISTRY:
        raise ValueError(f"demonstration {cls.id!r} registered twice")
    _REGISTRY[cls.id] = cls()
    return cls


def all_demos() -> list[Demo]:
    return list(_REGISTRY.values())


def get_demo(demo_id: str) -> Demo:
    try:
        return _REGISTRY[demo_id]
    except KeyError:
        raise KeyError(f"no demonstration {demo_id!r}; known: {sorted(_REGISTRY)}") from None


# -- JSON helpers -------------------------------------------------------------------------------------


def _num(v: float) -> float | None:
    """A float for JSON, to 7 significant digits (float32's precision; it also hides last-bit differences
    of LAPACK routines, whose results may depend on memory alignment); non-finite values (a diverged run)
    become ``None``.

    Example:
        >>> _num(0.24362760843164305), _num(float("nan"))
        (0.2436276, None)
    """
    v = float(v)
    return float(f"{v:.7g}") if math.isfinite(v) else None


def _jsonable(v: Any) -> Any:
    if isinstance(v, torch.Tensor):
        return _jsonable(v.detach().cpu().tolist())
    if isinstance(v, Mapping):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, bool) or v is None or isinstance(v, (int, str)):
        return v
    if isinstance(v, float):
        return _num(v)
    raise TypeError(f"not JSON data: {type(v).__name__}")


def rounded(values: torch.Tensor | list[float], digits: int = 6) -> list[float | None]:
    """A 1-D series as a list of floats to ``digits`` significant digits (smaller JSON), ``None`` where
    not finite.

    Example:
        >>> rounded(torch.tensor([1 / 3, float("inf")]), 3)
        [0.333, None]
    """
    seq = values.detach().cpu().double().tolist() if isinstance(values, torch.Tensor) else values
    return [float(f"{x:.{digits}g}") if math.isfinite(x) else None for x in seq]


def histogram(values: torch.Tensor, bins: int, low: float, high: float) -> dict[str, Any]:
    """A histogram as ``{"edges": [bins + 1 floats], "counts": [bins ints]}``; values outside
    ``[low, high]`` are counted in the end bins so the counts add up to the number of values.

    Example:
        >>> histogram(torch.tensor([0.0, 0.1, 0.9, 5.0]), 2, 0.0, 1.0)
        {'edges': [0.0, 0.5, 1.0], 'counts': [2, 2]}
    """
    v = values.detach().flatten().double().cpu()
    if high <= low:
        high = low + 1.0
    edges = torch.linspace(low, high, bins + 1, dtype=torch.float64)
    idx = ((v - low) / (high - low) * bins).floor().clamp(0, bins - 1).long()
    counts = torch.bincount(idx, minlength=bins)
    return {"edges": rounded(edges, 5), "counts": counts.tolist()}
