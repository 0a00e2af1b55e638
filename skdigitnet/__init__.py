"""The sigmoid network of Nielsen's *Neural Networks and Deep Learning*.

A scikit-learn compatible classifier built from sigmoid neurons, trained by
mini-batch stochastic gradient descent and backpropagation written in numpy.
"""

import importlib

__version__ = "0.1.0"

# Each public name and the module that defines it, imported on first use
# (PEP 562): "skdigitnet --help" then prints without loading scikit-learn.
_LAZY = {
    "GreyLevelScaler": "._preprocessing",
    "InconsistentVersionWarning": "._persistence",
    "SKOPS_TRUSTED_TYPES": "._persistence",
    "SaturationWarning": "._monitors",
    "SigmoidMLPClassifier": "._classifier",
    "register_onnx_converter": "._onnx",
    "to_onnx": "._onnx",
}

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


def __getattr__(name):
    """Import a public name from its module the first time it is asked for."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    globals()[name] = value
    return value


def __dir__():
    """List the public names, those not yet imported included."""
    return sorted({*globals(), *_LAZY})
