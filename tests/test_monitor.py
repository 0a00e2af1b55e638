"""A validation set of one's own, the per-epoch history and its monitors.

``fit(X, y, X_val=..., y_val=...)`` replaces the held-out fraction; the
book's four monitors and chapter 5's learning speed in ``history_`` equal a
recomputation from the weights at the end of each epoch.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import LabelBinarizer, MinMaxScaler

from skdigitnet import SigmoidMLPClassifier, _monitors, _network

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ALL_MONITORS = list(_monitors.MONITORS)


@pytest.fixture(scope="module")
def data():
    X, y = load_digits(return_X_y=True)
    X = X / 16
    return X[:400], y[:400], X[400:600], y[400:600]


def without_seconds(history):
    return [{k: v for k, v in row.items() if k != "seconds"} for row in history]


# --- X_val, y_val -------------------------------------------------------------


@pytest.mark.parametrize("weighted", [False, True])
def test_validation_set_replaces_the_split(data, weighted):
    # The split that fit makes is made here by hand, with the generator in
    # the state fit leaves it after drawing the weights, and passed in.
    X, y = data[:2]
    sample_weight = (
        np.random.RandomState(1).uniform(0.5, 2, len(y)) if weighted else None
    )
    params = dict(
        hidden_layer_sizes=(20,), early_stopping=True, shuffle=False, max_iter=8
    )
    split = SigmoidMLPClassifier(random_state=0, **params)
    split.fit(X, y, sample_weight)

    rng = np.random.RandomState(0)
    _network.init_params([64, 20, 10], rng)
    arrays = [X, y] if sample_weight is None else [X, y, sample_weight]
    parts = train_test_split(*arrays, test_size=0.1, stratify=y, random_state=rng)
    X_train, X_val, y_train, y_val = parts[:4]
    sw_train, sw_val = parts[4:] or (None, None)
    given = SigmoidMLPClassifier(random_state=0, **params)
    given.fit(
        X_train,
        y_train,
        sw_train,
        X_val=X_val,
        y_val=y_val,
        sample_weight_val=sw_val,
    )

    assert given.n_iter_ == split.n_iter_
    assert given.validation_scores_ == split.validation_scores_
    assert given.validation_loss_curve_ == split.validation_loss_curve_
    for got, want in zip(
        given.coefs_ + given.intercepts_, split.coefs_ + split.intercepts_
    ):
        assert_array_equal(got, want)


def test_validation_set_is_not_trained_on(data):
    # With X_val given, all of X trains and none of X_val does: the same
    # weights as a fit on X alone, whatever X_val holds.
    X, y, X_val, y_val = data
    params = dict(max_iter=3, random_state=0, monitor=["evaluation_accuracy"])
    a = SigmoidMLPClassifier(**params).fit(X, y, X_val=X_val, y_val=y_val)
    b = SigmoidMLPClassifier(**params).fit(X, y, X_val=X_val[:50], y_val=y_val[:50])
    plain = SigmoidMLPClassifier(max_iter=3, random_state=0).fit(X, y)
    for p, q, r in zip(a.coefs_, b.coefs_, plain.coefs_):
        assert_array_equal(p, r)
        assert_array_equal(q, r)
    assert a.t_ == 3 * len(X)


BAD_PAIRS = [
    ({"X_val": "X"}, "X_val is provided, but y_val was not provided"),
    ({"y_val": "y"}, "y_val is provided, but X_val was not provided"),
    ({"sample_weight_val": "w"}, "sample_weight_val is provided, but X_val"),
    ({"X_val": "X3", "y_val": "y"}, "X_val: X has 3 features, but .* 64 features"),
    ({"X_val": "X", "y_val": "y_short"}, "inconsistent numbers of samples"),
    ({"X_val": "X", "y_val": "y_unseen"}, "y_val has classes not in"),
    ({"X_val": "X", "y_val": "y", "sample_weight_val": "w_short"}, "sample_weight"),
    ({"X_val": "X", "y_val": "y", "sample_weight_val": "w_negative"}, "Negative"),
]


@pytest.mark.parametrize("pair, match", BAD_PAIRS)
def test_bad_validation_sets_raise(data, pair, match):
    X, y, X_val, y_val = data
    values = {
        "X": X_val,
        "X3": X_val[:, :3],
        "y": y_val,
        "y_short": y_val[:-1],
        "y_unseen": y_val + 10,
        "w": np.ones(len(y_val)),
        "w_short": np.ones(len(y_val) - 1),
        "w_negative": -np.ones(len(y_val)),
    }
    kwargs = {name: values[key] for name, key in pair.items()}
    clf = SigmoidMLPClassifier(max_iter=1, early_stopping=True)
    with pytest.raises(ValueError, match=match):
        clf.fit(X, y, **kwargs)
    assert not hasattr(clf, "coefs_")


def test_validation_set_given_is_recorded_without_monitors(data):
    # A validation set handed over is used: its cost and accuracy each epoch,
    # equal to a recomputation from the weights, with no monitor named.
    X, y, X_val, y_val = data
    clf = SigmoidMLPClassifier(max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf.fit(X, y, X_val=X_val, y_val=y_val)
    assert [sorted(row) for row in clf.history_] == [
        [
            "epoch",
            "evaluation_accuracy",
            "evaluation_cost",
            "learning_rate",
            "loss",
            "seconds",
        ]
    ] * 3
    accuracy, cost = by_hand(clf, X_val, y_val)
    assert clf.history_[-1]["evaluation_accuracy"] == pytest.approx(accuracy)
    assert clf.history_[-1]["evaluation_cost"] == pytest.approx(cost, rel=1e-12)
    # The same weights as without it: a validation set never trains.
    plain = SigmoidMLPClassifier(max_iter=3, random_state=0).fit(X, y)
    assert_array_equal(clf.coefs_[0], plain.coefs_[0])
    # partial_fit records it too.
    clf.partial_fit(X, y, X_val=X_val, y_val=y_val)
    assert "evaluation_accuracy" in clf.history_[-1]


def test_validation_set_with_other_monitors_is_recorded(data):
    X, y, X_val, y_val = data
    clf = SigmoidMLPClassifier(monitor=["training_accuracy"], max_iter=1)
    clf.fit(X, y, X_val=X_val, y_val=y_val)
    assert {"training_accuracy", "evaluation_accuracy", "evaluation_cost"} <= set(
        clf.history_[0]
    )


@pytest.mark.parametrize("name", ["evaluation_cost", "evaluation_accuracy"])
def test_evaluation_monitor_without_a_validation_set_raises(data, name):
    X, y = data[:2]
    clf = SigmoidMLPClassifier(monitor=[name], max_iter=1)
    with pytest.raises(ValueError, match="need a validation set: pass X_val"):
        clf.fit(X, y)
    with pytest.raises(ValueError, match="need a validation set"):
        clf.partial_fit(X, y, classes=np.unique(y))
    # With early stopping the held-out fraction is the evaluation data.
    clf.set_params(early_stopping=True).fit(X, y)
    assert name in clf.history_[0]


@pytest.mark.parametrize("monitor", [["training_cost", "nope"], "nope", 3, [3]])
def test_monitor_names_are_validated(data, monitor):
    X, y = data[:2]
    with pytest.raises(ValueError, match="The 'monitor' parameter of Sigmoid"):
        SigmoidMLPClassifier(monitor=monitor).fit(X, y)


def test_validation_set_routed_through_a_pipeline(data):
    # scikit-learn's way for HistGradientBoostingClassifier's X_val: request
    # it, and let the Pipeline transform it as X (transform_input).
    X, y, X_val, y_val = data
    X, X_val = X * 16, X_val * 16  # raw pixels, for the scaler to scale
    params = dict(max_iter=3, random_state=0, monitor=["evaluation_accuracy"])
    with sklearn.config_context(enable_metadata_routing=True):
        clf = SigmoidMLPClassifier(**params).set_fit_request(X_val=True, y_val=True)
        pipe = Pipeline(
            [("scale", MinMaxScaler()), ("clf", clf)], transform_input=["X_val"]
        )
        pipe.fit(X, y, X_val=X_val, y_val=y_val)
    scaler = MinMaxScaler().fit(X)
    by_hand = SigmoidMLPClassifier(**params).fit(
        scaler.transform(X), y, X_val=scaler.transform(X_val), y_val=y_val
    )
    fitted = pipe.named_steps["clf"]
    assert without_seconds(fitted.history_) == without_seconds(by_hand.history_)
    assert fitted.history_[-1]["evaluation_accuracy"] == pytest.approx(
        pipe.score(X_val, y_val)
    )


def best_of_routed_search(clf, X, y, X_val, y_val):
    """Search two layer sizes with X_val, y_val routed to every fit."""
    with sklearn.config_context(enable_metadata_routing=True):
        clf.set_fit_request(X_val=True, y_val=True)
        search = GridSearchCV(
            clf, {"hidden_layer_sizes": [(5,), (10,)]}, cv=2, error_score="raise"
        )
        search.fit(X, y, X_val=X_val, y_val=y_val)
    return search.best_estimator_


def test_validation_set_in_grid_search_without_monitors(data):
    # Inside GridSearchCV every candidate records X_val's cost and accuracy;
    # no fit fails for want of a monitor.
    X, y, X_val, y_val = data
    clf = SigmoidMLPClassifier(max_iter=2, random_state=0)
    best = best_of_routed_search(clf, X, y, X_val, y_val)
    assert best.history_[-1]["evaluation_accuracy"] == pytest.approx(
        best.score(X_val, y_val)
    )


def test_unscaled_validation_set_in_a_pipeline_warns_once(data):
    # Without transform_input, X_val reaches the classifier as raw pixels
    # while X was scaled to [0, 1]: one warning, which names the fix.
    X, y, X_val, y_val = data
    X, X_val = X * 16, X_val * 16
    clf = SigmoidMLPClassifier(max_iter=2, random_state=0)
    with sklearn.config_context(enable_metadata_routing=True):
        clf.set_fit_request(X_val=True, y_val=True)
        pipe = Pipeline([("scale", MinMaxScaler()), ("clf", clf)])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            pipe.fit(X, y, X_val=X_val, y_val=y_val)
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1, messages
    assert "transform_input" in messages[0]
    assert caught[0].category is UserWarning
    # Routed through the scaler, the same data gives no warning.
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = Pipeline(
            [("scale", MinMaxScaler()), ("clf", clf)], transform_input=["X_val"]
        )
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            pipe.fit(X, y, X_val=X_val, y_val=y_val)


@pytest.mark.parametrize("scale", [16.0, 1 / 16])
def test_validation_set_on_another_scale_warns(data, scale):
    X, y, X_val, y_val = data
    clf = SigmoidMLPClassifier(max_iter=1, random_state=0)
    with pytest.warns(UserWarning, match="X_val looks untransformed"):
        clf.fit(X, y, X_val=X_val * scale, y_val=y_val)
    # A sparse X_val on X's scale does not warn.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf.fit(X, y, X_val=sp.csr_matrix(X_val), y_val=y_val)


def test_validation_set_routed_through_grid_search(data):
    # GridSearchCV passes X_val and y_val whole to every candidate's fit (a
    # routed array as long as X would instead be cut into the folds).
    X, y, X_val, y_val = data
    clf = SigmoidMLPClassifier(max_iter=2, random_state=0, monitor="evaluation_cost")
    best = best_of_routed_search(clf, X, y, X_val, y_val)
    out = _network.feedforward(X_val, best.coefs_, best.intercepts_)
    Y_val = LabelBinarizer().fit(y).transform(y_val)
    want = _network.squared_error(Y_val, out) / len(y_val)
    assert best.history_[-1]["evaluation_cost"] == pytest.approx(want, rel=1e-12)


# --- history_ and the monitors --------------------------------------------------


def by_hand(clf, X, y, sample_weight=None):
    """The book's accuracy and total cost of ``clf`` on ``(X, y)``."""
    out = _network.feedforward(X, clf.coefs_, clf.intercepts_, clf.loss)
    Y = LabelBinarizer().fit(clf.classes_).transform(y)
    total = len(y) if sample_weight is None else sample_weight.sum()
    cost = _network.LOSSES[clf.loss].cost(Y, out, sample_weight) / total
    cost += 0.5 * clf.alpha * sum((w**2).sum() for w in clf.coefs_) / clf.batch_size
    right = clf.classes_[out.argmax(axis=1)] == y
    weights = np.ones(len(y)) if sample_weight is None else sample_weight
    return (weights * right).sum() / weights.sum(), cost


def bias_gradient_norms(clf, X, y, sample_weight=None):
    """Chapter 5's ||delta^l||: the norms of the mean cost's bias gradient."""
    Y = LabelBinarizer().fit(clf.classes_).transform(y).astype(float)
    _, nabla_b, _ = _network.backprop(
        X, Y, clf.coefs_, clf.intercepts_, clf.loss, sample_weight
    )
    n = len(y) if sample_weight is None else sample_weight.sum()
    return [np.linalg.norm(nb / n) for nb in nabla_b]


@pytest.mark.parametrize("loss", ["squared_error", "log_loss"])
@pytest.mark.parametrize("weighted", [False, True])
def test_monitors_equal_a_recomputation_after_each_epoch(data, loss, weighted):
    X, y, X_val, y_val = data
    rng = np.random.RandomState(0)
    sw = rng.uniform(0.5, 2, len(y)) if weighted else None
    sw_val = rng.uniform(0.5, 2, len(y_val)) if weighted else None
    clf = SigmoidMLPClassifier(
        hidden_layer_sizes=(16, 12),
        loss=loss,
        learning_rate_init=0.5,
        alpha=0.05,
        max_iter=1,
        warm_start=True,
        random_state=0,
        monitor=ALL_MONITORS,
    )
    for epoch in range(1, 4):
        clf.fit(X, y, sw, X_val=X_val, y_val=y_val, sample_weight_val=sw_val)
        row = clf.history_[-1]
        assert len(clf.history_) == epoch and row["epoch"] == epoch
        assert row["loss"] == clf.loss_ == clf.loss_curve_[-1]
        assert row["learning_rate"] == 0.5
        assert row["seconds"] > 0
        accuracy, cost = by_hand(clf, X, y, sw)
        assert row["training_accuracy"] == pytest.approx(accuracy, rel=1e-12)
        assert row["training_cost"] == pytest.approx(cost, rel=1e-10)
        accuracy, cost = by_hand(clf, X_val, y_val, sw_val)
        assert row["evaluation_accuracy"] == pytest.approx(accuracy, rel=1e-12)
        assert row["evaluation_cost"] == pytest.approx(cost, rel=1e-10)
        speeds = bias_gradient_norms(clf, X, y, sw)
        assert len(row["learning_speed"]) == 3
        assert_allclose(row["learning_speed"], speeds, rtol=1e-10)


def test_learning_speed_of_a_deep_network_over_chunks():
    # More rows than one backward pass takes: the chunks add up to the
    # gradient of the whole set; the first layer learns slowest.
    X, y = load_digits(return_X_y=True)
    X = X / 16
    clf = SigmoidMLPClassifier(
        hidden_layer_sizes=(30, 30, 30),
        max_iter=1,
        random_state=0,
        monitor="learning_speed",
    ).fit(X, y)
    assert len(X) > _monitors._SPEED_CHUNK
    speeds = clf.history_[0]["learning_speed"]
    assert_allclose(speeds, bias_gradient_norms(clf, X, y), rtol=1e-10)
    assert speeds[0] < speeds[1] < speeds[2]


def test_history_without_monitors_costs_no_pass(data, monkeypatch):
    X, y = data[:2]

    def no_pass(*args, **kwargs):
        raise AssertionError("a pass over the data nobody asked for")

    monkeypatch.setattr(SigmoidMLPClassifier, "_evaluate", no_pass)
    monkeypatch.setattr(_network, "backprop", no_pass)  # the dense path trains
    clf = SigmoidMLPClassifier(max_iter=3, random_state=0).fit(X, y)
    assert [sorted(row) for row in clf.history_] == [
        ["epoch", "learning_rate", "loss", "seconds"]
    ] * 3
    assert [row["loss"] for row in clf.history_] == clf.loss_curve_


def test_learning_rate_is_the_one_each_epoch_used(data):
    X, y = data[:2]
    clf = SigmoidMLPClassifier(
        learning_rate="invscaling", learning_rate_init=2.0, max_iter=3, random_state=0
    ).fit(X, y)
    t = np.arange(3) * len(X)
    want = [2.0] + [2.0 / (t_ + 1) ** 0.5 for t_ in t[1:]]
    assert_allclose([row["learning_rate"] for row in clf.history_], want)


def test_early_stopping_history_matches_its_curves(data):
    X, y = data[:2]
    clf = SigmoidMLPClassifier(
        early_stopping=True,
        max_iter=6,
        random_state=0,
        monitor=["evaluation_cost", "evaluation_accuracy"],
    ).fit(X, y)
    rows = clf.history_
    assert [r["evaluation_accuracy"] for r in rows] == clf.validation_scores_
    assert [r["evaluation_cost"] for r in rows] == clf.validation_loss_curve_


def test_history_through_partial_fit_and_warm_start(data):
    X, y, X_val, y_val = data
    params = dict(random_state=0, monitor=["training_accuracy", "evaluation_cost"])
    fitted = SigmoidMLPClassifier(max_iter=4, **params)
    fitted.fit(X, y, X_val=X_val, y_val=y_val)
    partial = SigmoidMLPClassifier(**params)
    for _ in range(4):
        partial.partial_fit(X, y, classes=np.unique(y), X_val=X_val, y_val=y_val)
    warm = SigmoidMLPClassifier(max_iter=2, warm_start=True, **params)
    warm.fit(X, y, X_val=X_val, y_val=y_val).fit(X, y, X_val=X_val, y_val=y_val)
    assert len(fitted.history_) == 4
    assert [row["epoch"] for row in fitted.history_] == [1, 2, 3, 4]
    assert without_seconds(partial.history_) == without_seconds(fitted.history_)
    assert without_seconds(warm.history_) == without_seconds(fitted.history_)
    # A fit without warm_start starts the history afresh.
    warm.set_params(warm_start=False).fit(X, y, X_val=X_val, y_val=y_val)
    assert without_seconds(warm.history_) == without_seconds(fitted.history_[:2])


def test_failed_call_leaves_the_history(data, fail_epoch):
    # The second epoch fails after the first was booked: history_ is the
    # list it was, neither grown nor changed in place.
    X, y, X_val, y_val = data
    clf = SigmoidMLPClassifier(
        max_iter=2, random_state=0, monitor=ALL_MONITORS, warm_start=True
    ).fit(X, y, X_val=X_val, y_val=y_val)
    history = clf.history_
    before = without_seconds(history)
    fail_epoch(2)
    with pytest.raises(RuntimeError, match="disk on fire"):
        clf.fit(X, y, X_val=X_val, y_val=y_val)
    assert without_seconds(clf.history_) == before
    assert without_seconds(history) == before


# --- scikit-learn's ScoringMonitor ------------------------------------------------


def test_scoring_monitor_scores_the_validation_set(data):
    # ScoringMonitor scores the data its hooks receive, the training data;
    # a scorer of the validation set is a callable over X_val, as its
    # documentation describes for callables.
    callback = pytest.importorskip("sklearn.callback")
    X, y, X_val, y_val = data

    def evaluation_accuracy(estimator, X, y):
        return estimator.score(X_val, y_val)

    monitor = callback.ScoringMonitor(
        scoring={"training": "accuracy", "evaluation": evaluation_accuracy}
    )
    clf = SigmoidMLPClassifier(
        max_iter=4,
        random_state=0,
        monitor=["training_accuracy", "evaluation_accuracy"],
    ).set_callbacks(monitor)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y, X_val=X_val, y_val=y_val)
    rows = [r for r in monitor.get_logs().data if r["task_name"] == "epoch"]
    assert len(rows) == 4
    assert_allclose(
        [r["evaluation"] for r in rows],
        [h["evaluation_accuracy"] for h in clf.history_],
    )
    assert_allclose(
        [r["training"] for r in rows], [h["training_accuracy"] for h in clf.history_]
    )
    assert rows[-1]["evaluation"] != rows[-1]["training"]


def test_verbose_prints_the_monitors(data, capsys):
    X, y = data[:2]
    clf = SigmoidMLPClassifier(
        max_iter=2, verbose=True, monitor=["training_accuracy", "learning_speed"]
    ).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    row = clf.history_[-1]
    speeds = ", ".join(f"{v:.4g}" for v in row["learning_speed"])
    assert lines[-1] == (
        f"training_accuracy = {row['training_accuracy']:.6f}, "
        f"learning_speed = [{speeds}]"
    )
