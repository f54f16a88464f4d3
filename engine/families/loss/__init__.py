"""Loss families, one idea per module:

* :mod:`.regression`: MSE, L1 / MAE, Smooth L1;
* :mod:`.cross_entropy`: softmax cross-entropy (logits or probabilities) and label smoothing;
* :mod:`.binary`: BCE and the focal loss;
* :mod:`.kl`: KL divergence and ``F.kl_div``.

Their shared data helpers live in :mod:`._data`.
"""

from engine.families.loss.binary import BCELoss, FocalLoss
from engine.families.loss.cross_entropy import CrossEntropy, LabelSmoothing
from engine.families.loss.kl import KLDivergence
from engine.families.loss.regression import MAELoss, MSELoss, SmoothL1

__all__ = [
    "BCELoss",
    "CrossEntropy",
    "FocalLoss",
    "KLDivergence",
    "LabelSmoothing",
    "MAELoss",
    "MSELoss",
    "SmoothL1",
]
