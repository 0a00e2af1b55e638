"""What the classifier accepts: parameters, targets, weights, validation data.

The only module that imports scikit-learn's private helpers.
"""

import math
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import _fit_context
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import compute_sample_weight
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.multiclass import (
    _check_partial_fit_first_call,
    check_classification_targets,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import (
    _assert_all_finite,
    _check_sample_weight,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from ._monitors import EVALUATION_MONITORS, MONITORS, monitor_names

fit_context = _fit_context


class _MonitorNames(Options):
    """A list or tuple of names from ``MONITORS``.

    An ``Options`` so that scikit-learn's parameter validation, which only
    knows its own constraint classes, accepts it.
    """

    def __init__(self):
        super().__init__(type=(list, tuple), options=set(MONITORS))

    def is_satisfied_by(self, val):
        return isinstance(val, (list, tuple)) and all(
            isinstance(name, str) and name in MONITORS for name in val
        )

    def __str__(self):
        return f"a list or tuple of names among {list(MONITORS)}"


PARAMETER_CONSTRAINTS = {
    "hidden_layer_sizes": [
        "array-like",
        Interval(Integral, 1, None, closed="left"),
    ],
    "loss": [StrOptions({"squared_error", "cross_entropy", "log_loss"})],
    "weight_init": [StrOptions({"gaussian", "scaled"})],
    "alpha": [Interval(Real, 0, None, closed="left")],
    "batch_size": [
        StrOptions({"auto"}),
        Interval(Integral, 1, None, closed="left"),
    ],
    "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
    "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
    "power_t": [Interval(Real, 0, None, closed="left")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "shuffle": ["boolean"],
    "random_state": ["random_state"],
    "tol": [Interval(Real, 0, None, closed="left"), None],
    "verbose": ["verbose"],
    "warm_start": ["boolean"],
    "momentum": [Interval(Real, 0, 1, closed="both")],
    "nesterovs_momentum": ["boolean"],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    "n_iter_no_change": [
        Interval(Integral, 1, None, closed="left"),
        Options(Real, {np.inf}),
    ],
    "class_weight": [dict, StrOptions({"balanced"}), None],
    "monitor": [_MonitorNames(), StrOptions(set(MONITORS)), None],
}


def check_hidden_layer_sizes(sizes):
    """``hidden_layer_sizes`` as a checked list of positive ints."""
    hidden = np.atleast_1d(sizes).tolist()
    # bool is an Integral, but True is no layer size.
    if not all(
        isinstance(h, Integral) and not isinstance(h, bool) and h > 0 for h in hidden
    ):
        raise ValueError(f"hidden_layer_sizes must be positive integers, got {hidden}.")
    return hidden


def check_continuation(X, coefs, *, hidden_layer_sizes, loss, warm_start):
    """Refuse to continue a network that the parameters no longer describe.

    A warm-started ``fit`` or a ``partial_fit`` trains the fitted weights
    ``coefs`` further: a new ``hidden_layer_sizes`` or ``loss``, or float
    input of the other precision, would otherwise be silently ignored.
    ``loss`` is the parameter, the loss it trains and the fitted one.
    """
    changed = []
    fitted_hidden = [w.shape[1] for w in coefs[:-1]]
    if check_hidden_layer_sizes(hidden_layer_sizes) != fitted_hidden:
        changed.append(
            f"hidden_layer_sizes={hidden_layer_sizes!r} (the fitted "
            f"network has {tuple(fitted_hidden)})"
        )
    loss, trained, fitted = loss
    if trained != fitted:
        changed.append(f"loss={loss!r} (the network was fitted with {fitted!r})")
    dtype = getattr(X, "dtype", None)
    fitted_dtype = coefs[0].dtype
    if dtype in (np.float32, np.float64) and dtype != fitted_dtype:
        changed.append(
            f"X of dtype {np.dtype(dtype).name} (the weights are "
            f"{fitted_dtype.name}; pass X.astype(np.{fitted_dtype.name}) to "
            "continue them)"
        )
    if changed:
        call = "partial_fit" if not warm_start else "fit with warm_start=True"
        raise ValueError(
            f"{call} continues the fitted network, which does not match "
            f"{'; '.join(changed)}. Set warm_start=False, or start a new "
            "estimator, to train a new network."
        )


def check_partial_fit_params(early_stopping, class_weight):
    """Refuse what ``partial_fit`` cannot do."""
    if early_stopping:
        raise ValueError("partial_fit does not support early_stopping=True")
    if isinstance(class_weight, str):
        raise ValueError(
            "class_weight='balanced' is not supported by partial_fit: each "
            "call would balance its own labels alone. Compute the weights "
            "once from the whole training set's labels, with "
            "sklearn.utils.compute_class_weight('balanced', classes=classes, "
            "y=y), and pass them as a dict in class_weight, or pass "
            "sample_weight=compute_sample_weight('balanced', y) computed on "
            "the whole y."
        )


def partial_fit_binarizer(estimator, y, classes):
    """On ``partial_fit``'s first call, the binarizer of all the classes.

    Sets ``estimator.classes_`` as scikit-learn's first-call check does;
    returns ``None`` on later calls.
    """
    if not _check_partial_fit_first_call(estimator, classes):
        return None
    if type_of_target(y).startswith("multilabel"):
        return LabelBinarizer().fit(y)
    return LabelBinarizer().fit(classes)


def check_X_y(estimator, X, y, *, reset):
    """Validate the training data; set ``n_features_in_`` when ``reset``."""
    X, y = validate_data(
        estimator,
        X,
        y,
        accept_sparse=["csr", "csc"],
        multi_output=True,
        dtype=(np.float64, np.float32),
        # Converted once here, so that no epoch copies a strided X.
        order="C",
        reset=reset,
    )
    if y.ndim == 2 and y.shape[1] == 1:
        y = column_or_1d(y, warn=True)
    check_classification_targets(y)
    if sp.issparse(X):
        X = X.tocsr()
    return X, y


def check_X(estimator, X, dtype=(np.float64, np.float32)):
    """Validate the inputs of a fitted estimator: to predict, or ``X_val``."""
    check_is_fitted(estimator)
    X = validate_data(
        estimator, X, accept_sparse=["csr", "csc"], dtype=dtype, reset=False
    )
    return X.tocsr() if sp.issparse(X) else X


def check_batch_size(batch_size, n_samples):
    """Return the mini-batch size for ``n_samples``: ``"auto"`` resolved, clipped."""
    if batch_size == "auto":
        return min(200, n_samples)
    if batch_size > n_samples:
        warnings.warn(
            "Got `batch_size` less than 1 or larger than sample size. It is "
            "going to be clipped"
        )
    return min(batch_size, n_samples)


def check_classes(y, classes_, *, name="y", same=False):
    """Refuse labels of ``y`` outside ``classes_`` (all of them, with ``same``).

    ``same`` is a warm-started ``fit``, whose labels must be the previous
    call's; ``partial_fit`` and a validation set take a subset.
    """
    classes = unique_labels(y)
    if same and set(classes) != set(classes_):
        raise ValueError(
            "warm_start can only be used where `y` has the same "
            "classes as in the previous call to fit. Previously "
            f"got {classes_}, `y` has {classes}"
        )
    if len(np.setdiff1d(classes, classes_)):
        shown = "`y`" if name == "y" else name
        raise ValueError(
            f"{shown} has classes not in `self.classes_`. "
            f"`self.classes_` has {classes_}. '{name}' has {classes}."
        )


def encode(binarizer, y, dtype):
    """Encode ``y`` as targets ``Y`` of shape (n_samples, n_outputs), in ``dtype``."""
    Y = binarizer.transform(y)
    if Y.shape[1] == 1 and binarizer.y_type_ == "binary":
        # One output neuron per class, binary included, as in the book.
        Y = np.hstack([1 - Y, Y])
    return np.ascontiguousarray(Y, dtype=dtype)


def check_sample_weight(sample_weight, X, dtype, name="sample_weight"):
    """Validate non-negative sample weights (``None`` stays ``None``)."""
    if sample_weight is None:
        return None
    sample_weight = _check_sample_weight(sample_weight, X, dtype=dtype)
    if np.any(sample_weight < 0):
        raise ValueError(f"Negative values in data passed to `{name}`")
    return sample_weight


def check_weights(sample_weight, class_weight, X, y, *, multilabel):
    """Return the training samples' weights, ``class_weight`` multiplied in."""
    sample_weight = check_sample_weight(sample_weight, X, X.dtype)
    if class_weight is not None:
        if multilabel:
            raise ValueError("class_weight is not supported for multilabel y")
        if isinstance(class_weight, dict):
            _check_class_weight(class_weight)
        weights = compute_sample_weight(class_weight, y).astype(X.dtype)
        sample_weight = weights if sample_weight is None else sample_weight * weights
    if sample_weight is not None and not np.any(sample_weight > 0):
        raise ValueError("Sample weights must contain at least one non-zero number.")
    return sample_weight


def _check_class_weight(class_weight):
    """Refuse class weights that are not finite and non-negative numbers."""
    weights = np.asarray(list(class_weight.values()))
    if weights.dtype.kind not in "biuf":
        raise ValueError(
            f"class_weight values must be numbers, got {list(class_weight.values())}"
        )
    _assert_all_finite(weights, input_name="class_weight")
    negative = {k: w for k, w in class_weight.items() if w < 0}
    if negative:
        raise ValueError(
            f"Negative values in class_weight: {negative}. Class weights must be "
            "non-negative."
        )


def check_validation_set(estimator, X_val, y_val, sample_weight_val, *, binarizer):
    """Check the validation set given to fit, encoded as the training set.

    Returns ``None`` when none is given, else ``(X_val, Y_val, sw_val)``
    with ``Y_val`` of shape ``(n_val, n_outputs)``, in the weights' dtype.
    The evaluation monitors require one, unless early stopping holds it out.
    """
    if X_val is None and y_val is None:
        if sample_weight_val is not None:
            raise ValueError(
                "sample_weight_val is provided, but X_val and y_val were not provided."
            )
        monitor = estimator.monitor
        evaluation = monitor_names(monitor) & EVALUATION_MONITORS
        if evaluation and not estimator.early_stopping:
            raise ValueError(
                f"monitor={monitor!r} asks for evaluation monitors, which "
                "need a validation set: pass X_val and y_val to fit, or set "
                "early_stopping=True to hold out validation_fraction of X."
            )
        return None
    if y_val is None:
        raise ValueError("X_val is provided, but y_val was not provided.")
    if X_val is None:
        raise ValueError("y_val is provided, but X_val was not provided.")
    dtype = estimator.coefs_[0].dtype
    try:
        X_val = check_X(estimator, X_val, dtype)
    except ValueError as error:
        raise ValueError(f"X_val: {error}") from error
    y_val = np.asarray(y_val)
    if y_val.ndim == 2 and y_val.shape[1] == 1:
        y_val = column_or_1d(y_val, warn=True)
    check_consistent_length(X_val, y_val)
    if binarizer.y_type_.startswith("multilabel"):
        n_labels = len(binarizer.classes_)
        if y_val.ndim != 2 or y_val.shape[1] != n_labels:
            raise ValueError(
                f"y_val must be an indicator matrix of {n_labels} "
                f"labels, as y; got shape {y_val.shape}."
            )
    else:
        check_classes(y_val, binarizer.classes_, name="y_val")
    sample_weight_val = check_sample_weight(
        sample_weight_val, X_val, dtype, name="sample_weight_val"
    )
    return X_val, encode(binarizer, y_val, dtype), sample_weight_val


def split_validation(X, Y, sample_weight, *, fraction, random_state, classes):
    """Hold out ``fraction`` of the training data for early stopping.

    Stratified on the labels ``classes[Y.argmax(axis=1)]`` (``classes`` is
    ``None`` for multilabel targets, which are not stratified). Returns
    ``X, Y, sample_weight`` left for training and the held-out
    ``(X_val, Y_val, sw_val)``.
    """
    arrays = [X, Y] if sample_weight is None else [X, Y, sample_weight]
    # Stratified on the user's labels, which its errors then name.
    stratify = None if classes is None else classes[Y.argmax(axis=1)]
    _check_validation_size(X.shape[0], stratify, fraction)
    parts = train_test_split(
        *arrays, random_state=random_state, test_size=fraction, stratify=stratify
    )
    X, X_val, Y, Y_val = parts[:4]
    sample_weight, sw_val = parts[4:] or (None, None)
    return X, Y, sample_weight, (X_val, Y_val, sw_val)


def _check_validation_size(n_samples, stratify, fraction):
    # train_test_split's own errors speak of test sets, and only newer
    # scikit-learn names a class too small to stratify: ours do both.
    n_val = math.ceil(fraction * n_samples)
    classes, counts = [], []
    if stratify is not None:
        classes, counts = np.unique(stratify, return_counts=True)
    if len(counts) and counts.min() < 2:
        raise ValueError(
            "The least populated classes in y have only 1 member, which is "
            "too few to stratify the validation set of early_stopping: each "
            "class needs at least 2. Classes with too few members are: "
            f"{classes[counts < 2].tolist()}"
        )
    n_classes = len(counts)
    needed = max(2, n_classes)
    if n_val < needed:
        why = f" (one per class, {n_classes})" if needed > 2 else ""
        raise ValueError(
            f"The validation set is too small: validation_fraction="
            f"{fraction} of {n_samples} samples holds {n_val}; "
            f"it needs at least {needed}{why}. Increase "
            "'validation_fraction' or the size of your dataset."
        )
