"""scikit-learn's callbacks (:mod:`sklearn.callback`) for the training loop.

A call to ``fit`` is one task and each epoch one of its subtasks (a call to
``partial_fit`` is a task of one epoch), so that
``clf.set_callbacks(ProgressBar())`` shows the epochs and
``ScoringMonitor`` scores the network after each of them.

Where the installed scikit-learn has no :mod:`sklearn.callback` (before
1.9), the classifier has no ``set_callbacks`` and the tasks below do nothing.
A saved classifier keeps scikit-learn's callbacks as their settings only, for
the reason the user guide's "Loading without pickle" gives.
"""

import warnings

try:
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # scikit-learn < 1.9

    class _NoCallbackContext:
        """A task whose hooks do nothing: no callback can be set."""

        def subcontext(self, *args, **kwargs):
            return self

        def call_on_fit_task_begin(self, **kwargs):
            return self

        def call_on_fit_task_end(self, **kwargs):
            return False

    class CallbackSupportMixin:
        """Stand-in for scikit-learn's mixin, without ``set_callbacks``."""

        def _init_callback_context(self, *args, **kwargs):
            return _NoCallbackContext()


__all__ = ["CallbackSupportMixin", "FitTasks", "restored_state", "saved_state"]


class FitTasks:
    """The callback tasks of one call to ``fit``: the fit, then each epoch.

    Create it at the start of the call with the call's arguments (it sets
    the callbacks up), call :meth:`begin` once they are valid, :meth:`begin_epoch` and
    :meth:`end_epoch` around each epoch, and :meth:`end` when training is
    over. The hooks get the training data as passed to ``fit``, its
    ``sample_weight`` as metadata, and, where they ask for it, a copy of the
    estimator with the weights of the epoch.
    """

    def __init__(self, estimator, task_name, *, max_epochs, X, y, sample_weight):
        self._estimator = estimator
        metadata = {} if sample_weight is None else {"sample_weight": sample_weight}
        self._data = {"X": X, "y": y, "metadata": metadata}
        self._fit_ctx = estimator._init_callback_context(
            task_name=task_name, max_subtasks=max_epochs
        )
        self._epoch_ctx = None

    def begin(self):
        self._fit_ctx.call_on_fit_task_begin(estimator=self._estimator, **self._data)

    def begin_epoch(self):
        self._epoch_ctx = self._fit_ctx.subcontext(task_name="epoch")
        self._epoch_ctx.call_on_fit_task_begin(estimator=self._estimator, **self._data)

    def end_epoch(self):
        """End the epoch's task; return whether a callback asks to stop."""
        return self._epoch_ctx.call_on_fit_task_end(
            estimator=self._estimator,
            reconstruction_attributes=self._epoch_state,
            **self._data,
        )

    def end(self):
        self._fit_ctx.call_on_fit_task_end(
            estimator=self._estimator, reconstruction_attributes={}, **self._data
        )

    def _epoch_state(self):
        # Copies, since training goes on after the hook; called only for
        # hooks that ask for a fitted estimator.
        est = self._estimator
        return {
            "coefs_": [c.copy() for c in est.coefs_],
            "intercepts_": [b.copy() for b in est.intercepts_],
            "n_iter_": est.n_iter_,
            "t_": est.t_,
            "loss_": est.loss_,
        }


# Where a saved state keeps the callbacks, and the settings that each of
# scikit-learn's callbacks is rebuilt from: plain data, never a handle.
_SAVED = "_skl_callbacks"
_SETTINGS = {
    "ProgressBar": ("max_propagation_depth",),
    "ScoringMonitor": ("scoring",),
}


def _settings(callback):
    """Return ``(name, settings)`` for scikit-learn's callbacks, else None."""
    cls = type(callback)
    in_sklearn = cls.__module__.startswith("sklearn.callback")
    if not in_sklearn or cls.__name__ not in _SETTINGS:
        return None
    if cls.__name__ == "ScoringMonitor":
        # The monitor keeps its scoring only in this form (a name becomes a
        # list of one), which its constructor accepts back.
        return cls.__name__, {"scoring": callback._scoring}
    return cls.__name__, {"max_propagation_depth": callback.max_propagation_depth}


def saved_state(state):
    """Return ``state`` with scikit-learn's callbacks replaced by their settings.

    A callback of another kind is kept as it is.
    """
    callbacks = state.get(_SAVED)
    if not callbacks:
        return state
    saved = [_settings(callback) or callback for callback in callbacks]
    return {**state, _SAVED: saved}


def _rebuild(item):
    """Build a callback afresh from saved ``(name, settings)``; pass others on."""
    if not isinstance(item, tuple):
        return item
    if (
        len(item) != 2
        or item[0] not in _SETTINGS
        or not isinstance(item[1], dict)
        or set(item[1]) != set(_SETTINGS[item[0]])
    ):
        raise ValueError(
            f"Cannot load a callback saved as {item!r}: expected one of "
            f"{sorted(_SETTINGS)} with its settings {_SETTINGS}."
        )
    name, settings = item
    try:
        import sklearn.callback as sklearn_callback

        return getattr(sklearn_callback, name)(**settings)
    except ImportError as exc:
        # No sklearn.callback (scikit-learn < 1.9), or no rich for the bar.
        warnings.warn(f"The saved callback {name} is dropped: {exc}")
        return None


def restored_state(state):
    """Return ``state`` with saved callback settings rebuilt into callbacks."""
    saved = state.get(_SAVED)
    if not saved:
        return state
    callbacks = [c for c in map(_rebuild, saved) if c is not None]
    state = {**state, _SAVED: callbacks}
    if not callbacks:
        del state[_SAVED]
    return state
