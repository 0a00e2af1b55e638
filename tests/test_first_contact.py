"""What a new user meets first: the defaults in a pipeline, and odd input.

The defaults train for the book's fixed number of epochs without a stopping
rule or a warning; ``fit`` says when the hidden neurons are saturated; and
each odd but valid input gets a clear error or scikit-learn's behaviour.
"""

import copy
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from skdigitnet import (
    SKOPS_TRUSTED_TYPES,
    SaturationWarning,
    SigmoidMLPClassifier,
    _buffered,
)

README = Path(__file__).parent.parent / "README.md"


DIGITS_ROWS = 300  # the digits fixture's size (conftest.py)


def fit_silently(clf, X, y, **kwargs):
    """Fit with every warning an error: the fit must give none."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return clf.fit(X, y, **kwargs)


# --- tol=None: the book's fixed number of epochs -----------------------------


def test_default_runs_every_epoch_without_a_warning(digits):
    X, y = digits
    params = dict(hidden_layer_sizes=5, max_iter=60, random_state=0)
    clf = fit_silently(SigmoidMLPClassifier(**params), X, y)
    assert clf.tol is None
    assert clf.n_iter_ == len(clf.loss_curve_) == 60
    assert clf.best_loss_ == min(clf.loss_curve_)

    # MLPClassifier's tol stops this run on a plateau of the loss.
    ruled = fit_silently(SigmoidMLPClassifier(**params, tol=1e-2), X, y)
    assert ruled.n_iter_ < 60
    assert_allclose(ruled.loss_curve_, clf.loss_curve_[: ruled.n_iter_])


def test_float_tol_warns_when_max_iter_is_reached(digits):
    clf = SigmoidMLPClassifier(hidden_layer_sizes=5, max_iter=3, tol=0.0)
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(3\)"):
        clf.fit(*digits)


@pytest.mark.parametrize(
    "rule",
    [{"early_stopping": True}, {"learning_rate": "adaptive"}],
    ids=["early_stopping", "adaptive"],
)
def test_plateau_rules_without_tol_use_mlp_default(digits, rule):
    # early_stopping and the adaptive schedule ask for a rule, which tol=None
    # does not switch off: it runs with MLPClassifier's tol, 1e-4.
    params = dict(n_iter_no_change=2, max_iter=300, random_state=0, **rule)
    default = SigmoidMLPClassifier(**params).fit(*digits)
    explicit = SigmoidMLPClassifier(**params, tol=1e-4).fit(*digits)
    assert default.n_iter_ == explicit.n_iter_ < 300
    assert default.loss_curve_ == explicit.loss_curve_
    assert default.validation_scores_ == explicit.validation_scores_
    assert default._optimizer.learning_rate == explicit._optimizer.learning_rate


def test_n_iter_no_change_takes_inf(digits):
    # MLPClassifier accepts np.inf: every epoch runs, even with early stopping.
    params = dict(n_iter_no_change=np.inf, max_iter=12, random_state=0)
    clf = fit_silently(SigmoidMLPClassifier(**params), *digits)
    assert clf.n_iter_ == 12
    with pytest.warns(ConvergenceWarning):
        clf = SigmoidMLPClassifier(**params, early_stopping=True, tol=0.5)
        clf.fit(*digits)
    assert len(clf.validation_scores_) == 12


@pytest.mark.parametrize("n_samples, expected", [(150, 150), (300, 200)])
def test_batch_size_auto_is_min_200_n_samples(digits, n_samples, expected):
    X, y = digits[0][:n_samples], digits[1][:n_samples]
    params = dict(hidden_layer_sizes=6, max_iter=3, random_state=0)
    auto = fit_silently(SigmoidMLPClassifier(**params, batch_size="auto"), X, y)
    sized = fit_silently(SigmoidMLPClassifier(**params, batch_size=expected), X, y)
    for a, b in zip(auto.coefs_ + auto.intercepts_, sized.coefs_ + sized.intercepts_):
        assert_array_equal(a, b)
    assert SigmoidMLPClassifier().batch_size == 10


# --- saturation --------------------------------------------------------------


def test_standard_scaler_with_the_defaults_warns_of_saturation(raw_digits):
    X, y = raw_digits
    pipe = make_pipeline(StandardScaler(), SigmoidMLPClassifier(random_state=0))
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        pipe.fit(X, y)
    (warning,) = record
    assert warning.category is SaturationWarning
    message = str(warning.message)
    assert re.match(r"\d+% of the hidden neurons are saturated", message)
    for fix in ("MinMaxScaler", 'weight_init="scaled"', 'loss="cross_entropy"'):
        assert fix in message


def test_saturation_advice_leaves_out_what_is_in_use(raw_digits):
    X, y = raw_digits
    clf = SigmoidMLPClassifier(loss="cross_entropy", learning_rate_init=0.5)
    with pytest.warns(SaturationWarning) as record:
        make_pipeline(StandardScaler(), clf).fit(X, y)
    message = str(record[0].message)
    assert 'weight_init="scaled"' in message
    assert "cross_entropy" not in message


@pytest.mark.parametrize(
    "scaler, params",
    [
        (MinMaxScaler(), {}),
        (MinMaxScaler(), {"hidden_layer_sizes": (100,), "learning_rate_init": 1.0}),
        (StandardScaler(), {"weight_init": "scaled"}),
    ],
    ids=["minmax", "minmax-100-eta1", "standard-scaled"],
)
def test_unsaturated_fits_are_silent(raw_digits, scaler, params):
    X, y = raw_digits
    clf = SigmoidMLPClassifier(random_state=0, **params)
    fit_silently(make_pipeline(scaler, clf), X, y)


def test_digits_scaled_as_the_docstring_says_fit_silently(raw_digits):
    # The defaults expect [0, 1]; the raw 0-16 pixels saturate every hidden
    # neuron (and score about 0.84 against 0.98 in cross-validation).
    X, y = raw_digits
    fit_silently(SigmoidMLPClassifier(), X / 16, y)
    with pytest.warns(SaturationWarning, match="100% of the hidden neurons"):
        SigmoidMLPClassifier(random_state=0).fit(X, y)


@pytest.mark.slow
def test_sparse_input_is_checked_as_dense(raw_digits):
    X, y = raw_digits
    X = StandardScaler().fit_transform(X)
    with pytest.warns(SaturationWarning) as dense:
        SigmoidMLPClassifier(random_state=0).fit(X, y)
    with pytest.warns(SaturationWarning) as sparse:
        SigmoidMLPClassifier(random_state=0).fit(sp.csr_matrix(X), y)
    assert str(dense[0].message) == str(sparse[0].message)


def test_partial_fit_does_not_check_saturation(raw_digits):
    X, y = raw_digits
    clf = SigmoidMLPClassifier(random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf.partial_fit(X, y, classes=np.arange(10))


@pytest.mark.slow
def test_readme_example_runs_without_any_warning():
    # The README's grid search, as a user runs it: nothing on stderr.
    code = re.search(r"```python\n(.*?)```", README.read_text(), re.S).group(1)
    assert "GridSearchCV" in code
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "sigmoidmlpclassifier__hidden_layer_sizes" in result.stdout


# --- odd but valid input ------------------------------------------------------


@pytest.mark.parametrize(
    "params, match",
    [
        ({"batch_size": 0}, "'batch_size' parameter"),
        ({"batch_size": -5}, "'batch_size' parameter"),
        ({"loss": "hinge"}, "'loss' parameter"),
    ],
    ids=["batch_size=0", "batch_size=-5", "loss=hinge"],
)
def test_partial_fit_checks_parameters_on_every_call(digits, params, match):
    X, y = digits
    clf = SigmoidMLPClassifier(random_state=0).partial_fit(X, y, classes=range(10))
    coefs = [c.copy() for c in clf.coefs_]
    clf.set_params(**params)
    with pytest.raises(ValueError, match=match):
        clf.partial_fit(X, y)
    assert clf.n_iter_ == 1
    for a, b in zip(clf.coefs_, coefs):
        assert_array_equal(a, b)


def test_negative_class_weight_is_refused(digits):
    clf = SigmoidMLPClassifier(class_weight={0: 1.0, 3: -0.5})
    with pytest.raises(ValueError, match=r"Negative values in class_weight: \{3: "):
        clf.fit(*digits)


def test_partial_fit_refuses_balanced_class_weight(digits):
    X, y = digits
    clf = SigmoidMLPClassifier(class_weight="balanced")
    with pytest.raises(ValueError, match="not supported by partial_fit.*compute_"):
        clf.partial_fit(X, y, classes=range(10))
    assert not hasattr(clf, "coefs_")
    SigmoidMLPClassifier(class_weight="balanced", max_iter=1).fit(X, y)


def test_interrupted_first_epoch_of_partial_fit_undoes_the_call(digits, monkeypatch):
    # Ctrl-C before a call's first epoch ends re-raises and leaves the
    # estimator as it was, random state included: the retried call trains
    # as if the interrupted one had never been made.
    X, y = digits
    clf = SigmoidMLPClassifier(random_state=0).partial_fit(X, y, classes=range(10))
    twin = copy.deepcopy(clf)

    def interrupted(*args):
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(_buffered, "sgd_epoch", interrupted)
        with pytest.raises(KeyboardInterrupt):
            clf.partial_fit(X, y)
    assert (clf.n_iter_, clf.t_, clf.loss_curve_) == (1, len(y), twin.loss_curve_)

    clf.partial_fit(X, y)
    twin.partial_fit(X, y)
    assert clf.loss_curve_ == twin.loss_curve_
    for a, b in zip(clf.coefs_ + clf.intercepts_, twin.coefs_ + twin.intercepts_):
        assert_array_equal(a, b)


def test_too_small_class_error_names_the_users_label(digits):
    X = digits[0][:60]
    y = np.array(["False"] * 59 + ["True"])
    clf = SigmoidMLPClassifier(early_stopping=True, max_iter=2)
    with pytest.raises(
        ValueError,
        match=r"stratify the validation set of early_stopping.*too few members "
        r"are: \['True'\]$",
    ):
        clf.fit(X, y)


@pytest.mark.parametrize("loss", ["squared_error", "log_loss"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_predict_proba_quiet_under_errstate_raise(digits, loss, dtype):
    X, y = digits[0].astype(dtype), digits[1]
    clf = SigmoidMLPClassifier(loss=loss, max_iter=2, random_state=0).fit(X, y)
    for scale in (1e3, 1e6, 1e30):
        with np.errstate(all="raise"):
            proba = clf.predict_proba(X * scale)
            clf.predict_log_proba(X * scale)
        assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
        assert_array_equal(proba.argmax(axis=1), clf.predict(X * scale))


def test_l2_term_of_the_loss_is_normalised_as_the_step(digits):
    # A weight of 2 on every sample doubles each batch's weight sum, which
    # each step divides by: the same steps as alpha / 2 without weights, and
    # so the same loss.
    X, y = digits
    params = dict(max_iter=3, shuffle=False, random_state=0, learning_rate_init=0.5)
    weighted = SigmoidMLPClassifier(alpha=0.2, **params)
    weighted.fit(X, y, sample_weight=np.full(len(y), 2.0))
    halved = SigmoidMLPClassifier(alpha=0.1, **params).fit(X, y)
    for a, b in zip(weighted.coefs_, halved.coefs_):
        assert_allclose(a, b, rtol=1e-12)
    assert_allclose(weighted.loss_curve_, halved.loss_curve_, rtol=1e-12)


def test_validation_set_too_small_says_so(digits):
    X, y = digits[0][:60], digits[1][:60]
    clf = SigmoidMLPClassifier(early_stopping=True, validation_fraction=0.01)
    with pytest.raises(ValueError, match="The validation set is too small.*holds 1"):
        clf.fit(X, y)


@pytest.mark.slow
def test_skops_loads_a_model_with_callbacks(digits, tmp_path):
    sio = pytest.importorskip("skops.io")
    callback = pytest.importorskip("sklearn.callback")
    pytest.importorskip("rich")  # ProgressBar's display
    X, y = digits
    clf = SigmoidMLPClassifier(max_iter=2, random_state=0)
    clf.set_callbacks(
        callback.ScoringMonitor(scoring="accuracy"), callback.ProgressBar()
    )
    clf.fit(X, y)
    path = tmp_path / "model.skops"
    sio.dump(clf, path)
    assert set(sio.get_untrusted_types(file=path)) <= set(SKOPS_TRUSTED_TYPES)
    loaded = sio.load(path, trusted=SKOPS_TRUSTED_TYPES)
    assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    assert [type(c) for c in loaded._skl_callbacks] == [
        type(c) for c in clf._skl_callbacks
    ]
