"""Tests of the pure functions of skdigitnet._network against the book."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose, assert_array_equal

from skdigitnet._network import (
    LOSSES,
    backprop,
    feedforward,
    init_params,
    sgd_epoch,
    sigmoid,
    sigmoid_prime,
    softmax,
    update_mini_batch,
)
from skdigitnet._optimizer import SGDOptimizer

COST_NAMES = ["squared_error", "cross_entropy", "log_loss"]
SIZES = {"1 hidden": [4, 5, 3], "2 hidden": [4, 5, 4, 3]}


def make_batch(sizes, cost, m=7, seed=0):
    """A mini-batch, its targets and a network with layer sizes ``sizes``."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, size=(m, sizes[0]))
    if cost == "log_loss":
        y = np.eye(sizes[-1])[rng.integers(sizes[-1], size=m)]
    else:
        # Any 0/1 targets: sigmoid outputs need not sum to one.
        y = rng.integers(2, size=(m, sizes[-1])).astype(np.float64)
    coefs, intercepts = init_params(sizes, rng)
    return x, y, coefs, intercepts


# --- gradient check -------------------------------------------------------


def total_cost(x, y, coefs, intercepts, cost, sample_weight):
    a = feedforward(x, coefs, intercepts, cost)
    return LOSSES[cost].cost(y, a, sample_weight)


def numerical_gradient(x, y, coefs, intercepts, cost, sample_weight, h=1e-6):
    """Central finite differences of the summed cost, parameter by parameter."""
    grads = []
    for p in coefs + intercepts:
        g = np.empty_like(p)
        for i in np.ndindex(p.shape):
            old = p[i]
            p[i] = old + h
            plus = total_cost(x, y, coefs, intercepts, cost, sample_weight)
            p[i] = old - h
            minus = total_cost(x, y, coefs, intercepts, cost, sample_weight)
            p[i] = old
            g[i] = (plus - minus) / (2 * h)
        grads.append(g)
    return grads


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("cost", COST_NAMES)
@pytest.mark.parametrize("sizes", SIZES.values(), ids=SIZES.keys())
def test_backprop_matches_finite_differences(sizes, cost, weighted):
    x, y, coefs, intercepts = make_batch(sizes, cost)
    sample_weight = None
    if weighted:
        sample_weight = np.random.default_rng(1).uniform(0, 3, size=x.shape[0])

    nabla_w, nabla_b, cost_sum = backprop(x, y, coefs, intercepts, cost, sample_weight)
    expected = numerical_gradient(x, y, coefs, intercepts, cost, sample_weight)

    for g, p in zip(nabla_w + nabla_b, coefs + intercepts):
        assert g.shape == p.shape
    got = np.concatenate([g.ravel() for g in nabla_w + nabla_b])
    want = np.concatenate([g.ravel() for g in expected])
    rel_error = np.linalg.norm(got - want) / np.linalg.norm(got + want)
    assert rel_error < 1e-6
    assert cost_sum == pytest.approx(
        total_cost(x, y, coefs, intercepts, cost, sample_weight), rel=1e-12
    )


def test_backprop_weights_scale_each_sample():
    # An integer weight is the same as repeating the row in the batch.
    x, y, coefs, intercepts = make_batch(SIZES["2 hidden"], "squared_error", m=4)
    weights = np.array([1.0, 2.0, 0.0, 3.0])
    repeat = np.repeat(np.arange(4), weights.astype(int))
    weighted = backprop(x, y, coefs, intercepts, sample_weight=weights)
    repeated = backprop(x[repeat], y[repeat], coefs, intercepts)
    for a, b in zip(weighted[0] + weighted[1], repeated[0] + repeated[1]):
        assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    assert weighted[2] == pytest.approx(repeated[2], rel=1e-12)


# --- parity with the book's per-example network.py --------------------------


def book_sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def book_sigmoid_prime(z):
    return book_sigmoid(z) * (1 - book_sigmoid(z))


def book_backprop(x, y, weights, biases, cost):
    """The book's ``Network.backprop`` for one column vector ``x``."""
    nabla_b = [np.zeros(b.shape) for b in biases]
    nabla_w = [np.zeros(w.shape) for w in weights]
    activation = x
    activations = [x]
    zs = []
    for b, w in zip(biases, weights):
        z = np.dot(w, activation) + b
        zs.append(z)
        activation = book_sigmoid(z)
        activations.append(activation)
    # cost_derivative(a, y) = a - y; chapter 3's cross-entropy drops sigma'(z).
    delta = activations[-1] - y
    if cost == "squared_error":
        delta = delta * book_sigmoid_prime(zs[-1])
    nabla_b[-1] = delta
    nabla_w[-1] = np.dot(delta, activations[-2].transpose())
    for l in range(2, len(weights) + 1):  # noqa: E741 (the book's l)
        sp_ = book_sigmoid_prime(zs[-l])
        delta = np.dot(weights[-l + 1].transpose(), delta) * sp_
        nabla_b[-l] = delta
        nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())
    return nabla_b, nabla_w


def book_update_mini_batch(mini_batch, eta, weights, biases, cost):
    """The book's ``Network.update_mini_batch``; returns the new parameters."""
    nabla_b = [np.zeros(b.shape) for b in biases]
    nabla_w = [np.zeros(w.shape) for w in weights]
    for x, y in mini_batch:
        delta_nabla_b, delta_nabla_w = book_backprop(x, y, weights, biases, cost)
        nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
        nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
    weights = [w - (eta / len(mini_batch)) * nw for w, nw in zip(weights, nabla_w)]
    biases = [b - (eta / len(mini_batch)) * nb for b, nb in zip(biases, nabla_b)]
    return weights, biases


def as_book(coefs, intercepts):
    weights = [c.T for c in coefs]
    biases = [b[:, None] for b in intercepts]
    return weights, biases


def as_mini_batch(x, y):
    return [(xi[:, None], yi[:, None]) for xi, yi in zip(x, y)]


@pytest.mark.parametrize("cost", ["squared_error", "cross_entropy"])
@pytest.mark.parametrize("sizes", SIZES.values(), ids=SIZES.keys())
def test_update_mini_batch_matches_book(sizes, cost):
    x, y, coefs, intercepts = make_batch(sizes, cost, m=10)
    y = np.eye(sizes[-1])[np.arange(10) % sizes[-1]]
    eta = 3.0
    weights, biases = book_update_mini_batch(
        as_mini_batch(x, y), eta, *as_book(coefs, intercepts), cost
    )

    update_mini_batch(x, y, coefs, intercepts, SGDOptimizer([], eta), cost)

    for w, b, c, i in zip(weights, biases, *as_book(coefs, intercepts)):
        assert_allclose(c, w, rtol=1e-12, atol=1e-12)
        assert_allclose(i, b, rtol=1e-12, atol=1e-12)


def test_sgd_epoch_matches_book_mini_batches():
    # The book's epoch: mini_batches = training_data[k:k + mini_batch_size],
    # here over the rows in the given order, the last batch shorter.
    sizes = SIZES["2 hidden"]
    x, y, coefs, intercepts = make_batch(sizes, "squared_error", m=23)
    order = np.random.default_rng(5).permutation(23)
    weights, biases = as_book(coefs, intercepts)
    data = as_mini_batch(x[order], y[order])
    for k in range(0, 23, 10):
        weights, biases = book_update_mini_batch(
            data[k : k + 10], 0.5, weights, biases, "squared_error"
        )

    sgd_epoch(x, y, order, 10, coefs, intercepts, SGDOptimizer([], 0.5))

    for w, b, c, i in zip(weights, biases, *as_book(coefs, intercepts)):
        assert_allclose(c, w, rtol=1e-12, atol=1e-12)
        assert_allclose(i, b, rtol=1e-12, atol=1e-12)


def test_feedforward_matches_book_columns_and_sparse():
    x, _, coefs, intercepts = make_batch(SIZES["2 hidden"], "squared_error")
    weights, biases = as_book(coefs, intercepts)
    rows = feedforward(x, coefs, intercepts)
    for xi, out in zip(x, rows):
        a = xi[:, None]
        for b, w in zip(biases, weights):
            a = book_sigmoid(np.dot(w, a) + b)
        assert_allclose(out, a.ravel(), rtol=1e-12)
    x[x < 0.5] = 0
    assert_allclose(
        feedforward(sp.csr_matrix(x), coefs, intercepts),
        feedforward(x, coefs, intercepts),
        rtol=1e-12,
    )


@pytest.mark.parametrize("seed", [0, 42])
def test_init_params_follows_book_order(seed):
    # The book: biases = [randn(y, 1) ...], then weights = [randn(y, x) ...].
    sizes = [6, 5, 4, 3]
    book = np.random.RandomState(seed)
    biases = [book.randn(y, 1) for y in sizes[1:]]
    weights = [book.randn(y, x) for x, y in zip(sizes[:-1], sizes[1:])]

    coefs, intercepts = init_params(sizes, np.random.RandomState(seed))

    assert [c.shape for c in coefs] == [(6, 5), (5, 4), (4, 3)]
    for c, w in zip(coefs, weights):
        assert_array_equal(c, w.T)
    for i, b in zip(intercepts, biases):
        assert_array_equal(i, b.ravel())

    # A Generator draws in the same order from its own stream.
    rng = np.random.default_rng(seed)
    biases = [rng.standard_normal((y, 1)) for y in sizes[1:]]
    weights = [rng.standard_normal((y, x)) for x, y in zip(sizes[:-1], sizes[1:])]
    coefs, intercepts = init_params(sizes, np.random.default_rng(seed))
    for c, w, i, b in zip(coefs, weights, intercepts, biases):
        assert_array_equal(c, w.T)
        assert_array_equal(i, b.ravel())


def test_init_params_scaled_and_float32():
    sizes = [9, 4, 2]
    coefs, intercepts = init_params(sizes, np.random.RandomState(0))
    scaled, scaled_b = init_params(
        sizes, np.random.RandomState(0), weight_init="scaled"
    )
    # Chapter 3: weights / sqrt(n_in), biases unchanged.
    for c, s, n_in in zip(coefs, scaled, sizes):
        assert_allclose(s, c / np.sqrt(n_in), rtol=1e-15)
    for b, s in zip(intercepts, scaled_b):
        assert_array_equal(s, b)

    c32, b32 = init_params(sizes, np.random.RandomState(0), dtype=np.float32)
    for c, c_ in zip(coefs + intercepts, c32 + b32):
        assert c_.dtype == np.float32
        assert_array_equal(c_, c.astype(np.float32))
    assert all(c.flags.c_contiguous for c in c32)


# --- numerical safety of the activations --------------------------------


def finite_floats(dtype):
    width = np.finfo(dtype).bits
    return arrays(
        dtype,
        st.tuples(st.integers(1, 4), st.integers(1, 6)),
        elements=st.floats(allow_nan=False, allow_infinity=False, width=width),
    )


def extremes(dtype):
    big = np.finfo(dtype).max
    tiny = np.finfo(dtype).smallest_subnormal
    values = [-big, big, -1e38, 1e38, -1000, -745, -88, -1, -tiny, 0, tiny, 1, 88]
    values += [745, 1000]
    if dtype == np.float64:
        values += [-1e308, 1e308]
    return np.array(values, dtype=dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_extremes_in_range_without_warnings(dtype):
    z = extremes(dtype)
    with np.errstate(all="raise"):
        s = sigmoid(z)
        s_prime = sigmoid_prime(z)
    for values in (s, s_prime):
        assert values.dtype == dtype
        assert np.all((values >= 0) & (values <= 1))
    assert_array_equal(s[:2], [0, 1])
    assert s[list(z).index(0)] == 0.5
    assert s_prime[list(z).index(0)] == 0.25
    assert_array_equal(s_prime[:2], [0, 0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_extremes_rows_sum_to_one_without_warnings(dtype):
    z = extremes(dtype)
    rows = np.stack([z, z[::-1], np.zeros_like(z)])
    with np.errstate(all="raise"):
        p = softmax(rows.copy())
    assert p.dtype == dtype
    assert np.all((p >= 0) & (p <= 1))
    assert_allclose(p.sum(axis=1), 1, rtol=10 * np.finfo(dtype).eps)
    assert p[0, np.argmax(z)] == 1
    assert_allclose(p[2], 1 / z.size, rtol=10 * np.finfo(dtype).eps)


@settings(deadline=None, max_examples=50)
@given(z=st.one_of(finite_floats(np.float32), finite_floats(np.float64)))
def test_activations_never_warn_for_finite_input(z):
    with np.errstate(all="raise"):
        s = sigmoid(z)
        s_prime = sigmoid_prime(z)
        p = softmax(z.copy())
    for values in (s, s_prime, p):
        assert values.dtype == z.dtype
        assert np.all((values >= 0) & (values <= 1))
    assert_allclose(p.sum(axis=1), 1, rtol=10 * np.finfo(z.dtype).eps)
    # The largest input has the largest probability (ties allowed).
    rows = np.arange(z.shape[0])
    assert_array_equal(p[rows, z.argmax(axis=1)], p.max(axis=1))


def test_softmax_writes_to_out():
    z = np.array([[1.0, 2.0, 3.0]])
    out = np.empty_like(z)
    assert softmax(z, out=out) is out
    assert_allclose(out, np.exp(z) / np.exp(z).sum())
    assert_array_equal(z, [[1.0, 2.0, 3.0]])


def test_each_loss_delta_is_dcost_dz():
    # For each loss, its delta is the derivative of its cost with respect
    # to the output layer's weighted input z.
    rng = np.random.default_rng(0)
    z = rng.normal(size=(3, 4))
    y = np.eye(4)[[0, 3, 1]]
    h = 1e-6
    for cost in COST_NAMES:
        act, cost_fn = LOSSES[cost].activation, LOSSES[cost].cost
        delta = LOSSES[cost].delta(act(z.copy()), y)
        numeric = np.empty_like(z)
        for i in np.ndindex(z.shape):
            zp, zm = z.copy(), z.copy()
            zp[i] += h
            zm[i] -= h
            numeric[i] = (cost_fn(y, act(zp)) - cost_fn(y, act(zm))) / (2 * h)
        assert_allclose(delta, numeric, rtol=1e-6, atol=1e-9)
