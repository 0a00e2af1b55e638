"""Parameters are checked, not trusted, and a warning raised as an error undoes.

``class_weight`` must hold finite, non-negative numbers; a warm-started
``fit`` or a ``partial_fit`` refuses parameters or input that the fitted
network cannot continue with, instead of ignoring them; and any warning
turned into an error leaves the estimator exactly as before the call.
"""

import warnings

import numpy as np
import pytest
from conftest import snapshot
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning

from skdigitnet import SaturationWarning, SigmoidMLPClassifier

DIGITS_ROWS = 200  # the digits fixture's size (conftest.py)


def quiet(call, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return call(*args, **kwargs)


# --- class_weight ----------------------------------------------------------


@pytest.mark.parametrize(
    "weight, match",
    [
        (np.nan, "Input class_weight contains NaN"),
        (np.inf, "Input class_weight contains infinity"),
        (-np.inf, "Input class_weight contains infinity"),
        (-1.0, "Negative values in class_weight"),
        ("heavy", "class_weight values must be numbers"),
    ],
)
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_class_weight_must_be_finite_and_non_negative(digits, weight, match, method):
    X, y = digits
    clf = SigmoidMLPClassifier(class_weight={0: weight}, max_iter=1)
    kwargs = {"classes": np.unique(y)} if method == "partial_fit" else {}
    with pytest.raises(ValueError, match=match):
        getattr(clf, method)(X, y, **kwargs)
    assert not hasattr(clf, "coefs_")


# --- continuing a fitted network ---------------------------------------------


CHANGES = [
    ({"hidden_layer_sizes": (7,)}, "hidden_layer_sizes=\\(7,\\)"),
    ({"hidden_layer_sizes": (30, 5)}, "hidden_layer_sizes"),
    ({"loss": "log_loss"}, "loss='log_loss'"),
    ({"loss": "cross_entropy"}, "loss='cross_entropy'"),
]


@pytest.mark.parametrize("change, match", CHANGES)
@pytest.mark.parametrize("method", ["warm_start", "partial_fit"])
def test_continuing_refuses_a_changed_network(digits, change, match, method):
    X, y = digits
    clf = quiet(SigmoidMLPClassifier(max_iter=2, random_state=0).fit, X, y)
    before = snapshot(clf)
    clf.set_params(**change)
    with pytest.raises(ValueError, match=f"{match}.*Set warm_start=False"):
        if method == "warm_start":
            clf.set_params(warm_start=True).fit(X, y)
        else:
            clf.partial_fit(X, y)
    clf.set_params(warm_start=False, hidden_layer_sizes=(30,), loss="squared_error")
    assert snapshot(clf) == before
    # As the message says: without warm_start, fit trains the new network.
    clf.set_params(**change)
    quiet(clf.fit, X, y)
    assert [w.shape[1] for w in clf.coefs_[:-1]] == list(
        change.get("hidden_layer_sizes", (30,))
    )
    assert clf.out_activation_ == (
        "softmax" if change.get("loss") == "log_loss" else "logistic"
    )


@pytest.mark.parametrize(
    "fitted, other", [(np.float64, np.float32), (np.float32, np.float64)]
)
@pytest.mark.parametrize("method", ["warm_start", "partial_fit"])
def test_continuing_refuses_float_input_of_the_other_precision(
    digits, fitted, other, method
):
    X, y = digits
    clf = quiet(
        SigmoidMLPClassifier(max_iter=2, random_state=0).fit, X.astype(fitted), y
    )
    before = snapshot(clf)
    with pytest.raises(ValueError, match=f"X of dtype {np.dtype(other).name}"):
        if method == "warm_start":
            clf.set_params(warm_start=True).fit(X.astype(other), y)
        else:
            clf.partial_fit(X.astype(other), y)
    clf.set_params(warm_start=False)
    assert snapshot(clf) == before
    # Input of the weights' precision, or integers, continue them.
    clf.partial_fit(X.astype(fitted), y)
    clf.partial_fit((X * 16).astype(np.int64) // 16, y)
    assert clf.coefs_[0].dtype == fitted


def test_multilabel_log_loss_continues_as_cross_entropy():
    # Multilabel outputs are sigmoids: log_loss trains as cross_entropy, so
    # switching between the two names changes nothing and is accepted.
    rng = np.random.default_rng(0)
    X = rng.random((60, 5))
    Y = (rng.random((60, 3)) > 0.5).astype(int)
    clf = quiet(SigmoidMLPClassifier(loss="log_loss", max_iter=1).fit, X, Y)
    clf.set_params(loss="cross_entropy")
    quiet(clf.partial_fit, X, Y)
    assert clf.out_activation_ == "logistic"


# --- warnings raised as errors -----------------------------------------------


WARNING_CASES = {
    # Inputs beyond [-1, 1] saturate the hidden neurons.
    "saturation": (SaturationWarning, {}, lambda X, y: (X * 16, y)),
    "convergence": (ConvergenceWarning, {"tol": 1e-4}, lambda X, y: (X, y)),
    "batch clipped": (UserWarning, {"batch_size": 1000}, lambda X, y: (X, y)),
    "column y": (DataConversionWarning, {}, lambda X, y: (X, y[:, None])),
}


@pytest.mark.parametrize("case", WARNING_CASES)
@pytest.mark.parametrize("warm_start", [False, True])
def test_a_warning_raised_as_an_error_leaves_the_estimator(digits, case, warm_start):
    category, params, data = WARNING_CASES[case]
    X, y = digits
    clf = SigmoidMLPClassifier(max_iter=2, random_state=0)
    if warm_start:
        quiet(clf.fit, X * 16, y)  # the same weights' scale as the warning's data
    before = snapshot(clf)
    clf.set_params(warm_start=warm_start, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("error", category)
        with pytest.raises(category):
            clf.fit(*data(X, y))
    clf.set_params(**SigmoidMLPClassifier(max_iter=2, random_state=0).get_params())
    assert snapshot(clf) == before
