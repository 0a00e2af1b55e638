"""Bad input, divergence, floating-point safety and property-based tests."""

import copy
import re
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import quiet_fit, snapshot
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skdigitnet import SaturationWarning, SigmoidMLPClassifier, _network

# Overflow, NaN or division warnings from numpy are failures in this file.
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


DIGITS_ROWS = 150  # the digits fixture's size (conftest.py)


@pytest.fixture
def fitted(digits):
    return quiet_fit(SigmoidMLPClassifier(max_iter=3, random_state=0), *digits)


# Bad input. Each row is (parameters set first, the call, what it raises or
# warns, the message). The estimator is fitted beforehand, and must be left
# exactly as it was by every refused call.


def with_value(X, value):
    X = X.copy()
    X[3, 5] = value
    return X


def object_X(X):
    X = X.astype(object)
    X[0, 0] = {"not": "a number"}
    return X


def y_with_nan(y):
    y = y.astype(float)
    y[4] = np.nan
    return y


def fit(**kwargs):
    return lambda clf, X, y: clf.fit(X, y, **kwargs)


def fit_X(transform):
    return lambda clf, X, y: clf.fit(transform(X), y)


def fit_y(transform):
    return lambda clf, X, y: clf.fit(X, transform(y))


def size(name, value, match=None):
    match = match or f"The '{name}' parameter of SigmoidMLPClassifier must be"
    return pytest.param({name: value}, fit(), ValueError, match, id=f"{name}={value!r}")


BAD_INPUT = [
    pytest.param(
        {},
        fit_X(lambda X: with_value(X, np.nan)),
        ValueError,
        "Input X contains NaN",
        id="NaN in X",
    ),
    pytest.param(
        {},
        fit_X(lambda X: with_value(X, np.inf)),
        ValueError,
        "Input X contains infinity",
        id="inf in X",
    ),
    pytest.param(
        {},
        lambda clf, X, y: clf.predict(with_value(X, -np.inf)),
        ValueError,
        "Input X contains infinity",
        id="inf in X to predict",
    ),
    pytest.param(
        {},
        lambda clf, X, y: clf.partial_fit(with_value(X, np.nan), y),
        ValueError,
        "Input X contains NaN",
        id="NaN in X to partial_fit",
    ),
    pytest.param(
        {},
        lambda clf, X, y: clf.fit(X[:0], y[:0]),
        ValueError,
        r"Found array with 0 sample\(s\)",
        id="empty X",
    ),
    pytest.param(
        {},
        fit_X(lambda X: X[:, 0]),
        ValueError,
        "Expected 2D array, got 1D array",
        id="1-D X",
    ),
    pytest.param(
        {},
        fit_X(lambda X: X.reshape(len(X), 8, 8)),
        ValueError,
        "Found array with dim 3",
        id="3-D X",
    ),
    pytest.param(
        {},
        fit_X(object_X),
        TypeError,
        "argument must be a string or a real number",
        id="object X",
    ),
    pytest.param(
        {},
        fit_X(lambda X: np.full(X.shape, "pixel")),
        ValueError,
        "could not convert string to float",
        id="string X",
    ),
    pytest.param(
        {},
        fit_y(lambda y: y[:-1]),
        ValueError,
        "inconsistent numbers of samples",
        id="X and y of different lengths",
    ),
    pytest.param(
        {}, fit_y(y_with_nan), ValueError, "Input y contains NaN", id="y with NaN"
    ),
    pytest.param(
        {},
        fit_y(np.zeros_like),
        ValueError,
        "The number of classes has to be greater than one; got 1 class",
        id="a single class",
    ),
    pytest.param(
        {},
        fit_y(lambda y: np.linspace(0, 1, len(y))),
        ValueError,
        "Unknown label type: continuous",
        id="continuous y",
    ),
    pytest.param(
        {},
        lambda clf, X, y: clf.partial_fit(X, np.where(y == 3, 42, y)),
        ValueError,
        r"`y` has classes not in `self.classes_`",
        id="unseen label in partial_fit",
    ),
    pytest.param(
        {},
        lambda clf, X, y: clf.predict(X[:, :5]),
        ValueError,
        "X has 5 features, but SigmoidMLPClassifier is expecting 64 features",
        id="fewer features in predict",
    ),
    pytest.param(
        {},
        lambda clf, X, y: clf.partial_fit(np.hstack([X, X]), y),
        ValueError,
        "X has 128 features, but SigmoidMLPClassifier is expecting 64 features",
        id="more features in partial_fit",
    ),
    size("hidden_layer_sizes", 0),
    size("hidden_layer_sizes", -3),
    size("hidden_layer_sizes", 2.5),
    size("hidden_layer_sizes", (10, 0), match="must be positive integers"),
    size("hidden_layer_sizes", (10, 2.5), match="must be positive integers"),
    size("hidden_layer_sizes", (True,), match="must be positive integers"),
    size("batch_size", 0),
    size("batch_size", -1),
    size("batch_size", 2.5),
    size("max_iter", 0),
    size("max_iter", -5),
    size("max_iter", 1.5),
    size("n_iter_no_change", 0),
    size("n_iter_no_change", -1),
    size("n_iter_no_change", 0.5),
    pytest.param(
        {"batch_size": 1000},
        fit(),
        UserWarning,
        "larger than sample size. It is going to be clipped",
        id="batch_size larger than the data (warns, clips)",
    ),
    pytest.param(
        {},
        fit(sample_weight=np.ones(5)),
        ValueError,
        r"sample_weight.shape == \(5,\), expected \(150,\)",
        id="sample_weight of the wrong length",
    ),
    pytest.param(
        {},
        fit(sample_weight=np.ones((150, 2))),
        ValueError,
        "Sample weights must be 1D array or scalar",
        id="sample_weight 2-D",
    ),
    pytest.param(
        {},
        fit(sample_weight=np.r_[np.ones(149), -1]),
        ValueError,
        "Negative values in data passed to `sample_weight`",
        id="negative sample_weight",
    ),
    pytest.param(
        {},
        fit(sample_weight=np.zeros(150)),
        ValueError,
        "Sample weights must contain at least one non-zero number",
        id="all-zero sample_weight",
    ),
]


@pytest.mark.parametrize("params, call, expected, match", BAD_INPUT)
def test_bad_input_is_refused_and_changes_nothing(
    fitted, digits, params, call, expected, match
):
    X, y = digits
    fitted.set_params(**params)
    if issubclass(expected, Warning):
        with pytest.warns(expected, match=match):
            warnings.simplefilter("ignore", ConvergenceWarning)
            call(fitted, X, y)
        # Trained exactly as with one mini-batch of all the samples.
        clipped = quiet_fit(clone(fitted).set_params(batch_size=len(X)), X, y)
        for a, b in zip(fitted.coefs_, clipped.coefs_):
            assert_array_equal(a, b)
        return

    before = snapshot(fitted)
    coefs = copy.deepcopy(fitted.coefs_)
    with pytest.raises(expected, match=match):
        call(fitted, X, y)
    assert snapshot(fitted) == before
    for new, old in zip(fitted.coefs_, coefs):
        assert_array_equal(new, old)


# Divergence: stopped where it happens, with a ValueError that says what to
# change, no RuntimeWarning, and the last finite weights kept.

DIVERGED = (
    r"Training diverged in epoch \d+: .*Lower learning_rate_init.*scale the inputs"
)


@pytest.mark.parametrize("loss", ["squared_error", "cross_entropy", "log_loss"])
def test_huge_learning_rate_after_fit_keeps_fitted_weights(digits, loss):
    X, y = digits
    clf = quiet_fit(SigmoidMLPClassifier(loss=loss, max_iter=5, random_state=0), X, y)
    before = snapshot(clf)
    coefs = copy.deepcopy(clf.coefs_ + clf.intercepts_)
    score = clf.score(X, y)

    # warm_start restarts the learning rate, so the next fit trains at 1e308;
    # alpha makes the quadratic cost's saturated network overflow too.
    clf.set_params(warm_start=True, learning_rate_init=1e308, alpha=1.0)
    with pytest.raises(ValueError, match=DIVERGED):
        clf.fit(X, y)

    clf.set_params(warm_start=False, learning_rate_init=3.0, alpha=0.0)
    assert snapshot(clf) == before
    for new, old in zip(clf.coefs_ + clf.intercepts_, coefs):
        assert np.isfinite(new).all()
        assert_array_equal(new, old)
    assert clf.score(X, y) == score


def test_fit_diverging_from_scratch_raises_and_stays_unfitted(digits):
    clf = SigmoidMLPClassifier(loss="log_loss", learning_rate_init=1e308)
    with pytest.raises(ValueError, match=DIVERGED):
        clf.fit(*digits)
    assert not hasattr(clf, "coefs_")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_huge_inputs_to_partial_fit_keep_last_finite_weights(digits, dtype):
    X, y = digits
    X = X.astype(dtype)
    clf = SigmoidMLPClassifier(random_state=0)
    clf.partial_fit(X, y, classes=np.unique(y))
    coefs = copy.deepcopy(clf.coefs_)
    huge = X * np.finfo(dtype).max  # pixels of 1 become the largest float
    with pytest.raises(ValueError, match=DIVERGED):
        clf.partial_fit(huge, y)
    for new, old in zip(clf.coefs_, coefs):
        assert new.dtype == dtype
        assert np.isfinite(new).all()
        assert_array_equal(new, old)
    clf.partial_fit(X, y)  # and it keeps training on sane data
    assert clf.t_ == 2 * len(X)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_weighted_input_overflowing_to_inf_is_divergence(digits, dtype, sparse):
    # One huge pixel times a weight above 1 overflows to +-inf in a BLAS
    # product, which reports no floating-point error, with no inf - inf to
    # make a NaN on any BLAS kernel. The sigmoid maps +-inf to exactly 0 or 1,
    # whose derivative passes no gradient back: the weights stay finite and
    # only the weighted input shows the overflow.
    X, y = digits
    X = X.astype(dtype)
    clf = SigmoidMLPClassifier(random_state=0)
    clf.partial_fit(X, y, classes=np.unique(y))
    assert np.abs(clf.coefs_[0][10]).max() > 1
    huge = np.zeros_like(X)
    huge[:, 10] = np.finfo(dtype).max
    before = copy.deepcopy(clf.coefs_ + clf.intercepts_)
    with pytest.raises(ValueError, match=DIVERGED):
        clf.partial_fit(sp.csr_matrix(huge) if sparse else huge, y)
    for new, old in zip(clf.coefs_ + clf.intercepts_, before):
        assert_array_equal(new, old)


def test_partial_fit_steps_until_divergence_keep_the_last_finite_step(digits):
    # At eta = 1e308 a step may stay finite and the next overflow: each call
    # either trains or leaves the weights of the previous call.
    X, y = digits
    clf = SigmoidMLPClassifier(loss="log_loss", learning_rate_init=1e308, batch_size=5)
    clf.partial_fit(X[:5], y[:5], classes=np.unique(y))
    last = copy.deepcopy(clf.coefs_)
    diverged = False
    for start in range(5, len(X), 5):
        try:
            clf.partial_fit(X[start : start + 5], y[start : start + 5])
        except ValueError as exc:
            assert re.search(DIVERGED, str(exc))
            diverged = True
        else:
            last = copy.deepcopy(clf.coefs_)
        for new, old in zip(clf.coefs_, last):
            assert np.isfinite(new).all()
            assert_array_equal(new, old)
    assert diverged


# Floating-point safety of the network's functions, and float32 training.


def floats(dtype, max_value=1e6):
    return st.floats(
        -max_value, max_value, width=np.dtype(dtype).itemsize * 8, allow_subnormal=True
    )


@st.composite
def cost_inputs(draw):
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    shape = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    y = draw(hnp.arrays(dtype, shape, elements=floats(dtype)))
    z = draw(hnp.arrays(dtype, shape, elements=floats(dtype)))
    sample_weight = draw(
        st.none() | hnp.arrays(dtype, shape[:1], elements=floats(dtype).map(abs))
    )
    return y, z, sample_weight


@settings(max_examples=150, deadline=None)
@given(cost_inputs())
@pytest.mark.slow
def test_activations_and_costs_never_warn_for_finite_input(inputs):
    y, z, sample_weight = inputs
    with np.errstate(all="raise"):
        a = _network.sigmoid(z)
        p = _network.softmax(z.copy())
        costs = [
            _network.squared_error(y, a, sample_weight),
            _network.cross_entropy(y, a, sample_weight),
            _network.log_likelihood(y, p, sample_weight),
            # The costs of any finite "activations", not only those in [0, 1].
            _network.squared_error(y, z, sample_weight),
            _network.cross_entropy(y, z, sample_weight),
            _network.log_likelihood(y, z, sample_weight),
        ]
    assert a.dtype == p.dtype == z.dtype
    assert np.all((a >= 0) & (a <= 1)) and np.all((p >= 0) & (p <= 1))
    assert np.isfinite(costs).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cost", ["squared_error", "cross_entropy", "log_loss"])
def test_costs_at_the_extremes_never_warn(dtype, cost):
    info = np.finfo(dtype)
    values = [-1e6, -1e3, -info.tiny, -info.smallest_subnormal, 0.0]
    values += [info.smallest_subnormal, info.tiny, 0.5, 1.0, 1e3, 1e6]
    # Every value in every row and column; the rows' weights are the values too.
    z = np.array([np.roll(values, k) for k in range(len(values))], dtype=dtype)
    sample_weight = np.abs(z[:, 0])
    loss = _network.LOSSES[cost]
    with np.errstate(all="raise"):
        a = loss.activation(z.copy())
        for y in (np.zeros_like(z), np.ones_like(z), z, z.T):
            assert np.isfinite(loss.cost(y, a))
            assert np.isfinite(loss.cost(y, a, sample_weight))
            assert np.isfinite(loss.cost(y, z, sample_weight))


def test_float32_training_matches_float64_accuracy():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X / 16, y, stratify=y, random_state=0
    )
    scores = {}
    for dtype in (np.float32, np.float64):
        clf = quiet_fit(
            SigmoidMLPClassifier(random_state=0), X_train.astype(dtype), y_train
        )
        assert clf.coefs_[0].dtype == dtype
        assert clf.predict_proba(X_test.astype(dtype)).dtype == dtype
        scores[dtype] = clf.score(X_test.astype(dtype), y_test)
    assert scores[np.float64] > 0.9
    assert abs(scores[np.float32] - scores[np.float64]) <= 0.01


# Property-based tests: random shapes, dtypes, labels and parameters.

LABEL_SETS = [
    [0, 1, 2, 3],
    [-7, 3, 11],
    ["cat", "dog", "emu"],
    [1.0, 2.0, 4.0],
    [0.5, 1.5],  # non-integral floats: continuous, refused
    [True, False],
]

# Every error fit may raise on data it accepts the shape of; anything else,
# or any RuntimeWarning, is a failure.
DOCUMENTED_ERRORS = [
    "The number of classes has to be greater than one",
    "Unknown label type: continuous",
    "Training diverged",
    "The inputs are too large for the network's weights",
    "The validation set is too small",
    "The least populated class(es)? in y ha(s|ve) only 1 member",
    "should be greater or equal to the number of classes",
    "test_size=.* should be either positive and smaller than the number of samples",
    "With n_samples=.*the resulting train set will be empty",
]

PARAMS = st.fixed_dictionaries(
    {
        "hidden_layer_sizes": st.lists(st.integers(1, 6), min_size=1, max_size=2).map(
            tuple
        ),
        "loss": st.sampled_from(["squared_error", "cross_entropy", "log_loss"]),
        "weight_init": st.sampled_from(["gaussian", "scaled"]),
        "alpha": st.sampled_from([0.0, 1e-3, 1.0]),
        "batch_size": st.integers(1, 40),
        "learning_rate": st.sampled_from(["constant", "invscaling", "adaptive"]),
        "learning_rate_init": st.floats(1e-3, 10),
        "max_iter": st.integers(1, 3),
        "shuffle": st.booleans(),
        "momentum": st.sampled_from([0.0, 0.5, 0.9]),
        "nesterovs_momentum": st.booleans(),
        "early_stopping": st.booleans(),
        "n_iter_no_change": st.integers(1, 3),
        "random_state": st.integers(0, 2**31 - 1),
    }
)


@st.composite
def problems(draw, min_classes=1):
    labels = np.asarray(draw(st.sampled_from(LABEL_SETS)))
    # One class (an error) now and then; mostly two or more.
    one_class = min_classes == 1 and draw(st.integers(0, 9)) == 0
    n_classes = 1 if one_class else draw(st.integers(2, len(labels)))
    n_samples = draw(st.integers(n_classes, 30))
    n_features = draw(st.integers(1, 4))
    dtype = draw(st.sampled_from([np.float64, np.float32, np.int64]))
    if dtype == np.int64:
        elements = st.integers(-100, 100)
    else:
        elements = st.floats(-100, 100, width=np.dtype(dtype).itemsize * 8)
    X = draw(hnp.arrays(dtype, (n_samples, n_features), elements=elements))
    index = draw(hnp.arrays(np.intp, n_samples, elements=st.integers(0, n_classes - 1)))
    index[:n_classes] = np.arange(n_classes)  # every class drawn is present
    if draw(st.integers(0, 3)) == 0:
        X = sp.csr_matrix(X)
    return X, labels[draw(st.permutations(index))]


@st.composite
def rows_like(draw, n_features, dtype, sparse):
    n_rows = draw(st.integers(1, 12))
    if dtype.kind == "i":
        elements = st.integers(-(10**4), 10**4)
    else:
        elements = st.floats(-1e4, 1e4, width=dtype.itemsize * 8)
    X = draw(hnp.arrays(dtype, (n_rows, n_features), elements=elements))
    return sp.csr_matrix(X) if sparse else X


HYPOTHESIS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@HYPOTHESIS
@given(problem=problems(), params=PARAMS, data=st.data())
@pytest.mark.slow
def test_fit_predict_work_or_raise_a_documented_error(problem, params, data):
    X, y = problem
    clf = SigmoidMLPClassifier(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.filterwarnings("ignore", "Got `batch_size`", UserWarning)
        # Inputs up to 1e4 saturate the N(0, 1) network, and fit rightly says
        # so (tests/test_first_contact.py checks the warning itself).
        warnings.simplefilter("ignore", SaturationWarning)
        warnings.simplefilter("error", RuntimeWarning)
        try:
            clf.fit(X, y)
        except ValueError as exc:
            assert any(re.search(msg, str(exc)) for msg in DOCUMENTED_ERRORS), exc
            assert not hasattr(clf, "coefs_")
            event(f"fit raised: {str(exc)[:30]}")
            return
    event("fitted")

    X_test = data.draw(rows_like(X.shape[1], X.dtype, sp.issparse(X)), label="X_test")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            pred = clf.predict(X_test)
        except ValueError as exc:
            assert any(re.search(msg, str(exc)) for msg in DOCUMENTED_ERRORS), exc
            event(f"predict raised: {str(exc)[:30]}")
            return
        proba = clf.predict_proba(X_test)
    assert pred.shape == (X_test.shape[0],)
    assert np.isin(pred, clf.classes_).all()
    assert np.isin(clf.classes_, y).all()
    dtype = clf.coefs_[0].dtype
    assert proba.dtype == dtype
    assert proba.shape == (X_test.shape[0], len(clf.classes_))
    assert np.all((proba >= 0) & (proba <= 1))
    assert_allclose(proba.sum(axis=1), 1, rtol=10 * np.finfo(dtype).eps)

    # The answer for a row does not depend on the rows around it.
    order = data.draw(st.permutations(range(X_test.shape[0])), label="order")
    assert_array_equal(clf.predict(X_test[order]), pred[order])
    assert_allclose(clf.predict_proba(X_test[order]), proba[order], rtol=0, atol=1e-6)


@HYPOTHESIS
@given(problem=problems(min_classes=2), params=PARAMS)
@pytest.mark.slow
def test_same_random_state_reproduces_the_model_after_clone(problem, params):
    X, y = problem
    clf = SigmoidMLPClassifier(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.filterwarnings("ignore", "Got `batch_size`", UserWarning)
        warnings.simplefilter("ignore", SaturationWarning)  # as above
        try:
            clf.fit(X, y)
        except ValueError as exc:
            assert any(re.search(msg, str(exc)) for msg in DOCUMENTED_ERRORS), exc
            return
        twin = clone(clf).fit(X, y)
    for a, b in zip(clf.coefs_ + clf.intercepts_, twin.coefs_ + twin.intercepts_):
        assert_array_equal(a, b)
    assert clf.loss_curve_ == twin.loss_curve_
    assert (clf.n_iter_, clf.t_) == (twin.n_iter_, twin.t_)
