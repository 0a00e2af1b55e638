"""The buffered dense paths take the same steps as the book's functions.

``_buffered.sgd_epoch`` trains dense input in preallocated buffers, biases
folded into the weights and BLAS computing each layer's gradient (and, for
the plain rule, its step) in one call; these tests pin its weights,
velocities and costs, after a few epochs, to those of
``_network.sgd_epoch``, the plain loop over ``update_mini_batch``, for every
loss, update rule, dtype and shape. ``_buffered.feedforward_into`` is pinned
to ``_network.feedforward`` likewise.
"""

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import digits_arrays, every_pair_fast
from numpy.testing import assert_allclose, assert_array_equal

from skdigitnet import SigmoidMLPClassifier, _buffered, _network
from skdigitnet._network import init_params
from skdigitnet._optimizer import SGDOptimizer

COST_NAMES = ["squared_error", "cross_entropy", "log_loss"]


def make_problem(n=601, sizes=(64, 12, 10), cost="squared_error", seed=0):
    """Digits scaled to [0, 1], their targets, and a network for them."""
    X, labels = digits_arrays()
    rng = np.random.default_rng(seed)
    rows = rng.permutation(len(X))[:n]
    x = X[rows] / 16.0
    y = np.eye(10)[labels[rows]]
    if cost != "log_loss":
        # Sigmoid outputs take any 0/1 targets, not only one-hot ones.
        y[rng.random(y.shape) < 0.1] = 1.0
    coefs, intercepts = init_params(list(sizes), np.random.RandomState(seed))
    return x, y[:, : sizes[-1]], coefs, intercepts


RULES = {
    "plain": {},
    "alpha": dict(alpha=0.05),
    "momentum": dict(momentum=0.9),
    "nesterov": dict(momentum=0.9, nesterov=True),
    "alpha, nesterov": dict(alpha=0.05, momentum=0.5, nesterov=True),
    "alpha, momentum": dict(alpha=0.05, momentum=0.5),
}


def train_both(x, y, coefs, intercepts, batch_size, cost, shuffle, epochs=3, **kw):
    """Train copies with the buffered epoch and with the book's loop."""
    sample_weight = kw.pop("sample_weight", None)
    eta = 0.5 if cost == "squared_error" else 0.1
    results = []
    for epoch_fn in (_buffered.sgd_epoch, _network.sgd_epoch):
        c = [w.copy() for w in coefs]
        b = [v.copy() for v in intercepts]
        optimizer = SGDOptimizer(c + b, eta, **kw)
        rng = np.random.default_rng(1)
        order = np.arange(x.shape[0])
        costs = []
        for _ in range(epochs):
            if shuffle:
                rng.shuffle(order)
            costs.append(
                epoch_fn(x, y, order, batch_size, c, b, optimizer, cost, sample_weight)
            )
        results.append((c, b, optimizer.velocities, costs))
    return results


def assert_same_training(fast, slow, rtol=1e-10, atol=1e-10):
    (c1, b1, v1, costs1), (c2, b2, v2, costs2) = fast, slow
    for got, want in zip(c1 + b1, c2 + b2):
        assert got.dtype == want.dtype
        assert_allclose(got, want, rtol=rtol, atol=atol)
    assert (v1 is None) == (v2 is None)
    if v1 is not None:
        for got, want in zip(v1, v2):
            assert_allclose(got, want, rtol=rtol, atol=atol)
    assert_allclose(costs1, costs2, rtol=rtol)


# Batches of 10 are 25 to a block of 250 rows; batches of 100, 2 to a block
# of 200: 601 rows leave a last batch of one row, and a last, short block.
BATCH_SIZES = {"batches of 10": 10, "batches of 100": 100}


# Each setting is a part of the epoch of its own: the batch size its blocks,
# the order its gather, the rule its step, the cost its output error. The
# fast suite runs 18 of the 72 cases, in which every two settings meet in
# each of their values; the full suite runs all.
@pytest.mark.parametrize(
    "batch_size, shuffle, rule, cost",
    every_pair_fast(
        batch_size=BATCH_SIZES,
        shuffle={"shuffled": True, "in order": False},
        rule={rule: rule for rule in RULES},
        cost={cost: cost for cost in COST_NAMES},
    ),
)
def test_weights_pinned_to_the_books_loop(batch_size, shuffle, rule, cost):
    x, y, coefs, intercepts = make_problem(cost=cost)
    fast, slow = train_both(
        x, y, coefs, intercepts, batch_size, cost, shuffle, **RULES[rule]
    )
    assert_same_training(fast, slow)


@pytest.mark.parametrize("cost", COST_NAMES)
@pytest.mark.parametrize("rule", ["plain", "alpha, momentum"])
@pytest.mark.parametrize("batch_size", BATCH_SIZES.values(), ids=BATCH_SIZES)
def test_sample_weights_pinned(cost, rule, batch_size):
    x, y, coefs, intercepts = make_problem(cost=cost)
    sample_weight = np.random.default_rng(2).uniform(0, 3, x.shape[0])
    # The first two batches weigh nothing: no step.
    sample_weight[: 2 * batch_size] = 0
    fast, slow = train_both(
        x, y, coefs, intercepts, batch_size, cost, False,
        sample_weight=sample_weight, **RULES[rule],
    )  # fmt: skip
    assert_same_training(fast, slow)


@pytest.mark.parametrize(
    "sizes, batch_size",
    [
        ((64, 10), 10),  # no hidden layer
        ((64, 10), 100),  # no hidden layer, large batches
        ((64, 16, 12, 10), 7),  # two hidden layers, 252-row blocks
        ((64, 16, 12, 10), 70),  # two hidden layers, large batches
        ((64, 12, 10), 1),  # the book's per-example SGD
        ((64, 12, 10), 256),  # one batch per block
        ((64, 12, 10), 600),  # a batch larger than a block
        ((64, 12, 10), 601),  # the whole set in one batch
    ],
)
def test_shapes_and_batch_sizes_pinned(sizes, batch_size):
    x, y, coefs, intercepts = make_problem(sizes=sizes)
    fast, slow = train_both(x, y, coefs, intercepts, batch_size, "cross_entropy", True)
    assert_same_training(fast, slow)


@pytest.mark.parametrize("cost", COST_NAMES)
@pytest.mark.parametrize("rule", ["plain", "nesterov", "alpha, momentum"])
def test_float32_stays_float32_and_close(cost, rule):
    x, y, coefs, intercepts = make_problem(cost=cost)
    to32 = [a.astype(np.float32) for a in (x, y)]
    fast, slow = train_both(
        *to32,
        [w.astype(np.float32) for w in coefs],
        [b.astype(np.float32) for b in intercepts],
        10,
        cost,
        True,
        epochs=1,
        **RULES[rule],
    )
    assert all(a.dtype == np.float32 for a in fast[0] + fast[1] + (fast[2] or []))
    # The same steps, rounded in another order: float32 agreement only.
    assert_same_training(fast, slow, rtol=1e-3, atol=1e-4)


def test_sparse_input_gives_the_dense_result():
    x, y, coefs, intercepts = make_problem()
    order = np.random.default_rng(3).permutation(x.shape[0])
    results = []
    for data in (x, sp.csr_matrix(x)):
        c = [w.copy() for w in coefs]
        b = [v.copy() for v in intercepts]
        cost_sum = _network.sgd_epoch(data, y, order, 10, c, b, SGDOptimizer([], 0.5))
        results.append((c + b, cost_sum))
    for got, want in zip(*(r[0] for r in results)):
        assert_allclose(got, want, rtol=1e-10, atol=1e-10)
    assert results[0][1] == pytest.approx(results[1][1], rel=1e-10)


def test_inputs_are_left_alone():
    x, y, coefs, intercepts = make_problem()
    order = np.random.default_rng(4).permutation(x.shape[0])
    before = [a.copy() for a in (x, y, order)]
    _buffered.sgd_epoch(x, y, order, 10, coefs, intercepts, SGDOptimizer([], 0.5))
    for got, want in zip((x, y, order), before):
        assert_array_equal(got, want)


def test_an_error_mid_epoch_keeps_the_steps_taken():
    # In place means in place, even when a step fails: the weights hold the
    # steps before it, as the straightforward loop leaves them.
    x, y, coefs, intercepts = make_problem()
    y_bad = y.copy()
    y_bad[505] = np.inf  # in the third block: inf - inf in (BP2)
    order = np.arange(x.shape[0])
    results = []
    for epoch_fn in (_buffered.sgd_epoch, _network.sgd_epoch):
        c = [w.copy() for w in coefs]
        b = [v.copy() for v in intercepts]
        optimizer = SGDOptimizer(c + b, 0.5, momentum=0.9)
        with np.errstate(invalid="raise"), pytest.raises(FloatingPointError):
            epoch_fn(x, y_bad, order, 10, c, b, optimizer, "squared_error")
        results.append(c + b + optimizer.velocities)
    for got, want in zip(*results):
        assert_allclose(got, want, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("epoch_fn", [_buffered.sgd_epoch, _network.sgd_epoch])
def test_an_infinite_weighted_input_stops_the_epoch(epoch_fn):
    # Pixel 0 of the rows from 300 on is the largest float: times a weight
    # above 1 it overflows to inf in a product that raises nothing, and the
    # sigmoid would turn it into a saturated 1 that trains nothing.
    x, y, coefs, intercepts = make_problem()
    coefs[0][0] = 2.0
    x[300:, 0] = np.finfo(x.dtype).max
    order = np.arange(x.shape[0])
    optimizer = SGDOptimizer(coefs + intercepts, 0.5)
    # numpy's own matmul may report the overflow; the check must not need it.
    with np.errstate(over="ignore"):
        with pytest.raises(FloatingPointError, match="weighted input"):
            epoch_fn(x, y, order, 10, coefs, intercepts, optimizer, "squared_error")
    assert all(np.isfinite(p).all() for p in coefs + intercepts)


@pytest.mark.parametrize(
    "params",
    [
        dict(),
        dict(loss="cross_entropy", momentum=0.9, nesterovs_momentum=True),
        dict(loss="log_loss", alpha=1e-3, batch_size=32, shuffle=False),
        dict(hidden_layer_sizes=(16, 8), class_weight="balanced"),
    ],
    ids=str,
)
def test_fit_pinned_to_the_straightforward_loop(monkeypatch, params):
    X, y = digits_arrays()
    X = X[:500] / 16.0
    y = y[:500]
    kwargs = dict(hidden_layer_sizes=(12,), max_iter=3, random_state=0, tol=0)
    kwargs.update(params)
    with pytest.warns(Warning):  # not converged in 3 epochs
        fast = SigmoidMLPClassifier(**kwargs).fit(X, y)
    monkeypatch.setattr(_buffered, "can_train", lambda *args: False)
    with pytest.warns(Warning):
        slow = SigmoidMLPClassifier(**kwargs).fit(X, y)
    for got, want in zip(
        fast.coefs_ + fast.intercepts_, slow.coefs_ + slow.intercepts_
    ):
        assert_allclose(got, want, rtol=1e-10, atol=1e-10)
    assert_allclose(fast.loss_curve_, slow.loss_curve_, rtol=1e-10)


def test_fit_float32_end_to_end():
    X, y = digits_arrays()
    X = (X / 16.0).astype(np.float32)
    clf = SigmoidMLPClassifier(max_iter=2, random_state=0).fit(X, y)
    params = itertools.chain(clf.coefs_, clf.intercepts_)
    assert all(p.dtype == np.float32 for p in params)
    assert clf.predict_proba(X).dtype == np.float32
    assert 0 < clf.loss_ < 0.5  # a mean quadratic cost over 10 outputs


@pytest.mark.parametrize("loss", COST_NAMES)
@pytest.mark.parametrize("sizes", [(64, 10), (64, 16, 12, 10)], ids=str)
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_chunked_prediction_equals_feedforward(loss, sizes, sparse, monkeypatch):
    monkeypatch.setattr(_buffered, "_PREDICT_ROWS", 512)  # three chunks
    x, _, coefs, intercepts = make_problem(n=1100, sizes=sizes)
    want = _network.feedforward(x, coefs, intercepts, loss)
    data = sp.csr_matrix(x) if sparse else x
    out = np.empty_like(want)
    got = _buffered.feedforward_into(out, data, coefs, intercepts, loss)
    assert got is out
    assert_allclose(got, want, rtol=1e-13, atol=1e-15)


def test_chunked_prediction_converts_each_chunk_to_the_weights_dtype(monkeypatch):
    monkeypatch.setattr(_buffered, "_PREDICT_ROWS", 512)  # three chunks
    x, _, coefs, intercepts = make_problem(n=1100)
    coefs32 = [w.astype(np.float32) for w in coefs]
    intercepts32 = [b.astype(np.float32) for b in intercepts]
    # The reference takes the same chunks: BLAS sums a row's products in an
    # order that depends on the matrix's shape, and in float32 a weighted
    # input of 64 products near -5 then moves by about 1e-6, which an output
    # near 0.007 carries as its relative error.
    chunks = [x[start : start + 512] for start in range(0, len(x), 512)]
    want = np.vstack(
        [
            _network.feedforward(c.astype(np.float32), coefs32, intercepts32)
            for c in chunks
        ]
    )
    out = np.empty(want.shape, np.float32)
    _buffered.feedforward_into(out, x, coefs32, intercepts32)
    assert_allclose(out, want, rtol=1e-6)


@pytest.mark.parametrize("loss", COST_NAMES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_prediction_uses_trainings_sigmoid(loss, dtype, sparse):
    # One chunk is the book's feedforward bit for bit: the same products and
    # the same sigmoid as training, not one that differs in the last bits.
    x, _, coefs, intercepts = make_problem(n=300, sizes=(64, 16, 12, 10))
    x = x.astype(dtype)
    coefs = [w.astype(dtype) for w in coefs]
    intercepts = [b.astype(dtype) for b in intercepts]
    data = sp.csr_matrix(x) if sparse else x
    want = _network.feedforward(data, coefs, intercepts, loss)
    out = np.empty(want.shape, dtype)
    assert_array_equal(
        _buffered.feedforward_into(out, data, coefs, intercepts, loss), want
    )


@pytest.fixture(
    scope="module", params=[np.float32, np.float64], ids=["float32", "float64"]
)
def digits_fit(request):
    """A network fitted on the digits in one dtype, and those digits."""
    X, y = digits_arrays()
    X = (X / 16.0).astype(request.param)
    return SigmoidMLPClassifier(max_iter=1, random_state=0).fit(X, y), X


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf], ids=str)
@pytest.mark.parametrize("row", [0, 4700, 9999])
def test_predict_checks_every_chunk_for_nan_and_inf(bad, row, digits_fit):
    # A NaN or infinity anywhere gives validate_data's error.
    clf, X = digits_fit
    X_big = np.tile(X, (6, 1))[:10_000]
    X_big[row, 3] = bad
    match = "Input X contains NaN" if np.isnan(bad) else "Input X contains infinity"
    for method in (clf.predict, clf.predict_proba, clf.predict_log_proba):
        with pytest.raises(ValueError, match=match):
            method(X_big)
    with pytest.raises(ValueError, match=match):
        clf.predict(sp.csr_matrix(X_big))
