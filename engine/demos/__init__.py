"""Demonstrations: small real torch experiments a learner runs and looks at. Never imports Django.

Public API::

    from engine.demos import all_demos, get_demo
    demo = get_demo("optimizer_paths")
    result = demo.run({"function": "rosenbrock"}, seed=3, progress=print)
    payload = result.to_dict()  # JSON: series for plots, figures, explanation, prediction

Each demonstration is a :class:`~engine.demos.base.Demo` registered under its ``id``; see docs/demos.md.
"""

from engine.demos import (  # noqa: F401  (importing registers them)
    batchnorm,
    gradient_flow,
    init_activations,
    learning_rate,
    nms_steps,
    optimizer_paths,
    overfitting,
    receptive_field,
)
from engine.demos.base import (
    Demo,
    DemoResult,
    Figure,
    InvalidDemoParams,
    Question,
    Setting,
    all_demos,
    get_demo,
    warm_up,
)

__all__ = [
    "Demo",
    "DemoResult",
    "Figure",
    "InvalidDemoParams",
    "Question",
    "Setting",
    "all_demos",
    "get_demo",
    "warm_up",
]
