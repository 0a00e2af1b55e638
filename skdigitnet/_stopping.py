"""When training stops.

The plateau rules of ``tol``, early stopping and the adaptive schedule, as
:class:`~sklearn.neural_network.MLPClassifier` has them.
"""

import warnings

from sklearn.exceptions import ConvergenceWarning


class StoppingRule:
    """When training stops, made from the parameters at each call.

    It holds no state: the count of epochs without improvement and the best
    scores are the estimator's attributes, numbers that each epoch replaces.
    """

    # The threshold of the plateau rules under tol=None: MLPClassifier's tol.
    DEFAULT_TOL = 1e-4

    def __init__(self, estimator):
        self.tol = self.DEFAULT_TOL if estimator.tol is None else estimator.tol
        self.on_validation = estimator.early_stopping
        self.patience = estimator.n_iter_no_change
        # tol=None asks for no rule on the training loss; early stopping and
        # the adaptive schedule are rules of their own.
        self.active = (
            estimator.tol is not None
            or estimator.early_stopping
            or estimator.learning_rate == "adaptive"
        )

    def count(self, count, score, best):
        """Return the new count of epochs without improvement (higher is better)."""
        return count + 1 if score < best + self.tol else 0

    def plateaued(self, count):
        """Whether ``count`` epochs without improvement ask to stop."""
        return self.active and count > self.patience

    def message(self):
        """Say why the optimizer stops, or divides the rate."""
        what = "Validation score" if self.on_validation else "Training loss"
        return (
            f"{what} did not improve more than tol={self.tol:f} for "
            f"{self.patience} consecutive epochs."
        )

    def warn_at_max_iter(self, max_iter):
        """Warn that all epochs ran although a stopping rule was asked for."""
        if self.active:
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({max_iter})"
                " reached and the optimization hasn't converged yet.",
                ConvergenceWarning,
            )
