"""The sigmoid network of Nielsen's *Neural Networks and Deep Learning*.

A scikit-learn compatible classifier built from sigmoid neurons, trained by
mini-batch stochastic gradient descent and backpropagation written in numpy.
"""

from ._classifier import SigmoidMLPClassifier
from ._monitors import SaturationWarning
from ._onnx import register_onnx_converter, to_onnx
from ._persistence import SKOPS_TRUSTED_TYPES, InconsistentVersionWarning
from ._preprocessing import GreyLevelScaler

__version__ = "0.1.0"

__all__ = [
    "GreyLevelScaler",
    "InconsistentVersionWarning",
    "SKOPS_TRUSTED_TYPES",
    "SaturationWarning",
    "SigmoidMLPClassifier",
    "__version__",
    "register_onnx_converter",
    "to_onnx",
]
