"""The fast training loop takes the same steps as the straightforward one.

``sgd_epoch`` trains dense input in preallocated buffers, biases folded into
the weights and BLAS doing each update in one call; these tests pin its
weights, after a few epochs, to those of a plain loop over
``update_mini_batch``, for every cost and option.
"""

import itertools
import time

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits
from threadpoolctl import threadpool_info, threadpool_limits

from skdigitnet import SigmoidMLPClassifier, _network
from skdigitnet._network import init_params, sgd_epoch, update_mini_batch

COST_NAMES = ["squared_error", "cross_entropy", "log_loss"]


def straightforward_epoch(
    x, y, order, batch_size, coefs, intercepts, eta, cost, sample_weight=None, **rule
):
    """An epoch as the book writes it: one update_mini_batch per slice of order."""
    cost_sum = 0.0
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        sw = None if sample_weight is None else sample_weight[batch]
        cost_sum += update_mini_batch(
            x[batch], y[batch], coefs, intercepts, eta, cost, sw, **rule
        )
    return cost_sum


def make_problem(n=601, sizes=(64, 12, 10), cost="squared_error", seed=0):
    """Digits scaled to [0, 1], their targets, and a network for them."""
    X, labels = load_digits(return_X_y=True)
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
    """Train copies with sgd_epoch and with the straightforward loop."""
    sample_weight = kw.pop("sample_weight", None)
    rule = dict(kw)
    eta = 0.5 if cost == "squared_error" else 0.1
    results = []
    for epoch_fn in (sgd_epoch, straightforward_epoch):
        c = [w.copy() for w in coefs]
        b = [v.copy() for v in intercepts]
        if rule.get("momentum"):
            rule["velocities"] = [np.zeros_like(p) for p in c + b]
        rng = np.random.default_rng(1)
        order = np.arange(x.shape[0])
        costs = []
        for _ in range(epochs):
            if shuffle:
                rng.shuffle(order)
            costs.append(
                epoch_fn(
                    x, y, order, batch_size, c, b, eta, cost, sample_weight, **rule
                )
            )
        results.append((c, b, rule.get("velocities"), costs))
    return results


def assert_same_training(fast, slow, rtol=1e-10, atol=1e-10):
    (c1, b1, v1, costs1), (c2, b2, v2, costs2) = fast, slow
    for got, want in zip(c1 + b1, c2 + b2):
        assert got.dtype == want.dtype
        assert_allclose(got, want, rtol=rtol, atol=atol)
    if v1 is not None:
        for got, want in zip(v1, v2):
            assert_allclose(got, want, rtol=rtol, atol=atol)
    assert_allclose(costs1, costs2, rtol=rtol)


# Batches of 10 are gathered with a column of ones for the first layer's
# biases; batches of 100, without (see _SPLIT_BATCH_SIZE).
BATCH_SIZES = {"ones column": 10, "split first layer": 100}


def test_batch_sizes_take_both_layouts():
    small, large = BATCH_SIZES.values()
    assert small < _network._SPLIT_BATCH_SIZE <= large


@pytest.mark.parametrize("cost", COST_NAMES)
@pytest.mark.parametrize("rule", RULES, ids=str)
@pytest.mark.parametrize("shuffle", [True, False], ids=["shuffled", "in order"])
@pytest.mark.parametrize("batch_size", BATCH_SIZES.values(), ids=BATCH_SIZES)
def test_weights_pinned_to_straightforward_loop(cost, rule, shuffle, batch_size):
    # 601 rows: the last batch has one row, and a block of 250 (200) rows is
    # gathered 2.4 (3.005) times.
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
        ((64, 10), 100),  # no hidden layer, no column of ones
        ((64, 16, 12, 10), 7),  # two hidden layers, 252-row blocks
        ((64, 16, 12, 10), 70),  # two hidden layers, no column of ones
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
def test_float32_stays_float32_and_close(cost):
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
        momentum=0.5,
    )
    assert all(a.dtype == np.float32 for a in fast[0] + fast[1] + fast[2])
    # The same steps, rounded in another order: float32 agreement only.
    assert_same_training(fast, slow, rtol=1e-3, atol=1e-4)


def test_sparse_input_gives_the_dense_result():
    x, y, coefs, intercepts = make_problem()
    order = np.random.default_rng(3).permutation(x.shape[0])
    results = []
    for data in (x, sp.csr_matrix(x)):
        c = [w.copy() for w in coefs]
        b = [v.copy() for v in intercepts]
        cost_sum = sgd_epoch(data, y, order, 10, c, b, 0.5)
        results.append((c + b, cost_sum))
    for got, want in zip(*(r[0] for r in results)):
        assert_allclose(got, want, rtol=1e-10, atol=1e-10)
    assert results[0][1] == pytest.approx(results[1][1], rel=1e-10)


def test_inputs_are_left_alone_and_blas_threads_restored():
    x, y, coefs, intercepts = make_problem()
    order = np.random.default_rng(4).permutation(x.shape[0])
    before = [a.copy() for a in (x, y, order)]
    threads = [i["num_threads"] for i in threadpool_info()]
    sgd_epoch(x, y, order, 10, coefs, intercepts, 0.5)
    for got, want in zip((x, y, order), before):
        assert_array_equal(got, want)
    assert [i["num_threads"] for i in threadpool_info()] == threads


def test_an_error_mid_epoch_keeps_the_steps_taken():
    # In place means in place, even when a step fails: the weights hold the
    # steps before it, as the straightforward loop leaves them.
    x, y, coefs, intercepts = make_problem()
    y_bad = y.copy()
    y_bad[505] = np.inf  # in the third block: inf - inf in (BP2)
    order = np.arange(x.shape[0])
    results = []
    for epoch_fn in (sgd_epoch, straightforward_epoch):
        c = [w.copy() for w in coefs]
        b = [v.copy() for v in intercepts]
        with np.errstate(invalid="raise"), pytest.raises(FloatingPointError):
            epoch_fn(x, y_bad, order, 10, c, b, 0.5, "squared_error")
        results.append(c + b)
    for got, want in zip(*results):
        assert_allclose(got, want, rtol=1e-10, atol=1e-10)


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
    X, y = load_digits(return_X_y=True)
    X = X[:500] / 16.0
    y = y[:500]
    kwargs = dict(hidden_layer_sizes=(12,), max_iter=3, random_state=0, tol=0)
    kwargs.update(params)
    with pytest.warns(Warning):  # not converged in 3 epochs
        fast = SigmoidMLPClassifier(**kwargs).fit(X, y)
    monkeypatch.setattr(_network, "_can_buffer", lambda *args: False)
    with pytest.warns(Warning):
        slow = SigmoidMLPClassifier(**kwargs).fit(X, y)
    for got, want in zip(
        fast.coefs_ + fast.intercepts_, slow.coefs_ + slow.intercepts_
    ):
        assert_allclose(got, want, rtol=1e-10, atol=1e-10)
    assert_allclose(fast.loss_curve_, slow.loss_curve_, rtol=1e-10)


def large_problem(cost, n=1000, sizes=(784, 64, 10), seed=0):
    """Random data big enough that BLAS threads each product of a step."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, sizes[0]))
    y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], n)]
    coefs, intercepts = init_params(
        list(sizes), np.random.RandomState(seed), weight_init="scaled"
    )
    return x, y, coefs, intercepts


@pytest.fixture
def idle_machine(monkeypatch):
    """A machine whose other processes leave every core idle, with no history."""
    monkeypatch.setattr(_network._OtherWork, "leaves", lambda *args: True)
    monkeypatch.setattr(_network, "_thread_choices", {})


@pytest.fixture
def threaded_steps(monkeypatch, idle_machine):
    """Steps that may take two BLAS threads, whatever the machine; their calls."""
    monkeypatch.setattr(_network, "_step_threads", lambda *args: 2)
    monkeypatch.setattr(_network, "_ROUND_BLOCKS", 1)  # a new choice each block
    monkeypatch.setattr(_network, "_MIN_WAIT", 0.0)  # and either may come next
    monkeypatch.setattr(_network, "_SIGMOID_BY_EXP_SIZE", 0)
    calls = []
    apply = _network._ThreadChoice._apply

    def record(choice, n_threads):
        calls.append(n_threads)
        apply(choice, n_threads)

    monkeypatch.setattr(_network._ThreadChoice, "_apply", record)
    return calls


@pytest.mark.parametrize("cost", COST_NAMES)
@pytest.mark.parametrize("rule", ["plain", "nesterov", "alpha, momentum"])
def test_threaded_steps_pinned(threaded_steps, cost, rule):
    # 1000 rows in batches of 100: blocks of 200 rows, five per epoch, each
    # block a round on one BLAS thread or two, as _ThreadChoice says.
    threads_before = [i["num_threads"] for i in threadpool_info()]
    x, y, coefs, intercepts = large_problem(cost)
    fast, slow = train_both(x, y, coefs, intercepts, 100, cost, True, **RULES[rule])
    assert_same_training(fast, slow)
    # Both choices were taken, and the epochs left BLAS as they found it.
    # (The first block of each epoch is not timed.)
    assert threaded_steps[:3] == [1, 1, 2] and threaded_steps[-1] == 1
    assert [i["num_threads"] for i in threadpool_info()] == threads_before


def test_no_blas_threads_while_another_call_runs(threaded_steps):
    x, y, coefs, intercepts = large_problem("squared_error")
    order = np.arange(x.shape[0])
    with _network._one_blas_thread():  # as a prediction in another thread
        sgd_epoch(x, y, order, 100, coefs, intercepts, 0.5)
    assert threaded_steps and 2 not in threaded_steps


@pytest.mark.parametrize(
    "hidden, batch_size, want",
    [
        (100, 10, 1),  # 0.8 million multiply-adds: not worth a thread
        (30, 100, 1),  # 2.4 million: one thread's worth
        (100, 100, 3),  # 7.9 million
        (100, 1000, 16),  # as many as BLAS has
    ],
)
def test_threads_for_a_step_follow_its_largest_product(
    monkeypatch, hidden, batch_size, want
):
    blas = type("Blas", (), {"num_threads": 16})()
    monkeypatch.setattr(_network, "_scipy_blas", lambda: blas)
    coefs = [np.zeros((784, hidden)), np.zeros((hidden, 10))]
    assert _network._step_threads(784, batch_size, coefs) == want


def test_threads_for_a_step_respect_the_users_limit():
    coefs = [np.zeros((784, 100)), np.zeros((100, 10))]
    with threadpool_limits(limits=1, user_api="blas"):
        assert _network._step_threads(784, 1000, coefs) == 1


def run_rounds(choice, seconds_per_row, n_rounds, clock, block_seconds=0.0025):
    """Feed a _ThreadChoice rounds timed by seconds_per_row[n_threads].

    Returns the choice of each round and the number of blocks fed in all.
    """
    taken, n_blocks = [], 0
    for _ in range(n_rounds):
        taken.append(choice.choice)
        while True:
            clock[0] += block_seconds
            choice.record(seconds_per_row[choice.choice], clock[0])
            n_blocks += 1
            if not choice.round:  # the round is over
                break
    return taken, n_blocks


@pytest.mark.parametrize("faster", [1, 2])
def test_thread_choice_keeps_to_the_faster(idle_machine, faster):
    choice = _network._ThreadChoice(2)
    slower = 3 - faster
    # 6000 rounds of 4 blocks of 2.5 ms: a minute.
    taken, _ = run_rounds(choice, {faster: 1.0, slower: 1.5}, 6000, clock=[0.0])
    assert taken[:2] == [1, 2]  # each is tried first
    # Then the slower gets a round after waits that double from 0.25 s, up
    # to _MAX_WAIT: 1, 2, 4, 8 and 16 s (100 rounds a second) before the
    # last try. (Threads that win are tried again at once: one try more.)
    tries = [k for k, n in enumerate(taken) if n == slower and k > 1]
    assert len(tries) == 7 + (faster == 2)
    assert_allclose(np.diff(tries)[-5:] / 100, [1, 2, 4, 8, 16], atol=0.03)
    assert taken[-1] == faster


def test_thread_choice_follows_a_change_of_load(idle_machine):
    # Threads pay until the machine gets busy: then one thread is faster,
    # and two blocks on threads more than twice as slow end their round.
    choice = _network._ThreadChoice(2)
    clock = [0.0]
    taken, _ = run_rounds(choice, {2: 1.0, 1: 1.5}, 500, clock)
    assert taken[-1] == 2
    taken, n_blocks = run_rounds(choice, {2: 5.0, 1: 2.0}, 500, clock)
    # The threads lose the lead in their first round and lose again in the
    # next; then they wait 0.25, 0.5, 1 and 2 s (100 rounds a second).
    tries = [k for k, n in enumerate(taken) if n == 2]
    assert tries[:2] == [0, 1]
    assert_allclose(np.diff(tries[1:]) / 100, [0.25, 0.5, 1, 2], atol=0.03)
    n_single = len(taken) - len(tries)
    assert n_blocks == n_single * _network._ROUND_BLOCKS + 2 * len(tries)


def test_no_threads_while_other_processes_keep_the_cores_busy(monkeypatch):
    # Another process keeps one of two cores busy: the threads never get a
    # round, however fast they would be.
    monkeypatch.setattr(_network.os, "cpu_count", lambda: 2)
    clock = [0.0]
    monkeypatch.setattr(_network, "_busy_seconds", lambda: 1000 + 1.5 * clock[0])
    monkeypatch.setattr(_network.time, "process_time", lambda: 0.5 * clock[0])
    monkeypatch.setattr(_network.time, "perf_counter", lambda: clock[0])
    choice = _network._ThreadChoice(2)
    taken, _ = run_rounds(choice, {2: 0.1, 1: 1.0}, 1000, clock)
    assert set(taken) == {1}
    # Once the other process is done, they do.
    monkeypatch.setattr(_network, "_busy_seconds", lambda: 1000 + 0.5 * clock[0])
    taken, _ = run_rounds(choice, {2: 0.1, 1: 1.0}, 1000, clock)
    assert taken[-1] == 2


@pytest.mark.parametrize("others, idle", [(0.0, True), (0.4, True), (0.6, False)])
def test_other_work_counts_the_cores_others_keep_busy(monkeypatch, others, idle):
    monkeypatch.setattr(_network.os, "cpu_count", lambda: 2)
    clock = [0.0]
    monkeypatch.setattr(_network, "_busy_seconds", lambda: (1 + others) * clock[0])
    monkeypatch.setattr(_network.time, "process_time", lambda: clock[0])
    monkeypatch.setattr(_network.time, "perf_counter", lambda: clock[0])
    other_work = _network._OtherWork()
    assert not other_work.leaves(1, clock[0])  # nothing measured yet
    clock[0] = 1.0
    assert other_work.leaves(1, clock[0]) == idle


def test_other_work_without_proc_stat(monkeypatch):
    # Where the machine does not tell, the cores count as idle, and the
    # timing alone decides.
    monkeypatch.setattr(_network, "_busy_seconds", lambda: None)
    assert _network._OtherWork().leaves(1, time.perf_counter())


def test_fit_float32_end_to_end():
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    clf = SigmoidMLPClassifier(max_iter=2, random_state=0)
    with pytest.warns(Warning):
        clf.fit(X, y)
    params = itertools.chain(clf.coefs_, clf.intercepts_)
    assert all(p.dtype == np.float32 for p in params)
    assert clf.predict_proba(X).dtype == np.float32
    assert 0 < clf.loss_ < 0.5  # a mean quadratic cost over 10 outputs


@pytest.mark.parametrize("out_activation", ["logistic", "softmax"])
@pytest.mark.parametrize("sizes", [(64, 10), (64, 16, 12, 10)], ids=str)
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_chunked_prediction_equals_feedforward(out_activation, sizes, sparse):
    x, _, coefs, intercepts = make_problem(n=1100, sizes=sizes)
    want = _network.feedforward(x, coefs, intercepts, out_activation)
    data = sp.csr_matrix(x) if sparse else x
    out = np.empty_like(want)
    got = _network.feedforward_into(out, data, coefs, intercepts, out_activation)
    assert got is out
    assert_allclose(got, want, rtol=1e-13, atol=1e-15)


def test_chunked_prediction_converts_each_chunk_to_the_weights_dtype():
    x, _, coefs, intercepts = make_problem(n=1100)
    coefs32 = [w.astype(np.float32) for w in coefs]
    intercepts32 = [b.astype(np.float32) for b in intercepts]
    want = _network.feedforward(x.astype(np.float32), coefs32, intercepts32)
    out = np.empty(want.shape, np.float32)
    _network.feedforward_into(out, x, coefs32, intercepts32)
    assert_allclose(out, want, rtol=1e-6)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf], ids=str)
@pytest.mark.parametrize("row", [0, 4700, 9999])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_predict_checks_every_chunk_for_nan_and_inf(bad, row, dtype):
    # The check of X is made in the forward pass, by chunks shared among
    # threads: a NaN or infinity anywhere gives validate_data's error.
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(dtype)
    with pytest.warns(Warning):
        clf = SigmoidMLPClassifier(max_iter=1, random_state=0).fit(X, y)
    X_big = np.tile(X, (6, 1))[:10_000]
    X_big[row, 3] = bad
    match = "Input X contains NaN" if np.isnan(bad) else "Input X contains infinity"
    for method in (clf.predict, clf.predict_proba, clf.predict_log_proba):
        with pytest.raises(ValueError, match=match):
            method(X_big)
    with pytest.raises(ValueError, match=match):
        clf.predict(sp.csr_matrix(X_big))
