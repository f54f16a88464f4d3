"""Optimizer and learning-rate schedule families, one idea per module:

* :mod:`.sgd`: plain SGD and PyTorch's weight decay;
* :mod:`.momentum`: momentum (PyTorch's and the book's conventions) and Nesterov;
* :mod:`.adaptive`: AdaGrad and RMSprop, step sizes from the squared-gradient history;
* :mod:`.adam`: Adam with bias correction, AdamW's decoupled decay against Adam's L2;
* :mod:`.schedule`: learning-rate schedules.

The optimizer families share their set-up (start, gradients, a real ``torch.optim`` run) in
:mod:`._trajectory`. Every optimizer family runs a few steps of the real optimizer; the closed forms are
the textbook recursions, vectorised over a batch.
"""

from engine.families.optim.adam import AdamStep, AdamwVsL2
from engine.families.optim.adaptive import AdagradStep, RmspropStep
from engine.families.optim.momentum import MomentumStep, NesterovStep
from engine.families.optim.schedule import LrSchedule
from engine.families.optim.sgd import SgdStep

__all__ = [
    "AdagradStep",
    "AdamStep",
    "AdamwVsL2",
    "LrSchedule",
    "MomentumStep",
    "NesterovStep",
    "RmspropStep",
    "SgdStep",
]
