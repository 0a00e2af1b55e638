"""What the classifier watches while it trains, and what it warns about.

The book's four monitors and chapter 5's learning speed, each asked for by
name in ``monitor`` (the user guide says what each measures); after ``fit``,
:func:`warn_if_saturated` and :func:`warn_if_val_range_differs`.
"""

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.metrics import accuracy_score

from . import _network

MONITORS = (
    "training_cost",
    "training_accuracy",
    "evaluation_cost",
    "evaluation_accuracy",
    "learning_speed",
)
EVALUATION_MONITORS = {"evaluation_cost", "evaluation_accuracy"}

# Rows per backward pass when the learning speed is measured, to bound memory.
_SPEED_CHUNK = 1000

# The saturation check's numbers, which SaturationWarning states. The bound
# lets float32 rounding of a scaler's 1.0 count as within [-1, 1].
_INPUT_SCALE = 1 + 1e-6
_SATURATION_ROWS = 2000
_SATURATED_ACTIVATION = 0.02
_SATURATED_NEURONS = 0.75

# X_val's values spanning this many times more, or less, than X's are taken
# for data that skipped a Pipeline's scaling (raw pixels: 255 times).
_VAL_SPAN_RATIO = 8.0


class SaturationWarning(UserWarning):
    """Warning that most hidden neurons are saturated on the training data.

    A saturated sigmoid neuron (activation near 0 or 1) learns slowly, since
    its gradient carries the factor ``sigmoid'(z)``: chapter 3's learning
    slowdown. It usually means inputs on a larger scale than the N(0, 1)
    weights expect, such as standardised features; the warning says what
    to change.

    When the training data has values beyond [-1, 1], ``fit`` ends with a
    forward pass over at most 2,000 evenly spaced training rows. A hidden
    neuron counts as saturated when its activation is below 0.02 or above
    0.98 (where ``sigmoid'`` is under a twelfth of its peak) on more than
    half of them, and when more than three quarters of the hidden neurons
    are, ``fit`` warns once. Inputs within [-1, 1] are not checked (see
    :ref:`choosing_settings`).
    """


def monitor_names(monitor):
    """Return the set of names asked for by the ``monitor`` parameter."""
    if monitor is None:
        return set()
    return {monitor} if isinstance(monitor, str) else set(monitor)


def accuracy_and_cost(out, Y, sample_weight, loss, multilabel):
    """Accuracy and mean cost (without L2) of the outputs ``out`` for ``Y``."""
    if multilabel:
        score = accuracy_score(Y, out > 0.5, sample_weight=sample_weight)
    else:
        score = accuracy_score(
            Y.argmax(axis=1), out.argmax(axis=1), sample_weight=sample_weight
        )
    total = Y.shape[0] if sample_weight is None else sample_weight.sum()
    cost = _network.LOSSES[loss].cost(Y, out, sample_weight) / total
    return float(score), float(cost)


def learning_speed(X, Y, sample_weight, coefs, intercepts, loss):
    """Chapter 5's speed of learning: ``||nabla_b||`` of each layer.

    ``nabla_b`` is the gradient of the mean cost over ``(X, Y)`` with
    respect to the biases, from the book's ``backprop`` by chunks of rows;
    one norm per layer after the input, as the user guide explains.
    """
    nabla_b = [np.zeros_like(b) for b in intercepts]
    n = X.shape[0] if sample_weight is None else sample_weight.sum()
    # Finite weights give finite gradients; tiny ones underflow to 0.
    with np.errstate(all="ignore"):
        for start in range(0, X.shape[0], _SPEED_CHUNK):
            rows = slice(start, start + _SPEED_CHUNK)
            sw = None if sample_weight is None else sample_weight[rows]
            _, chunk_nabla_b, _ = _network.backprop(
                X[rows], Y[rows], coefs, intercepts, loss, sw
            )
            for total, nb in zip(nabla_b, chunk_nabla_b):
                total += nb
        return [float(np.linalg.norm(nb / n)) for nb in nabla_b]


def epoch_record(names, scores, penalty, speed):
    """Return the epoch's monitors, by name.

    ``scores`` maps ``"training"`` and ``"evaluation"`` to the pair
    ``(accuracy, cost)`` of the data sets scored; ``penalty`` is the L2
    term added to the costs, ``speed`` the learning speed or ``None``.
    Evaluation data, given or held out, is always recorded.
    """
    names = names | (EVALUATION_MONITORS if "evaluation" in scores else set())
    record = {}
    for data, (accuracy, cost) in scores.items():
        if f"{data}_cost" in names:
            record[f"{data}_cost"] = cost + penalty
        if f"{data}_accuracy" in names:
            record[f"{data}_accuracy"] = accuracy
    if speed is not None:
        record["learning_speed"] = speed
    return record


def shown(value):
    """Format a monitor's value as the verbose output prints it."""
    if isinstance(value, list):
        return "[" + ", ".join(f"{v:.4g}" for v in value) + "]"
    return f"{value:.6f}"


def warn_if_saturated(X, coefs, intercepts, *, weight_init, loss):
    """Warn when most hidden neurons are saturated on most rows of ``X``.

    ``X`` of shape (n_samples, n_features), as trained on, checked only
    where it has values beyond [-1, 1]; see :class:`SaturationWarning`.
    """
    # max and min, unlike abs, make no copy of X.
    largest = float(max(X.max(), -X.min())) if X.shape[0] else 0.0
    if not largest > _INPUT_SCALE:
        return
    step = -(-X.shape[0] // _SATURATION_ROWS)
    with np.errstate(all="ignore"):
        layers = _network.hidden_activations(X[::step], coefs, intercepts)
    low, high = _SATURATED_ACTIVATION, 1 - _SATURATED_ACTIVATION
    rows_saturated = np.concatenate(
        [np.mean((a < low) | (a > high), axis=0) for a in layers]
    )
    fraction = np.mean(rows_saturated > 0.5)
    if not fraction > _SATURATED_NEURONS:
        return
    fixes = ["scaling X to [0, 1] (for example with MinMaxScaler)"]
    if weight_init != "scaled":
        fixes.append('weight_init="scaled"')
    if loss == "squared_error":
        fixes.append('loss="cross_entropy"')
    warnings.warn(
        SaturationWarning(
            f"{fraction:.0%} of the hidden neurons are saturated (activation "
            f"below {low:g} or above {high:g}) on most training rows, which "
            "slows their learning. The defaults expect inputs in [0, 1], and X "
            f"reaches {largest:.3g} in absolute value; try {', '.join(fixes)}."
        ),
    )


def _value_span(X):
    """Largest minus smallest value of a dense or sparse ``X`` (0 if empty)."""
    values = X.data if sp.issparse(X) else X
    if values.size == 0:
        return 0.0
    high, low = float(np.max(values)), float(np.min(values))
    if sp.issparse(X) and X.nnz < X.shape[0] * X.shape[1]:
        high, low = max(high, 0.0), min(low, 0.0)
    return high - low


def warn_if_val_range_differs(X, validation):
    """Warn when ``X_val`` spans a clearly other range than ``X``.

    The usual cause is a Pipeline that hands ``X_val`` to the classifier
    without the transforms ``X`` went through.
    """
    if validation is None:
        return
    span, span_val = _value_span(X), _value_span(validation[0])
    if not (span > 0 and span_val > 0):
        return
    if max(span / span_val, span_val / span) > _VAL_SPAN_RATIO:
        warnings.warn(
            f"X_val's values span {span_val:.3g} and X's {span:.3g}: X_val "
            "looks untransformed. In a Pipeline, make it pass through the "
            "earlier steps with Pipeline(..., transform_input=['X_val']).",
            UserWarning,
            stacklevel=2,
        )
