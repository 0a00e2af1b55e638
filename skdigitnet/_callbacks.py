"""scikit-learn's callbacks (:mod:`sklearn.callback`) for the training loop.

A call to ``fit`` is one task and each epoch one of its subtasks (a call to
``partial_fit`` is a task of one epoch), so that
``clf.set_callbacks(ProgressBar())`` shows the epochs and
``ScoringMonitor`` scores the network after each of them.

Where the installed scikit-learn has no :mod:`sklearn.callback` (before
1.9), the classifier has no ``set_callbacks`` and the tasks below do nothing.
"""

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


__all__ = ["CallbackSupportMixin", "FitTasks"]


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
