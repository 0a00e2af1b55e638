"""Saving and loading fitted models: version stamps and skops' trust list.

A pickled :class:`~skdigitnet.SigmoidMLPClassifier` carries the version of
skdigitnet that saved it, as scikit-learn's estimators carry
``_sklearn_version``; loading it under another version warns with
:class:`InconsistentVersionWarning`.

Pickle runs code while it loads, so load only files you trust. `skops
<https://skops.readthedocs.io>`_ (the ``secure`` extra) saves and loads
without pickle and refuses any type it was not told to trust. Its default
list covers numpy, scipy and most of scikit-learn; :data:`SKOPS_TRUSTED_TYPES`
adds skdigitnet's own and those of scikit-learn's callbacks, and nothing
else::

    import skops.io as sio
    from skdigitnet import SKOPS_TRUSTED_TYPES

    sio.dump(clf, "model.skops")
    clf = sio.load("model.skops", trusted=SKOPS_TRUSTED_TYPES)
"""

import warnings

#: The names of the types in a saved model that skops does not trust by
#: default, to pass as ``trusted`` to :func:`skops.io.load`:
#: ``SigmoidMLPClassifier``, the optimizer it keeps for further training,
#: and the callbacks of :mod:`sklearn.callback` that ``set_callbacks`` may
#: have attached (``ProgressBar``, ``ScoringMonitor`` and the ``UUID`` and
#: listener handle a monitor holds), which a saved model keeps as pickle
#: does. A fitted classifier holds nothing else that skops does not already
#: trust (numpy arrays, a ``RandomState``, a ``LabelBinarizer``, lists,
#: floats, strings); a callback of your own needs its type added.
SKOPS_TRUSTED_TYPES = [
    "skdigitnet._classifier.SigmoidMLPClassifier",
    "skdigitnet._optimizer.SGDOptimizer",
    "sklearn.callback._progressbar.ProgressBar",
    "sklearn.callback._scoring_monitor.ScoringMonitor",
    "sklearn.callback._transport.ListenerHandle",
    "uuid.UUID",
]

_VERSION_KEY = "_skdigitnet_version"


class InconsistentVersionWarning(UserWarning):
    """Warning raised when a model is loaded under another skdigitnet version.

    The model may then not work, or give other results: refit it, or load it
    with the version named in ``original_version``.

    Parameters
    ----------
    estimator_name : str
        The name of the loaded estimator's class.

    current_version : str
        The version of skdigitnet doing the loading.

    original_version : str
        The version of skdigitnet that saved the model (``"unknown"`` for a
        model saved without a version stamp).
    """

    def __init__(self, *, estimator_name, current_version, original_version):
        self.estimator_name = estimator_name
        self.current_version = current_version
        self.original_version = original_version

    def __str__(self):
        return (
            f"Trying to unpickle estimator {self.estimator_name} from skdigitnet "
            f"version {self.original_version} when using version "
            f"{self.current_version}. This might lead to breaking code or "
            "invalid results. Use at your own risk."
        )


def _current_version():
    # Imported when called: the package defines __version__ after importing
    # the modules that call this.
    from . import __version__

    return __version__


def stamp_version(state):
    """Return a copy of an estimator's ``state`` with skdigitnet's version."""
    return {**state, _VERSION_KEY: _current_version()}


def check_version(estimator_name, state):
    """Remove the version stamp from ``state``; warn if it is another version."""
    original = state.pop(_VERSION_KEY, "unknown")
    current = _current_version()
    if original != current:
        warnings.warn(
            InconsistentVersionWarning(
                estimator_name=estimator_name,
                current_version=current,
                original_version=original,
            )
        )
    return state
