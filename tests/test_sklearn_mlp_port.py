"""scikit-learn's own MLP tests, ported to SigmoidMLPClassifier.

Each test names the test of ``sklearn/neural_network/tests/test_mlp.py``
(scikit-learn 1.9) that it ports. ``solver="sgd"`` and
``activation="logistic"`` are this estimator's only solver and activation,
and MLPClassifier's loss (log-loss with logistic outputs) is
``loss="log_loss"`` here; parameters without a counterpart (``solver``,
``activation``, ``beta_1``...) are left out. Where the estimator differs on
purpose, the port asserts this estimator's behaviour and says how it
differs. Tests of the regressor, of the ``lbfgs`` and ``adam`` solvers and
of private gradient helpers have no counterpart and are not ported.
"""

import pickle
import re
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import (
    load_digits,
    load_iris,
    make_classification,
    make_multilabel_classification,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import MinMaxScaler

from skdigitnet import SaturationWarning, SigmoidMLPClassifier

# The data sets of test_mlp.py.
_X3, _y3 = load_digits(n_class=3, return_X_y=True)
X_digits_multi = MinMaxScaler().fit_transform(_X3[:200])
y_digits_multi = _y3[:200]
X_digits, y_digits = load_digits(n_class=2, return_X_y=True)
X_digits_binary = MinMaxScaler().fit_transform(X_digits[:200])
y_digits_binary = y_digits[:200]
classification_datasets = [
    (X_digits_multi, y_digits_multi),
    (X_digits_binary, y_digits_binary),
]
X_iris, y_iris = load_iris(return_X_y=True)

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning",
    # Several of scikit-learn's data sets are unscaled (iris, raw digits).
    "ignore::skdigitnet.SaturationWarning",
    # Its tests fit a few rows with MLPClassifier's batch_size="auto"; the
    # book's 10 is clipped to them, with a warning.
    "ignore:Got `batch_size`",
)


def test_alpha():
    # Ports test_alpha: a larger alpha gives weights closer to zero.
    X, y = X_digits_binary[:100], y_digits_binary[:100]
    sums = []
    for alpha in (0, 1):
        mlp = SigmoidMLPClassifier(hidden_layer_sizes=10, alpha=alpha, random_state=1)
        mlp.fit(X, y)
        sums.append([np.abs(mlp.coefs_[0]).sum(), np.abs(mlp.coefs_[1]).sum()])
    assert (np.array(sums[0]) > np.array(sums[1])).all()


def test_fit():
    # Ports test_fit: one step on one sample equals the worked example. The
    # binary network has one output per class (MLPClassifier has one in all);
    # the class-0 output is given zero weights, so that the hidden layer and
    # the class-1 output see exactly the example's gradients.
    # loss="cross_entropy" of sigmoid outputs has MLPClassifier's output
    # delta, a - y.
    X = np.array([[0.6, 0.8, 0.7]])
    y = np.array([0])
    mlp = SigmoidMLPClassifier(
        hidden_layer_sizes=2,
        loss="cross_entropy",
        learning_rate_init=0.1,
        alpha=0.1,
        momentum=0,
        random_state=1,
    )
    mlp.partial_fit(X, y, classes=[0, 1])
    mlp.coefs_ = [
        np.array([[0.1, 0.2], [0.3, 0.1], [0.5, 0]]),
        np.array([[0.0, 0.1], [0.0, 0.2]]),
    ]
    mlp.intercepts_ = [np.array([0.1, 0.1]), np.array([0.0, 1.0])]
    mlp.partial_fit(X, y)
    assert_allclose(
        mlp.coefs_[0],
        [[0.098, 0.195756], [0.2956664, 0.096008], [0.4939998, -0.002244]],
        atol=1e-3,
    )
    assert_allclose(mlp.coefs_[1][:, 1], [0.04706, 0.154089], atol=1e-3)
    assert_allclose(mlp.intercepts_[0], [0.098333, 0.09626], atol=1e-3)
    assert_allclose(mlp.intercepts_[1][1], 0.9235, atol=1e-3)
    # The example's output after the step (predict_proba normalises the two
    # outputs, so the class-1 neuron is computed from the hidden layer).
    hidden = mlp.hidden_activations(X)
    z = hidden @ mlp.coefs_[1][:, 1] + mlp.intercepts_[1][1]
    assert_allclose(1 / (1 + np.exp(-z)), [0.739], atol=1e-3)


def test_learning_rate_warmstart():
    # Ports test_learning_rate_warmstart: warm_start reuses the schedule.
    X = [[3, 2], [1, 6], [5, 6], [-2, -4]]
    y = [1, 1, 1, 0]
    for learning_rate in ["invscaling", "constant"]:
        mlp = SigmoidMLPClassifier(
            hidden_layer_sizes=4,
            learning_rate=learning_rate,
            max_iter=1,
            power_t=0.25,
            warm_start=True,
        )
        mlp.fit(X, y)
        prev_eta = mlp._optimizer.learning_rate
        mlp.fit(X, y)
        post_eta = mlp._optimizer.learning_rate
        if learning_rate == "constant":
            assert prev_eta == post_eta
        else:
            assert mlp.learning_rate_init / pow(8 + 1, mlp.power_t) == post_eta


@pytest.mark.slow
def test_multilabel_classification():
    # Ports the partial_fit half of test_multilabel_classification (the
    # other half uses lbfgs), and its early-stopping check, with
    # MLPClassifier's Nesterov momentum of 0.9. Difference: the unscaled
    # counts saturate the book's N(0, 1) weights; weight_init="scaled" is the
    # closer match to MLPClassifier's Glorot initialisation.
    X, y = make_multilabel_classification(
        n_samples=50, random_state=0, return_indicator=True
    )
    mlp = SigmoidMLPClassifier(
        hidden_layer_sizes=50,
        loss="log_loss",
        weight_init="scaled",
        momentum=0.9,
        nesterovs_momentum=True,
        batch_size="auto",
        random_state=0,
        alpha=1e-5,
        learning_rate_init=0.2,
    )
    for _ in range(100):
        mlp.partial_fit(X, y, classes=[0, 1, 2, 3, 4])
    assert mlp.score(X, y) > 0.9

    SigmoidMLPClassifier(early_stopping=True).fit(X, y).predict(X)


def test_partial_fit_classes_error():
    # Ports test_partial_fit_classes_error.
    X, y = [[3, 2]], [0]
    clf = SigmoidMLPClassifier()
    clf.partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError):
        clf.partial_fit(X, y, classes=[1, 2])


@pytest.mark.parametrize("X, y", classification_datasets, ids=["multi", "binary"])
@pytest.mark.slow
def test_partial_fit_classification(X, y):
    # Ports test_partial_fit_classification: 100 partial_fit calls predict as
    # fit with max_iter=100.
    params = dict(
        loss="log_loss",
        batch_size="auto",
        random_state=1,
        alpha=1e-5,
        learning_rate_init=0.2,
    )
    mlp = SigmoidMLPClassifier(max_iter=100, tol=0, **params).fit(X, y)
    pred1 = mlp.predict(X)
    mlp = SigmoidMLPClassifier(**params)
    for _ in range(100):
        mlp.partial_fit(X, y, classes=np.unique(y))
    assert_array_equal(pred1, mlp.predict(X))
    assert mlp.score(X, y) > 0.95


def test_partial_fit_unseen_classes():
    # Ports test_partial_fit_unseen_classes.
    clf = SigmoidMLPClassifier(random_state=0)
    clf.partial_fit([[1], [2], [3]], ["a", "b", "c"], classes=["a", "b", "c", "d"])
    clf.partial_fit([[4]], ["d"])
    assert clf.score([[1], [2], [3], [4]], ["a", "b", "c", "d"]) > 0


def test_partial_fit_errors():
    # Ports test_partial_fit_errors (the lbfgs half has no counterpart).
    with pytest.raises(ValueError):
        SigmoidMLPClassifier().partial_fit([[3, 2], [1, 6]], [1, 0], classes=[2])


def test_nonfinite_params():
    # Ports test_nonfinite_params (a regressor test) to the classifier.
    # Difference: inputs near the float maximum make the weighted inputs
    # overflow, which the sigmoid would saturate with finite weights, where
    # MLPRegressor's identity output makes the weights non-finite: both are
    # refused with a ValueError that says to preprocess the inputs.
    rng = np.random.RandomState(0)
    X = np.finfo(np.float64).max * rng.uniform(size=(10, 2))
    y = np.arange(10) % 2
    clf = SigmoidMLPClassifier()
    with pytest.raises(ValueError, match="Training diverged.*scale the inputs"):
        clf.fit(X, y)
    assert not hasattr(clf, "coefs_")


def test_predict_proba_binary():
    # Ports test_predict_proba_binary.
    X, y = X_digits_binary[:50], y_digits_binary[:50]
    clf = SigmoidMLPClassifier(hidden_layer_sizes=5, random_state=1).fit(X, y)
    y_proba = clf.predict_proba(X)
    y_log_proba = clf.predict_log_proba(X)
    assert y_proba.shape == (50, 2)
    assert_array_equal(y_proba.argmax(axis=1), y_log_proba.argmax(axis=1))
    assert_allclose(y_log_proba, np.log(y_proba))
    assert roc_auc_score(y, y_proba[:, 1]) == 1.0


def test_predict_proba_multiclass():
    # Ports test_predict_proba_multiclass.
    X, y = X_digits_multi[:10], y_digits_multi[:10]
    clf = SigmoidMLPClassifier(hidden_layer_sizes=5).fit(X, y)
    y_proba = clf.predict_proba(X)
    y_log_proba = clf.predict_log_proba(X)
    assert y_proba.shape == (10, np.unique(y).size)
    assert_array_equal(y_proba.argmax(axis=1), y_log_proba.argmax(axis=1))
    assert_allclose(y_log_proba, np.log(y_proba))


def test_predict_proba_multilabel():
    # Ports test_predict_proba_multilabel with SGD instead of lbfgs: each
    # label's own sigmoid, not summing to 1.
    X, Y = make_multilabel_classification(
        n_samples=50, random_state=0, return_indicator=True
    )
    clf = SigmoidMLPClassifier(
        hidden_layer_sizes=30,
        loss="log_loss",
        learning_rate_init=0.5,
        max_iter=300,
        random_state=0,
    )
    clf.fit(MinMaxScaler().fit_transform(X), Y)
    y_proba = clf.predict_proba(MinMaxScaler().fit_transform(X))
    assert y_proba.shape == Y.shape
    assert_array_equal(y_proba > 0.5, Y)
    y_log_proba = clf.predict_log_proba(MinMaxScaler().fit_transform(X))
    assert (y_proba.sum(1) - 1).dot(y_proba.sum(1) - 1) > 1e-10
    assert_array_equal(y_proba.argmax(axis=1), y_log_proba.argmax(axis=1))
    assert_allclose(y_log_proba, np.log(y_proba))


def test_shuffle():
    # Ports test_shuffle (a regressor test) to the classifier.
    X, y = make_classification(n_samples=50, n_features=5, random_state=0)
    params = dict(hidden_layer_sizes=1, max_iter=1, batch_size=1, random_state=0)
    for shuffle in [True, False]:
        mlp1 = SigmoidMLPClassifier(shuffle=shuffle, **params).fit(X, y)
        mlp2 = SigmoidMLPClassifier(shuffle=shuffle, **params).fit(X, y)
        assert np.array_equal(mlp1.coefs_[0], mlp2.coefs_[0])
    mlp1 = SigmoidMLPClassifier(shuffle=True, **params).fit(X, y)
    mlp2 = SigmoidMLPClassifier(shuffle=False, **params).fit(X, y)
    assert not np.array_equal(mlp1.coefs_[0], mlp2.coefs_[0])


def test_sparse_matrices():
    # Ports test_sparse_matrices with SGD instead of lbfgs.
    X, y = X_digits_binary[:50], y_digits_binary[:50]
    mlp = SigmoidMLPClassifier(hidden_layer_sizes=15, random_state=1)
    pred1 = mlp.fit(X, y).predict(X)
    pred2 = mlp.fit(sp.csr_matrix(X), y).predict(sp.csr_matrix(X))
    assert_array_equal(pred1, pred2)
    assert_array_equal(mlp.predict(X), mlp.predict(sp.csr_matrix(X)))


def test_tolerance():
    # Ports test_tolerance.
    clf = SigmoidMLPClassifier(tol=0.5, max_iter=3000)
    clf.fit([[3, 2], [1, 6]], [1, 0])
    assert clf.max_iter > clf.n_iter_


def test_verbose_sgd(capsys):
    # Ports test_verbose_sgd. Difference: a line per epoch says "Epoch", the
    # book's word, where MLPClassifier says "Iteration".
    X, y = [[3, 2], [1, 6]], [1, 0]
    clf = SigmoidMLPClassifier(max_iter=2, verbose=10, hidden_layer_sizes=2)
    clf.fit(X, y)
    clf.partial_fit(X, y)
    out, _ = capsys.readouterr()
    assert out.count("Epoch") == 3


def test_early_stopping():
    # Ports test_early_stopping.
    X, y = X_digits_binary[:100], y_digits_binary[:100]
    tol = 0.2
    mlp = SigmoidMLPClassifier(tol=tol, max_iter=3000, early_stopping=True)
    mlp.fit(X, y)
    assert mlp.max_iter > mlp.n_iter_
    assert mlp.best_loss_ is None
    assert isinstance(mlp.validation_scores_, list)
    valid_scores = mlp.validation_scores_
    best_valid_score = mlp.best_validation_score_
    assert max(valid_scores) == best_valid_score
    assert best_valid_score + tol > valid_scores[-2]
    assert best_valid_score + tol > valid_scores[-1]

    mlp = SigmoidMLPClassifier(tol=tol, max_iter=3000, early_stopping=False)
    mlp.fit(X, y)
    assert mlp.validation_scores_ is None
    assert mlp.best_validation_score_ is None
    assert mlp.best_loss_ is not None


def test_adaptive_learning_rate():
    # Ports test_adaptive_learning_rate.
    clf = SigmoidMLPClassifier(tol=0.5, max_iter=3000, learning_rate="adaptive")
    clf.fit([[3, 2], [1, 6]], [1, 0])
    assert clf.max_iter > clf.n_iter_
    assert 1e-6 > clf._optimizer.learning_rate


def test_warm_start():
    # Ports test_warm_start with SGD instead of lbfgs.
    X, y = X_iris, y_iris
    params = dict(hidden_layer_sizes=2, warm_start=True, random_state=42, tol=1e-2)
    clf = SigmoidMLPClassifier(**params).fit(X, y)
    clf.fit(X, y)
    y_2classes = np.array([0] * 75 + [1] * 75)
    y_3classes_alt = np.array([0] * 50 + [1] * 50 + [3] * 50)
    y_4classes = np.array([0] * 37 + [1] * 37 + [2] * 38 + [3] * 38)
    y_5classes = np.array([0] * 30 + [1] * 30 + [2] * 30 + [3] * 30 + [4] * 30)
    for y_i in (y_2classes, y_3classes_alt, y_4classes, y_5classes):
        clf = SigmoidMLPClassifier(**params).fit(X, y)
        message = (
            "warm_start can only be used where `y` has the same "
            "classes as in the previous call to fit."
            f" Previously got [0 1 2], `y` has {np.unique(y_i)}"
        )
        with pytest.raises(ValueError, match=re.escape(message)):
            clf.fit(X, y_i)


def test_warm_start_full_iteration():
    # Ports test_warm_start_full_iteration.
    clf = SigmoidMLPClassifier(hidden_layer_sizes=2, warm_start=True, max_iter=3)
    clf.fit(X_iris, y_iris)
    assert clf.n_iter_ == 3
    clf.fit(X_iris, y_iris)
    assert clf.n_iter_ == 3


@pytest.mark.parametrize("n_iter_no_change", [2, 5, 10, 50, 100])
def test_n_iter_no_change(n_iter_no_change):
    # Ports test_n_iter_no_change.
    X, y = X_digits_binary[:100], y_digits_binary[:100]
    clf = SigmoidMLPClassifier(
        tol=0.01, max_iter=3000, n_iter_no_change=n_iter_no_change
    )
    clf.fit(X, y)
    assert clf._no_improvement_count == n_iter_no_change + 1
    assert clf.max_iter > clf.n_iter_


@pytest.mark.slow
def test_n_iter_no_change_inf():
    # Ports test_n_iter_no_change_inf.
    X, y = X_digits_binary[:100], y_digits_binary[:100]
    clf = SigmoidMLPClassifier(tol=1e9, max_iter=3000, n_iter_no_change=np.inf)
    clf.fit(X, y)
    assert clf.n_iter_ == 3000
    assert clf._no_improvement_count == clf.n_iter_ - 1


def test_early_stopping_stratified():
    # Ports test_early_stopping_stratified. Differences: the error is ours,
    # the same on every scikit-learn, and names the user's label, 1, where
    # MLPClassifier names 'True' (its stratification runs on a boolean
    # column) and scikit-learn 1.6 names none; with string labels, see
    # test_first_contact.py::test_too_small_class_error_names_the_users_label.
    X = [[1, 2], [2, 3], [3, 4], [4, 5]]
    y = [0, 0, 0, 1]
    with pytest.raises(
        ValueError,
        match=(
            r"The least populated classes in y have only 1 member.*early_stopping"
            r".*Classes with too few members are: \[1\]$"
        ),
    ):
        SigmoidMLPClassifier(early_stopping=True).fit(X, y)


def test_mlp_early_stopping_string_labels():
    # Ports test_mlp_early_stopping_string_labels.
    X, y = make_classification(
        n_samples=200, n_features=10, n_classes=3, n_informative=5, random_state=42
    )
    y = np.array(["class_a", "class_b", "class_c"], dtype=object)[y]
    mlp = SigmoidMLPClassifier(early_stopping=True, max_iter=50, random_state=42)
    mlp.fit(X, y)
    assert mlp.validation_scores_ is not None
    assert len(mlp.validation_scores_) == mlp.n_iter_
    assert np.isfinite(mlp.validation_scores_).all()


def test_mlp_classifier_dtypes_casting():
    # Ports test_mlp_classifier_dtypes_casting, on the data scaled to [0, 1]
    # (the raw pixels saturate the sigmoids, where float32 and float64 part).
    X = X_digits / 16
    params = dict(alpha=1e-5, hidden_layer_sizes=(5, 3), random_state=1, max_iter=100)
    mlp_64 = SigmoidMLPClassifier(tol=1e-1, **params).fit(X[:300], y_digits[:300])
    X32 = X.astype(np.float32)
    mlp_32 = SigmoidMLPClassifier(tol=1e-1, **params).fit(X32[:300], y_digits[:300])
    assert_array_equal(mlp_64.predict(X[300:]), mlp_32.predict(X32[300:]))
    assert_allclose(
        mlp_64.predict_proba(X[300:]), mlp_32.predict_proba(X32[300:]), rtol=1e-2
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mlp_param_dtypes(dtype):
    # Ports test_mlp_param_dtypes.
    X, y = X_digits.astype(dtype), y_digits
    mlp = SigmoidMLPClassifier(
        alpha=1e-5, hidden_layer_sizes=(5, 3), random_state=1, max_iter=50, tol=1e-1
    )
    mlp.fit(X[:300], y[:300])
    mlp.predict(X[300:])
    assert all(intercept.dtype == dtype for intercept in mlp.intercepts_)
    assert all(coef.dtype == dtype for coef in mlp.coefs_)


def test_mlp_loading_from_pickle_partial_fit():
    # Ports test_mlp_loading_from_joblib_partial_fit (a regressor test): a
    # loaded model goes on learning with partial_fit, exactly as the model
    # that was saved.
    X, y = X_digits_binary[:100], y_digits_binary[:100]
    clf = SigmoidMLPClassifier(momentum=0.9, random_state=42).fit(X, y)
    loaded = pickle.loads(pickle.dumps(clf))
    before = loaded.coefs_[0].copy()
    for _ in range(5):
        clf.partial_fit(X, 1 - y)
        loaded.partial_fit(X, 1 - y)
    assert not np.array_equal(loaded.coefs_[0], before)
    assert_array_equal(loaded.coefs_[0], clf.coefs_[0])


def test_preserve_feature_names():
    # Ports test_preserve_feature_names, with two classes (the classifier
    # needs two; MLPClassifier's test fits a single-class column) and
    # MLPClassifier's batch_size="auto" (8 training rows would clip 10).
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(0)
    X = pd.DataFrame(data=rng.randn(10, 2), columns=["colname_a", "colname_b"])
    y = pd.Series(data=np.arange(10) % 2, name="colname_y")
    model = SigmoidMLPClassifier(
        early_stopping=True, validation_fraction=0.2, batch_size="auto"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.filterwarnings("ignore", category=SaturationWarning)
        model.fit(X, y)


def test_mlp_warm_start_with_early_stopping():
    # Ports test_mlp_warm_start_with_early_stopping.
    mlp = SigmoidMLPClassifier(
        max_iter=10, random_state=0, warm_start=True, early_stopping=True
    )
    mlp.fit(X_iris, y_iris)
    n_validation_scores = len(mlp.validation_scores_)
    mlp.set_params(max_iter=20)
    mlp.fit(X_iris, y_iris)
    assert len(mlp.validation_scores_) > n_validation_scores


def test_mlp_warm_start_no_convergence():
    # Ports test_mlp_warm_start_no_convergence with MLPClassifier's tol=1e-4.
    # Difference: with the default tol=None no rule was asked for, and
    # reaching max_iter does not warn.
    model = SigmoidMLPClassifier(
        warm_start=True, max_iter=10, n_iter_no_change=np.inf, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model.fit(X_iris, y_iris)
    model.set_params(tol=1e-4)
    with pytest.warns(ConvergenceWarning):
        model.fit(X_iris, y_iris)
    assert model.n_iter_ == 10
    model.set_params(max_iter=20)
    with pytest.warns(ConvergenceWarning):
        model.fit(X_iris, y_iris)
    assert model.n_iter_ == 20


def test_mlp_partial_fit_after_fit():
    # Ports test_mlp_partial_fit_after_fit.
    mlp = SigmoidMLPClassifier(early_stopping=True, random_state=0)
    mlp.fit(X_iris, y_iris)
    with pytest.raises(ValueError, match="partial_fit does not support early_stop"):
        mlp.partial_fit(X_iris, y_iris)


def test_mlp_sample_weight_with_early_stopping():
    # Ports test_mlp_sample_weight_with_early_stopping (a regressor test).
    X, y = make_classification(
        n_samples=100, n_features=2, n_informative=2, n_redundant=0, random_state=42
    )
    params = dict(
        hidden_layer_sizes=10,
        early_stopping=True,
        tol=1e-2,
        learning_rate_init=0.01,
        batch_size=10,
        random_state=42,
    )
    m1 = SigmoidMLPClassifier(**params).fit(X, y, sample_weight=np.ones_like(y))
    m2 = SigmoidMLPClassifier(**params).fit(X, y, sample_weight=None)
    assert_allclose(m1.predict_proba(X), m2.predict_proba(X))


def test_minimum_input_sample_size():
    # Ports test_minimum_input_sample_size (a regressor test), with two rows
    # of each class: with one, stratifying fails first, naming the classes.
    X = np.arange(20.0).reshape(4, 5) / 20
    y = [0, 0, 1, 1]
    model = SigmoidMLPClassifier(early_stopping=True, random_state=0)
    with pytest.raises(ValueError, match="The validation set is too small"):
        model.fit(X, y)
