"""Behaviour of the options beyond chapter 1: costs, initialisation, L2,
momentum, schedules, early stopping, weights, multilabel and deeper networks."""

import numpy as np
import pytest
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import (
    make_classification,
    make_multilabel_classification,
)
from sklearn.metrics import accuracy_score, recall_score
from sklearn.model_selection import KFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils import check_random_state

from skdigitnet import SigmoidMLPClassifier, _buffered, _network
from skdigitnet._network import backprop, init_params, sigmoid, update_mini_batch
from skdigitnet._optimizer import SGDOptimizer

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


DIGITS_ROWS = 600  # the digits fixture's size (conftest.py)


@pytest.fixture(scope="module")
def small():
    """A small 3-class problem, one mini-batch of which covers all samples."""
    X, y = make_classification(
        n_samples=40, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    return MinMaxScaler().fit_transform(X), y


def initial_params(clf, X, n_outputs):
    """The weights a fit of ``clf`` starts from (same draws, same order)."""
    sizes = [X.shape[1], *clf.hidden_layer_sizes, n_outputs]
    rng = check_random_state(clf.random_state)
    return init_params(sizes, rng, X.dtype, clf.weight_init)


def one_hot(y, n_outputs):
    return np.eye(n_outputs)[np.searchsorted(np.unique(y), y)]


# --- chapter 3: cross-entropy and scaled initialisation --------------------


def test_cross_entropy_learns_faster_than_quadratic_from_saturation():
    # The book's neuron of chapter 3: x = 1, y = 0, w = b = 2, eta = 0.15.
    # Its output 0.98 is badly wrong, and sigmoid_prime(z) ~ 0.018 there
    # slows the quadratic cost down; the cross-entropy has no such factor.
    x, y = np.ones((1, 1)), np.zeros((1, 1))
    outputs = {}
    for cost in ("squared_error", "cross_entropy"):
        coefs, intercepts = [np.full((1, 1), 2.0)], [np.full(1, 2.0)]
        nabla_w, nabla_b, _ = backprop(x, y, coefs, intercepts, cost)
        a = sigmoid(4.0)
        expected = (a - 0) * (a * (1 - a) if cost == "squared_error" else 1)
        assert_allclose(nabla_w[0], [[expected]])
        assert_allclose(nabla_b[0], [expected])
        for _ in range(30):
            update_mini_batch(x, y, coefs, intercepts, SGDOptimizer([], 0.15), cost)
        outputs[cost] = _network.feedforward(x, coefs, intercepts)[0, 0]
    # After 30 steps the quadratic cost's neuron has barely moved.
    assert outputs["squared_error"] > 0.97
    assert outputs["cross_entropy"] < 0.3


@pytest.mark.parametrize("loss", ["cross_entropy", "log_loss"])
def test_loss_escapes_saturated_outputs_faster_than_squared_error(digits, loss):
    # The same network, its output neurons saturated at 1 (wrong for 9 of 10
    # classes), trained two epochs with each cost.
    X, y = digits
    scores = {}
    for cost in ("squared_error", loss):
        clf = SigmoidMLPClassifier(loss=cost, learning_rate_init=0.5, random_state=0)
        clf.partial_fit(X[:20], y[:20], classes=np.arange(10))
        coefs, intercepts = initial_params(clf, X, 10)
        intercepts[-1][:] = 8.0
        clf.coefs_, clf.intercepts_ = coefs, intercepts
        for _ in range(2):
            clf.partial_fit(X, y)
        scores[cost] = clf.score(X, y)
    assert scores[loss] > scores["squared_error"] + 0.4


def test_scaled_init_gives_unit_pre_activations():
    # With N(0, 1) inputs, z = x @ w has std sqrt(n_in) for N(0, 1) weights
    # and std 1 for N(0, 1/n_in) weights.
    rng = np.random.default_rng(0)
    n_in = 400
    X = rng.standard_normal((300, n_in))
    y = np.arange(300) % 2
    stds = {}
    for weight_init in ("gaussian", "scaled"):
        # One step of 1e-12 leaves the initial weights.
        clf = SigmoidMLPClassifier(
            (200,),
            weight_init=weight_init,
            learning_rate_init=1e-12,
            batch_size=len(X),
            random_state=0,
        ).partial_fit(X, y, classes=[0, 1])
        stds[weight_init] = np.std(X @ clf.coefs_[0])
    assert stds["gaussian"] == pytest.approx(np.sqrt(n_in), rel=0.1)
    assert stds["scaled"] == pytest.approx(1, rel=0.1)


# --- L2 ---------------------------------------------------------------------


def test_alpha_shrinks_weights(digits):
    X, y = digits
    norms = []
    for alpha in (0.0, 0.1, 1.0):
        clf = SigmoidMLPClassifier(alpha=alpha, max_iter=5, random_state=0).fit(X, y)
        norms.append(sum(np.sum(c**2) for c in clf.coefs_))
    assert norms[0] > norms[1] > norms[2]


def test_alpha_is_weight_decay_on_weights_not_biases(small):
    # One step: w -> (1 - eta alpha / m) w - (eta / m) nabla_w; b as without L2.
    X, y = small
    Y = one_hot(y, 3)
    coefs, intercepts = init_params([6, 5, 3], np.random.RandomState(0))
    nabla_w, nabla_b, _ = backprop(X, Y, coefs, intercepts)
    eta, alpha, m = 0.5, 2.0, X.shape[0]
    expected_w = [
        (1 - eta * alpha / m) * w - eta / m * nw for w, nw in zip(coefs, nabla_w)
    ]
    expected_b = [b - eta / m * nb for b, nb in zip(intercepts, nabla_b)]
    optimizer = SGDOptimizer([], eta, alpha=alpha)
    update_mini_batch(X, Y, coefs, intercepts, optimizer)
    for got, want in zip(coefs + intercepts, expected_w + expected_b):
        assert_allclose(got, want, rtol=1e-12)


# --- momentum and learning-rate schedules -----------------------------------


def hand_steps(X, Y, coefs, intercepts, etas, momentum, nesterov):
    """Momentum steps computed by hand from backprop's gradient."""
    params = [p.copy() for p in coefs + intercepts]
    v = [np.zeros_like(p) for p in params]
    n = len(coefs)
    m = X.shape[0]
    for eta in etas:
        nabla_w, nabla_b, _ = backprop(X, Y, params[:n], params[n:])
        grads = [g / m for g in nabla_w + nabla_b]
        v = [momentum * vi - eta * g for vi, g in zip(v, grads)]
        if nesterov:
            params = [p + momentum * vi - eta * g for p, vi, g in zip(params, v, grads)]
        else:
            params = [p + vi for p, vi in zip(params, v)]
    return params


@pytest.mark.parametrize("nesterov", [False, True])
def test_update_mini_batch_momentum_by_hand(small, nesterov):
    X, y = small
    Y = one_hot(y, 3)
    coefs, intercepts = init_params([6, 5, 3], np.random.RandomState(0))
    expected = hand_steps(X, Y, coefs, intercepts, [0.5, 0.5], 0.9, nesterov)
    optimizer = SGDOptimizer(coefs + intercepts, 0.5, momentum=0.9, nesterov=nesterov)
    for _ in range(2):
        update_mini_batch(X, Y, coefs, intercepts, optimizer)
    for got, want in zip(coefs + intercepts, expected):
        assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize(
    "learning_rate, momentum, nesterov",
    [("constant", 0.9, False), ("constant", 0.9, True), ("invscaling", 0.0, False)],
)
def test_fit_follows_update_rules_by_hand(small, learning_rate, momentum, nesterov):
    # One mini-batch per epoch, no shuffling: each epoch is one step, with the
    # velocities kept between epochs and invscaling's eta set after each.
    X, y = small
    n = X.shape[0]
    clf = SigmoidMLPClassifier(
        (5,),
        learning_rate=learning_rate,
        learning_rate_init=0.5,
        power_t=0.5,
        momentum=momentum,
        nesterovs_momentum=nesterov,
        batch_size=n,
        shuffle=False,
        max_iter=3,
        random_state=0,
    ).fit(X, y)
    etas = [0.5, 0.5, 0.5]
    if learning_rate == "invscaling":
        etas = [0.5 / (t + 1) ** 0.5 for t in (0, n, 2 * n)]
        assert clf._optimizer.learning_rate == pytest.approx(0.5 / (clf.t_ + 1) ** 0.5)
        assert clf.t_ == 3 * n
    coefs, intercepts = initial_params(clf, X, 3)
    expected = hand_steps(X, one_hot(y, 3), coefs, intercepts, etas, momentum, nesterov)
    for got, want in zip(clf.coefs_ + clf.intercepts_, expected):
        assert_allclose(got, want, rtol=1e-10)


def test_adaptive_divides_eta_by_5_after_a_plateau(small):
    # A huge tol makes every epoch after the first one "without improvement":
    # with n_iter_no_change=2 the fourth epoch ends the plateau.
    X, y = small
    params = dict(tol=1e6, n_iter_no_change=2, learning_rate_init=0.5, random_state=0)
    for max_iter, eta in [(3, 0.5), (4, 0.1), (7, 0.02)]:
        clf = SigmoidMLPClassifier(
            learning_rate="adaptive", max_iter=max_iter, **params
        ).fit(X, y)
        assert clf.n_iter_ == max_iter
        assert clf._optimizer.learning_rate == pytest.approx(eta)
    # With a constant rate the same plateau stops training.
    clf = SigmoidMLPClassifier(max_iter=10, **params).fit(X, y)
    assert clf.n_iter_ == 4
    assert clf._optimizer.learning_rate == 0.5


# --- early stopping ---------------------------------------------------------


def test_early_stopping_stops_and_keeps_the_best_epoch(digits):
    # 60 validation samples: scores differ by more than the default tol, so a
    # tie is no improvement and the best epoch is n_iter_no_change + 1 epochs
    # before the one that stops training.
    X, y = digits
    params = dict(
        early_stopping=True,
        n_iter_no_change=2,
        learning_rate_init=3.0,
        max_iter=50,
        random_state=0,
    )
    clf = SigmoidMLPClassifier(**params).fit(X, y)
    assert clf.n_iter_ < 50
    for curve in (clf.validation_scores_, clf.validation_loss_curve_):
        assert len(curve) == clf.n_iter_ == len(clf.loss_curve_)
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.best_loss_ is None
    best_epoch = int(np.argmax(clf.validation_scores_)) + 1
    assert best_epoch == clf.n_iter_ - 3

    # The same training stopped at the best epoch has the same weights, and
    # they are the ones that scored best_validation_score_.
    at_best = SigmoidMLPClassifier(**{**params, "max_iter": best_epoch}).fit(X, y)
    assert at_best.validation_scores_[-1] == clf.best_validation_score_
    for got, want in zip(
        clf.coefs_ + clf.intercepts_, at_best.coefs_ + at_best.intercepts_
    ):
        assert_array_equal(got, want)


def test_early_stopping_interrupted_in_the_first_epoch(small, monkeypatch):
    # Nothing was trained: the interrupt goes through, and the estimator is
    # left unfitted, as it was.
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(_buffered, "sgd_epoch", interrupted)
    clf = SigmoidMLPClassifier(early_stopping=True, random_state=0)
    with pytest.raises(KeyboardInterrupt):
        clf.fit(*small)
    assert not hasattr(clf, "coefs_")
    assert not hasattr(clf, "validation_scores_")


def test_no_validation_history_without_early_stopping(small):
    clf = SigmoidMLPClassifier(max_iter=3, random_state=0).fit(*small)
    assert clf.validation_scores_ is None
    assert clf.validation_loss_curve_ is None
    assert clf.best_validation_score_ is None
    assert clf.best_loss_ == min(clf.loss_curve_)


# --- sample and class weights -----------------------------------------------


@pytest.mark.parametrize("loss", ["squared_error", "cross_entropy", "log_loss"])
@pytest.mark.filterwarnings("ignore:Got `batch_size`")
def test_integer_sample_weight_equals_repeated_rows(small, loss):
    X, y = small
    sample_weight = np.arange(X.shape[0]) % 3
    X_rep, y_rep = np.repeat(X, sample_weight, axis=0), np.repeat(y, sample_weight)
    params = dict(
        loss=loss,
        batch_size=len(y_rep),
        shuffle=False,
        max_iter=3,
        alpha=0.1,
        momentum=0.5,
        learning_rate_init=0.5,
        random_state=0,
    )
    weighted = SigmoidMLPClassifier(**params).fit(X, y, sample_weight=sample_weight)
    repeated = SigmoidMLPClassifier(**params).fit(X_rep, y_rep)
    for got, want in zip(
        weighted.coefs_ + weighted.intercepts_, repeated.coefs_ + repeated.intercepts_
    ):
        assert_allclose(got, want, rtol=1e-10, atol=1e-10)
    assert_allclose(weighted.loss_curve_, repeated.loss_curve_, rtol=1e-10)


def test_class_weight_balanced_raises_minority_recall():
    # Two overlapping classes, 9 to 1: weighting the minority class up moves
    # the boundary into the majority class (by 0.35 to 0.6 over 8 seeds).
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (540, 2)), rng.normal(1.2, 1, (60, 2))]) / 4
    y = np.repeat([0, 1], [540, 60])
    recalls = {}
    for class_weight in (None, "balanced"):
        clf = SigmoidMLPClassifier(
            (5,),
            loss="log_loss",
            class_weight=class_weight,
            batch_size=50,
            learning_rate_init=1.0,
            max_iter=20,
            random_state=0,
        ).fit(X, y)
        recalls[class_weight] = recall_score(y, clf.predict(X))
    assert recalls["balanced"] > recalls[None] + 0.2


def test_class_weight_dict_multiplies_sample_weight(small):
    X, y = small
    params = dict(batch_size=len(y), shuffle=False, max_iter=2, random_state=0)
    class_weight = {0: 1.0, 1: 3.0, 2: 0.5}
    by_class = SigmoidMLPClassifier(class_weight=class_weight, **params).fit(X, y)
    by_sample = SigmoidMLPClassifier(**params).fit(
        X, y, sample_weight=np.vectorize(class_weight.get)(y)
    )
    assert_allclose(by_class.coefs_[0], by_sample.coefs_[0], rtol=1e-12)


# --- multilabel and deeper networks -----------------------------------------


@pytest.mark.parametrize("loss", ["squared_error", "cross_entropy", "log_loss"])
def test_multilabel_predicts_an_indicator_matrix(loss):
    X, Y = make_multilabel_classification(n_samples=200, n_classes=4, random_state=0)
    X = X / X.max()
    clf = SigmoidMLPClassifier(
        (20,), loss=loss, learning_rate_init=1.0, max_iter=30, random_state=0
    ).fit(X, Y)
    assert clf.out_activation_ == "logistic"
    assert clf.n_outputs_ == 4
    assert_array_equal(clf.classes_, np.arange(4))
    Y_pred = clf.predict(X)
    assert Y_pred.shape == Y.shape
    assert set(np.unique(Y_pred)) <= {0, 1}
    proba = clf.predict_proba(X)
    assert proba.shape == Y.shape
    assert_array_equal(Y_pred, proba > 0.5)
    assert clf.score(X, Y) > 0.3  # subset accuracy; chance is about 0.06
    with pytest.raises(ValueError, match="class_weight is not supported"):
        clone(clf).set_params(class_weight="balanced").fit(X, Y)


@pytest.mark.parametrize("n_classes", [2, 10])
def test_several_hidden_layers_have_the_right_shapes(digits, n_classes):
    X, y = digits
    y = y % n_classes
    clf = SigmoidMLPClassifier((7, 5, 3), max_iter=2, random_state=0).fit(X, y)
    assert clf.n_layers_ == 5
    assert clf.n_outputs_ == n_classes
    sizes = [64, 7, 5, 3, n_classes]
    assert [c.shape for c in clf.coefs_] == list(zip(sizes[:-1], sizes[1:]))
    assert [b.shape for b in clf.intercepts_] == [(s,) for s in sizes[1:]]
    assert clf.predict_proba(X).shape == (len(X), n_classes)


def test_hidden_activations_are_each_layers_sigmoids(digits):
    X, y = digits
    clf = SigmoidMLPClassifier((7, 5), max_iter=2, random_state=0).fit(X, y)
    a1 = sigmoid(X @ clf.coefs_[0] + clf.intercepts_[0])
    a2 = sigmoid(a1 @ clf.coefs_[1] + clf.intercepts_[1])
    assert_allclose(clf.hidden_activations(X, 0), a1)
    assert_allclose(clf.hidden_activations(X, 1), a2)
    assert_allclose(clf.hidden_activations(X), a2)
    assert_allclose(clf.hidden_activations(X, -2), a1)
    for layer in (2, -3):
        with pytest.raises(ValueError, match=r"layer must be in \[-2, 1\]"):
            clf.hidden_activations(X, layer)


# --- metadata routing and weighted scores ----------------------------------


@pytest.fixture
def zero_weights(small):
    """Weights with zeros: in one unshuffled batch, equal to dropping rows."""
    X, y = small
    sample_weight = (np.arange(len(y)) % 4 != 0).astype(float)
    return X, y, sample_weight


PARAMS = dict(shuffle=False, max_iter=3, learning_rate_init=0.5, random_state=0)


@pytest.mark.filterwarnings("ignore:Got `batch_size`")
def test_sample_weight_is_routed_through_a_pipeline(zero_weights):
    X, y, sample_weight = zero_weights
    kept = sample_weight > 0
    clf = SigmoidMLPClassifier(batch_size=len(y), **PARAMS)
    expected = clone(clf).fit(X[kept], y[kept])
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline(clone(clf).set_fit_request(sample_weight=True))
        pipe.fit(X, y, sample_weight=sample_weight)
        with pytest.raises(ValueError, match="sample_weight"):
            make_pipeline(clone(clf)).fit(X, y, sample_weight=sample_weight)
    for got, want in zip(pipe[-1].coefs_, expected.coefs_):
        assert_allclose(got, want, rtol=1e-10)


@pytest.mark.filterwarnings("ignore:Got `batch_size`")
def test_sample_weight_is_routed_by_cross_validate(zero_weights):
    X, y, sample_weight = zero_weights
    cv = KFold(3)
    clf = SigmoidMLPClassifier(batch_size=len(y), **PARAMS)
    with sklearn.config_context(enable_metadata_routing=True):
        clf = clf.set_fit_request(sample_weight=True).set_score_request(
            sample_weight=True
        )
        result = cross_validate(
            clf,
            X,
            y,
            cv=cv,
            params={"sample_weight": sample_weight},
            return_estimator=True,
        )
    for (train, test), fitted, score in zip(
        cv.split(X), result["estimator"], result["test_score"]
    ):
        kept = train[sample_weight[train] > 0]
        expected = clone(clf).fit(X[kept], y[kept])
        assert_allclose(fitted.coefs_[0], expected.coefs_[0], rtol=1e-10)
        expected_score = accuracy_score(
            y[test], fitted.predict(X[test]), sample_weight=sample_weight[test]
        )
        assert score == pytest.approx(expected_score)


def test_score_uses_sample_weight(digits):
    X, y = digits
    clf = SigmoidMLPClassifier(max_iter=1, random_state=0).fit(X, y)
    wrong = clf.predict(X) != y
    assert 0 < wrong.sum() < len(y)
    assert clf.score(X, y, sample_weight=(~wrong).astype(float)) == 1.0
    assert clf.score(X, y, sample_weight=wrong.astype(float)) == 0.0
    w = np.linspace(0.1, 2, len(y))
    assert clf.score(X, y, sample_weight=w) == pytest.approx(
        accuracy_score(y, clf.predict(X), sample_weight=w)
    )
