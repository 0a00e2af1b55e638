"""State carried between calls, and state left alone by a call that fails.

``warm_start`` and ``partial_fit`` continue training exactly where the last
call stopped; shuffling shuffles; the learning-rate schedules and early
stopping keep their books; a failed ``fit`` or ``partial_fit`` leaves every
attribute, public or private, as it was.
"""

import copy
import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from skdigitnet import SigmoidMLPClassifier, _buffered
from skdigitnet._optimizer import SGDOptimizer

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


DIGITS_ROWS = 500  # the digits fixture's size (conftest.py)


def assert_same_value(got, want, path="estimator"):
    """Deep equality of attribute values: arrays bit for bit, objects by vars."""
    if isinstance(want, np.ndarray):
        assert isinstance(got, np.ndarray), path
        assert got.dtype == want.dtype, path
        assert_array_equal(got, want, err_msg=path)
    elif isinstance(want, np.random.RandomState):
        for a, b in zip(got.get_state(), want.get_state()):
            assert_array_equal(a, b, err_msg=path)
    elif isinstance(want, (list, tuple)):
        assert type(got) is type(want) and len(got) == len(want), path
        for k, (a, b) in enumerate(zip(got, want)):
            assert_same_value(a, b, f"{path}[{k}]")
    elif isinstance(want, dict):
        assert sorted(got) == sorted(want), path
        for k in want:
            assert_same_value(got[k], want[k], f"{path}[{k!r}]")
    elif hasattr(want, "__dict__") and not callable(want):
        assert type(got) is type(want), path
        assert_same_value(vars(got), vars(want), path)
    elif isinstance(want, float) and np.isnan(want):
        assert np.isnan(got), path
    else:
        assert got == want, path


def state(clf):
    return copy.deepcopy(vars(clf))


# --- a failed call changes nothing ----------------------------------------


@pytest.mark.parametrize("params", [{}, {"momentum": 0.9}, {"early_stopping": True}])
def test_diverging_warm_start_fit_leaves_every_attribute(digits, params):
    X, y = digits
    clf = SigmoidMLPClassifier(max_iter=2, random_state=0, **params).fit(X, y)
    before = state(clf)
    clf.set_params(warm_start=True, learning_rate_init=1e308, alpha=1.0)
    with pytest.raises(ValueError, match="Training diverged"):
        clf.fit(X, y)
    # Two epochs' curves, not two plus the failed call's.
    assert len(clf.loss_curve_) == 2
    clf.set_params(warm_start=False, learning_rate_init=3.0, alpha=0.0)
    assert_same_value(vars(clf), before)


def test_failing_partial_fit_leaves_every_attribute(digits):
    X, y = digits
    clf = SigmoidMLPClassifier(momentum=0.5, random_state=0)
    for _ in range(2):
        clf.partial_fit(X, y, classes=np.unique(y))
    before = state(clf)
    with pytest.raises(ValueError, match="Training diverged"):
        clf.partial_fit(X * np.finfo(np.float64).max, y)
    assert_same_value(vars(clf), before)
    clf.set_params(learning_rate_init=1e308, alpha=1.0)
    with pytest.raises(ValueError, match="Training diverged"):
        clf.partial_fit(X, y)
    clf.set_params(learning_rate_init=3.0, alpha=0.0)
    assert_same_value(vars(clf), before)


def test_error_after_an_epoch_leaves_every_attribute(digits, fail_epoch):
    # The second epoch of a warm-started fit fails after the first was kept:
    # the call still undoes itself whole.
    X, y = digits
    clf = SigmoidMLPClassifier(max_iter=2, random_state=0).fit(X, y)
    before = state(clf)
    fail_epoch(2)
    with pytest.raises(RuntimeError, match="disk on fire"):
        clf.set_params(warm_start=True, max_iter=3).fit(X, y)
    clf.set_params(warm_start=False, max_iter=2)
    assert_same_value(vars(clf), before)


def test_interrupt_in_the_first_epoch_leaves_an_unfitted_estimator(digits, monkeypatch):
    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(_buffered, "sgd_epoch", interrupted)
    clf = SigmoidMLPClassifier(random_state=0)
    with pytest.raises(KeyboardInterrupt):
        clf.fit(*digits)
    assert vars(clf) == vars(SigmoidMLPClassifier(random_state=0))


# --- state carried between calls --------------------------------------------

RULES = {
    "constant": {},
    "momentum": {"momentum": 0.9, "nesterovs_momentum": True},
    "invscaling": {"learning_rate": "invscaling", "learning_rate_init": 1.0},
    "adaptive": {"learning_rate": "adaptive", "tol": 10.0, "n_iter_no_change": 1},
}


def assert_same_training(a, b):
    for got, want in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert_array_equal(got, want)
    assert a.loss_curve_ == b.loss_curve_
    assert a.t_ == b.t_
    assert a._optimizer.learning_rate == b._optimizer.learning_rate


@pytest.mark.parametrize("rule", RULES)
def test_warm_start_continues_where_fit_stopped(digits, rule):
    X, y = digits
    params = dict(hidden_layer_sizes=(12,), random_state=0, **RULES[rule])
    five = SigmoidMLPClassifier(max_iter=5, **params).fit(X, y)
    clf = SigmoidMLPClassifier(max_iter=2, **params).fit(X, y)
    clf.set_params(warm_start=True, max_iter=3).fit(X, y)
    assert clf.n_iter_ == 3
    assert_same_training(clf, five)


def test_warm_start_is_not_ignored(digits):
    # Without warm_start the second fit starts again from the same draw.
    X, y = digits
    clf = SigmoidMLPClassifier(max_iter=2, random_state=0).fit(X, y)
    first = [c.copy() for c in clf.coefs_]
    clf.fit(X, y)
    for got, want in zip(clf.coefs_, first):
        assert_array_equal(got, want)
    clf.set_params(warm_start=True).fit(X, y)
    assert len(clf.loss_curve_) == 4
    assert not np.array_equal(clf.coefs_[0], first[0])


@pytest.mark.parametrize("rule", RULES)
def test_k_partial_fits_equal_fit_of_k_epochs(digits, rule):
    X, y = digits
    params = dict(hidden_layer_sizes=(12,), random_state=0, **RULES[rule])
    fitted = SigmoidMLPClassifier(max_iter=3, **params).fit(X, y)
    partial = SigmoidMLPClassifier(**params)
    for _ in range(3):
        partial.partial_fit(X, y, classes=np.unique(y))
    assert_same_training(partial, fitted)


def recorded_orders(monkeypatch, clf, X, y):
    """The order of the rows that each epoch of ``clf.fit`` trains in."""
    orders = []
    epoch = _buffered.sgd_epoch

    def recording(x, y, order, *args):
        orders.append(order.copy())
        return epoch(x, y, order, *args)

    monkeypatch.setattr(_buffered, "sgd_epoch", recording)
    clf.fit(X, y)
    monkeypatch.undo()
    return orders


def test_shuffle_draws_a_new_order_every_epoch(digits, monkeypatch):
    X, y = digits
    clf = SigmoidMLPClassifier(max_iter=3, random_state=0)
    orders = recorded_orders(monkeypatch, clf, X, y)
    assert len(orders) == 3
    for order in orders:
        assert_array_equal(np.sort(order), np.arange(len(X)))
        assert not np.array_equal(order, np.arange(len(X)))
    assert not np.array_equal(orders[0], orders[1])
    again = recorded_orders(monkeypatch, clf, X, y)
    for a, b in zip(orders, again):
        assert_array_equal(a, b)  # the same random_state, the same orders


def test_no_shuffle_keeps_the_order_of_the_data(digits, monkeypatch):
    X, y = digits
    clf = SigmoidMLPClassifier(max_iter=3, shuffle=False, random_state=0)
    for order in recorded_orders(monkeypatch, clf, X, y):
        assert_array_equal(order, np.arange(len(X)))
    shuffled = SigmoidMLPClassifier(max_iter=3, random_state=0).fit(X, y)
    assert not np.array_equal(clf.coefs_[0], shuffled.coefs_[0])


# --- learning-rate schedules and early stopping -----------------------------


def test_each_schedule_sets_the_rate_after_each_epoch(digits):
    X, y = digits
    n = len(X)
    rates = {}
    for schedule in ("constant", "invscaling"):
        clf = SigmoidMLPClassifier(
            learning_rate=schedule, learning_rate_init=2.0, power_t=0.25
        )
        rates[schedule] = []
        for _ in range(3):
            clf.partial_fit(X, y, classes=np.unique(y))
            rates[schedule].append(clf._optimizer.learning_rate)
    assert rates["constant"] == [2.0, 2.0, 2.0]
    assert_allclose(rates["invscaling"], [2.0 / (k * n + 1) ** 0.25 for k in (1, 2, 3)])


def test_optimizer_schedules_by_hand():
    opt = SGDOptimizer([], 1.0, lr_schedule="invscaling", power_t=0.5)
    opt.iteration_ends(99)
    assert opt.learning_rate == pytest.approx(0.1)
    adaptive = SGDOptimizer([], 1.0, lr_schedule="adaptive")
    assert adaptive.trigger_stopping("stalled.", verbose=False) is False
    assert adaptive.learning_rate == pytest.approx(0.2)
    adaptive.learning_rate = 1e-6
    assert adaptive.trigger_stopping("stalled.", verbose=False) is True
    constant = SGDOptimizer([], 1.0)
    assert constant.trigger_stopping("stalled.", verbose=False) is True
    assert constant.learning_rate == 1.0


@pytest.mark.parametrize("nesterov", [False, True])
def test_optimizer_step_by_hand(nesterov):
    p, g = np.array([1.0, -2.0]), np.array([0.5, 0.25])
    opt = SGDOptimizer([p], 0.1, momentum=0.9, nesterov=nesterov)
    v = np.array([0.0, 0.0])
    want = p.copy()
    for _ in range(3):
        v = 0.9 * v - 0.1 * g
        want = want + (0.9 * v - 0.1 * g if nesterov else v)
        opt.update_params([p], [g.copy()])
    assert_allclose(p, want, rtol=1e-15)
    assert_allclose(opt.velocities[0], v, rtol=1e-15)
    plain = SGDOptimizer([], 0.1)
    q = np.array([1.0, -2.0])
    plain.update_params([q], [g.copy()])
    assert_allclose(q, [1.0 - 0.05, -2.0 - 0.025], rtol=1e-15)


def test_early_stopping_restores_the_best_epoch_also_after_warm_start(digits):
    X, y = digits
    params = dict(early_stopping=True, n_iter_no_change=2, max_iter=40)
    clf = SigmoidMLPClassifier(random_state=0, **params).fit(X, y)
    best = int(np.argmax(clf.validation_scores_))
    assert best < clf.n_iter_ - 1  # the last epochs did not improve
    # The kept weights score the best validation accuracy on the same split.
    replay = SigmoidMLPClassifier(random_state=0, **params)
    replay.set_params(max_iter=best + 1).fit(X, y)
    assert replay.validation_scores_[-1] == clf.best_validation_score_
    for got, want in zip(clf.coefs_, replay.coefs_):
        assert_array_equal(got, want)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        assert clf.best_loss_ is None


# --- switching settings between calls, and interrupts between epochs --------


def test_a_later_fit_does_not_restore_an_earlier_best_epoch(digits):
    X, y = digits
    X_val, y_val = X[400:], y[400:]
    clf = SigmoidMLPClassifier(early_stopping=True, max_iter=5, random_state=0)
    clf.fit(X[:400], y[:400])
    clf.set_params(early_stopping=False, monitor="evaluation_accuracy")
    clf.fit(X[:400], y[:400], X_val=X_val, y_val=y_val)
    fresh = SigmoidMLPClassifier(**clf.get_params())
    fresh.fit(X[:400], y[:400], X_val=X_val, y_val=y_val)
    for got, want in zip(clf.coefs_, fresh.coefs_):
        assert_array_equal(got, want)


@pytest.mark.parametrize("first", [True, False], ids=["off then", "on then"])
def test_warm_start_across_a_change_of_early_stopping(digits, first):
    X, y = digits
    clf = SigmoidMLPClassifier(early_stopping=first, max_iter=2, random_state=0)
    clf.fit(X, y)
    clf.set_params(early_stopping=not first, warm_start=True).fit(X, y)
    assert len(clf.loss_curve_) == 4
    assert (clf.validation_scores_ is None) == first
    if not first:
        assert len(clf.validation_scores_) == 2


def test_interrupt_in_an_epochs_books_keeps_the_last_whole_epoch(digits, monkeypatch):
    X, y = digits
    clf = SigmoidMLPClassifier(max_iter=3, random_state=0)
    end_epoch = SigmoidMLPClassifier._end_epoch

    def interrupted(self, *args):
        if self.n_iter_ == 1:
            self.n_iter_ += 1  # half the books kept, then the interrupt
            raise KeyboardInterrupt
        return end_epoch(self, *args)

    monkeypatch.setattr(SigmoidMLPClassifier, "_end_epoch", interrupted)
    with pytest.warns(UserWarning, match="interrupted by user after 1 whole"):
        clf.fit(X, y)
    monkeypatch.undo()
    one = SigmoidMLPClassifier(max_iter=1, random_state=0).fit(X, y)
    assert clf.n_iter_ == 1 == len(clf.loss_curve_) == len(clf.history_)
    assert_same_training(clf, one)


# The state rule (at the top of skdigitnet/_classifier.py): fitted attributes
# are replaced, never changed in place, but for these two.
IN_PLACE = {"_optimizer", "_random_state"}


def _warm_fit(clf, X, y, fail_epoch):
    clf.set_params(warm_start=True).fit(X, y)


def _partial_fit(clf, X, y, fail_epoch):
    clf.partial_fit(X, y)


def _failing_warm_fit(clf, X, y, fail_epoch):
    fail_epoch(2)
    with pytest.raises(RuntimeError, match="disk on fire"):
        clf.set_params(warm_start=True).fit(X, y)


CALLS = {
    "fit": lambda clf, X, y, fail_epoch: clf.fit(X, y),
    "warm fit": _warm_fit,
    "partial_fit": _partial_fit,
    "failing warm fit": _failing_warm_fit,
}


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize(
    "params",
    [
        {"momentum": 0.5, "alpha": 1e-3},
        {"early_stopping": True, "monitor": ["training_cost", "learning_speed"]},
    ],
)
def test_no_fitted_attribute_is_changed_in_place(digits, call, params, fail_epoch):
    X, y = digits
    clf = SigmoidMLPClassifier(max_iter=2, random_state=0, **params).fit(X, y)
    if call == "partial_fit":
        clf.set_params(early_stopping=False)
    before = dict(vars(clf))  # the objects themselves, to look into after
    frozen = {
        name: pickle.dumps(value)
        for name, value in before.items()
        if name not in IN_PLACE and not name.startswith(("_skl_callbacks", "_callback"))
    }
    CALLS[call](clf, X, y, fail_epoch)
    changed = [
        name for name, data in frozen.items() if pickle.dumps(before[name]) != data
    ]
    assert not changed, f"changed in place: {changed}"
