"""One training epoch: the engine, numpy's error state and the epoch's loss.

Dense input goes through the fast path :mod:`skdigitnet._buffered`, sparse
input (and anything it cannot train) through the book's
:mod:`skdigitnet._network`; both are called through their modules. The
epoch steps the weights it is given in place: the classifier hands it
copies.
"""

import math

import numpy as np

from . import _buffered, _network


def train_epoch(X, Y, order, batch_size, params, optimizer, loss, sample_weight):
    """Take one epoch's steps on ``params = (coefs, intercepts)``.

    Returns the training loss: the mean cost of the mini-batches, each taken
    before its step, plus the L2 term, as ``loss_`` documents. A divergence
    in numpy's operations ends the epoch with a NaN loss.
    """
    coefs, intercepts = params
    engine = _buffered if _buffered.can_train(X, Y, coefs, sample_weight) else _network
    args = (X, Y, order, batch_size, coefs, intercepts, optimizer, loss)
    try:
        # An overflow or NaN in numpy's operations stops training in the
        # mini-batch where it happens. BLAS products report none: the
        # epoch checks each weighted input (finite_weighted_input), and
        # the check after the epoch finds non-finite weights or loss.
        # Every class is set, so that none of the user's settings reaches
        # the epoch: an underflow rounds to its right value, 0, and is no
        # divergence.
        with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
            cost_sum = engine.sgd_epoch(*args, sample_weight)
    except FloatingPointError:
        return math.nan
    total = X.shape[0] if sample_weight is None else sample_weight.sum()
    epoch_loss = cost_sum / total
    if optimizer.alpha:
        # Each step adds the L2 term to its batch's summed cost and divides
        # both by the batch's weight sum: over the epoch, one term per step
        # over the total weight, as MLPClassifier's loss_ (without weights,
        # about 1 / batch_size).
        steps = _n_steps(sample_weight, order, batch_size)
        epoch_loss += 0.5 * optimizer.alpha * squared_norm(coefs) * steps / total
    return epoch_loss


def check_finite(loss, coefs, intercepts, epoch, learning_rate_init):
    """Refuse an epoch whose loss or weights became non-finite: divergence."""
    if (
        math.isfinite(loss)
        and all(np.isfinite(p).all() for p in coefs)
        and all(np.isfinite(b).all() for b in intercepts)
    ):
        return
    raise ValueError(
        f"Training diverged in epoch {epoch}: the weights, a layer's weighted "
        "input or the loss became non-finite. Lower learning_rate_init (now "
        f"{learning_rate_init}) or scale the inputs, for example to [0, 1] with "
        "sklearn.preprocessing.MinMaxScaler."
    )


def squared_norm(arrays):
    """Sum of the squares of all the entries of ``arrays``."""
    return sum(float(np.vdot(a, a)) for a in arrays)


def _n_steps(sample_weight, order, batch_size):
    """Count the mini-batches of an epoch that take a step (weight sum > 0)."""
    starts = np.arange(0, len(order), batch_size)
    if sample_weight is None:
        return len(starts)
    return int(np.count_nonzero(np.add.reduceat(sample_weight[order], starts) > 0))
