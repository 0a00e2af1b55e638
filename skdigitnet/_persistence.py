"""Saving and loading fitted models: version stamps and skops' trust list.

A pickled :class:`~skdigitnet.SigmoidMLPClassifier` carries the version of
skdigitnet that saved it, as scikit-learn's estimators carry
``_sklearn_version``; loading it under another version warns with
:class:`InconsistentVersionWarning`. :data:`SKOPS_TRUSTED_TYPES` lets skops
load a model without pickle, and :func:`atomic_write` writes every file the
package writes. The user guide's "Saving a model" says what each promises.
"""

import contextlib
import os
import secrets
import warnings

#: The names of the types in a saved model that skops does not trust by
#: default, to pass as ``trusted`` to :func:`skops.io.load`:
#: ``SigmoidMLPClassifier``, the optimizer it keeps for further training,
#: and ``GreyLevelScaler``, the first step of the pipeline that
#: ``skdigitnet train --save`` writes. What trusting them means, and what a
#: callback of your own needs, is said in :ref:`loading_without_pickle`.
SKOPS_TRUSTED_TYPES = [
    "skdigitnet._classifier.SigmoidMLPClassifier",
    "skdigitnet._optimizer.SGDOptimizer",
    "skdigitnet._preprocessing.GreyLevelScaler",
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


def _open_new(path):
    # Created, never truncated; its mode is 0o666 less the umask, as any
    # file the user creates.
    return open(path, "xb")


@contextlib.contextmanager
def atomic_write(path):
    """Write ``path`` whole or not at all: yield a binary file to write to.

    The file is a new temporary file in the folder of ``path``; when the
    ``with`` block ends without error it is flushed to disk and renamed to
    ``path``. On any error or interrupt, at any step, the temporary file is
    removed and ``path`` is left as it was.

    Parameters
    ----------
    path : str or path-like
        The file to write; an existing file is replaced.

    Yields
    ------
    f : file object
        The temporary file, open for binary writing.
    """
    name = os.fspath(path)
    folder, base = os.path.split(os.path.abspath(name))
    tmp_path = os.path.join(folder, f".{base}.{secrets.token_hex(4)}.tmp")
    f = _open_new(tmp_path)
    try:
        with f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_path, name)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp_path)
        raise
