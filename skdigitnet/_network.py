"""The book's network as small pure functions over numpy arrays.

This module is the mathematics of chapter 1 of Nielsen's *Neural Networks and
Deep Learning* (and the costs of chapter 3), vectorised over a mini-batch.
It knows nothing about scikit-learn.

Conventions. Rows are samples: a mini-batch ``x`` has shape
``(m, n_features)``. The book's ``weights[l]`` of shape ``(n_out, n_in)`` is
stored transposed, as ``coefs[l]`` of shape ``(n_in, n_out)``, so that the
book's ``w @ a + b`` for one column vector becomes ``a @ coefs[l] + b`` for a
whole batch. ``intercepts[l]`` is the book's ``biases[l]`` as a 1-D array.
"""

import numpy as np
from scipy.special import expit, xlogy


def sigmoid(z, out=None):
    """Compute the sigmoid function ``1 / (1 + exp(-z))`` elementwise.

    ``scipy.special.expit`` neither overflows nor warns for any finite ``z``,
    and keeps float32 as float32.
    """
    return expit(z, out=out)


def sigmoid_prime(z):
    """Compute the sigmoid's derivative, ``sigmoid(z) * (1 - sigmoid(z))``."""
    s = sigmoid(z)
    return s * (1 - s)


def softmax(z, out=None):
    """Softmax over the last axis of ``z`` of shape ``(m, n_out)``.

    The row maximum is subtracted first, so ``exp`` never overflows.
    """
    # A row spanning more than the float range gives -inf, and exp of a very
    # negative number underflows: both round to the right probability, 0.
    with np.errstate(over="ignore", under="ignore"):
        out = np.subtract(z, z.max(axis=1, keepdims=True), out=out)
        np.exp(out, out=out)
        out /= out.sum(axis=1, keepdims=True)
    return out


OUT_ACTIVATIONS = {"logistic": sigmoid, "softmax": softmax}

# Activations are clipped this far from 0 and 1 before a logarithm is taken.
_EPS = {np.dtype(np.float32): 1e-7, np.dtype(np.float64): 1e-15}


def squared_error(y, a, sample_weight=None):
    """Sum the book's quadratic cost ``1/2 ||y - a||^2`` over the batch.

    ``y`` and ``a`` have shape ``(m, n_out)``; ``sample_weight``, if given,
    shape ``(m,)``. Divide by ``m`` for the book's ``C = 1/2n sum ||y - a||^2``.
    """
    # A square too small for the dtype underflows to 0, its right value.
    with np.errstate(under="ignore"):
        per_sample = 0.5 * np.square(y - a).sum(axis=1)
    return _weighted_sum(per_sample, sample_weight)


def cross_entropy(y, a, sample_weight=None):
    """Sum chapter 3's cross-entropy of sigmoid outputs over the batch.

    ``-sum [y ln a + (1 - y) ln (1 - a)]`` over the outputs of each sample.
    """
    eps = _EPS[a.dtype]
    a = np.clip(a, eps, 1 - eps)
    with np.errstate(under="ignore"):
        per_sample = -(xlogy(y, a) + xlogy(1 - y, 1 - a)).sum(axis=1)
    return _weighted_sum(per_sample, sample_weight)


def log_likelihood(y, a, sample_weight=None):
    """Sum chapter 3's log-likelihood of softmax outputs, ``-sum y ln a``."""
    eps = _EPS[a.dtype]
    with np.errstate(under="ignore"):
        per_sample = -xlogy(y, np.clip(a, eps, 1)).sum(axis=1)
    return _weighted_sum(per_sample, sample_weight)


def _weighted_sum(per_sample, sample_weight):
    if sample_weight is None:
        return float(per_sample.sum())
    with np.errstate(under="ignore"):  # tiny costs times tiny weights
        return float(per_sample @ sample_weight)


COSTS = {
    "squared_error": squared_error,
    "cross_entropy": cross_entropy,
    "log_loss": log_likelihood,
}


def output_delta(a, y, cost, out=None):
    """Compute the output layer's error ``delta = dC/dz`` for each sample.

    For the quadratic cost this is the book's (BP1),
    ``(a - y) * sigmoid_prime(z)``, with ``sigmoid_prime(z) = a (1 - a)``.
    The cross-entropy (with sigmoid outputs) and the log-likelihood (with
    softmax outputs) cancel the ``sigmoid_prime`` factor and leave ``a - y``.
    """
    delta = np.subtract(a, y, out=out)
    if cost == "squared_error":
        delta *= a
        delta *= 1 - a
    return delta


def init_params(sizes, random_state, dtype=np.float64, weight_init="gaussian"):
    """Draw the weights and biases of a network with layer sizes ``sizes``.

    As in the book, biases and then weights are drawn from N(0, 1), in that
    order and shape, from ``random_state``, a ``numpy.random.RandomState`` or
    ``Generator``. With ``weight_init="scaled"`` the weights are divided by
    ``sqrt(n_in)`` (chapter 3's improved initialisation, N(0, 1/n_in)).

    Returns
    -------
    coefs : list of ndarray of shape (n_in, n_out)
    intercepts : list of ndarray of shape (n_out,)
    """
    biases = [random_state.standard_normal((y, 1)) for y in sizes[1:]]
    weights = [
        random_state.standard_normal((y, x)) for x, y in zip(sizes[:-1], sizes[1:])
    ]
    if weight_init == "scaled":
        weights = [w / np.sqrt(w.shape[1]) for w in weights]
    coefs = [np.ascontiguousarray(w.T, dtype=dtype) for w in weights]
    intercepts = [b.ravel().astype(dtype) for b in biases]
    return coefs, intercepts


def feedforward(a, coefs, intercepts, out_activation="logistic"):
    """Return the output of the network for the input rows ``a``.

    ``a`` has shape ``(m, n_features)`` (dense or scipy sparse); the result
    has shape ``(m, n_out)``.
    """
    *hidden, (w_out, b_out) = zip(coefs, intercepts)
    for w, b in hidden:
        a = sigmoid(a @ w + b)
    return OUT_ACTIVATIONS[out_activation](a @ w_out + b_out)


def hidden_activations(a, coefs, intercepts):
    """Return the activations of every hidden layer for the input rows ``a``."""
    activations = []
    for w, b in zip(coefs[:-1], intercepts[:-1]):
        a = sigmoid(a @ w + b)
        activations.append(a)
    return activations


def backprop(x, y, coefs, intercepts, cost="squared_error", sample_weight=None):
    """Gradient of the cost summed over the mini-batch ``(x, y)``.

    The book's four equations of backpropagation, for all ``m`` samples of
    the batch at once: one matrix product per layer and direction, no loop
    over samples. With ``sample_weight`` each sample's cost is weighted.

    Returns
    -------
    nabla_w : list of ndarray, shaped like ``coefs``
    nabla_b : list of ndarray, shaped like ``intercepts``
    cost_sum : float
        The batch's summed cost before the step.
    """
    out_activation = "softmax" if cost == "log_loss" else "logistic"
    activations = [x]
    for w, b in zip(coefs[:-1], intercepts[:-1]):
        activations.append(sigmoid(activations[-1] @ w + b))
    z = activations[-1] @ coefs[-1] + intercepts[-1]
    activations.append(OUT_ACTIVATIONS[out_activation](z))

    cost_sum = COSTS[cost](y, activations[-1], sample_weight)
    delta = output_delta(activations[-1], y, cost)
    if sample_weight is not None:
        delta *= sample_weight[:, np.newaxis]

    nabla_w = [None] * len(coefs)
    nabla_b = [None] * len(coefs)
    # The book counts layers back from the output with l = 1, 2, ...;
    # here layer -l is the same layer, and activations[-l - 1] feeds it.
    for l in range(1, len(coefs) + 1):  # noqa: E741 (the book's l)
        if l > 1:
            a = activations[-l]
            delta = (delta @ coefs[-l + 1].T) * a * (1 - a)
        nabla_b[-l] = delta.sum(axis=0)
        nabla_w[-l] = np.asarray(activations[-l - 1].T @ delta)
    return nabla_w, nabla_b, cost_sum


def update_mini_batch(
    x,
    y,
    coefs,
    intercepts,
    eta,
    cost="squared_error",
    sample_weight=None,
    alpha=0.0,
    velocities=None,
    momentum=0.0,
    nesterov=False,
):
    """One step of stochastic gradient descent on the batch ``(x, y)``, in place.

    The book's rule ``w -> w - (eta/m) nabla_w``, ``b -> b - (eta/m) nabla_b``,
    where ``m`` is the batch size (the sum of ``sample_weight`` when given;
    a batch whose weights are all 0 takes no step).
    ``alpha`` adds the L2 term ``alpha * w / m`` to the weights' gradient. With
    ``velocities`` (arrays shaped like ``coefs + intercepts``) the step uses
    momentum: ``v -> momentum * v - eta * grad``, ``w -> w + v`` (Nesterov:
    ``w -> w + momentum * v - eta * grad``).

    Returns
    -------
    cost_sum : float
        The batch's summed cost before the step, without the L2 term.
    """
    nabla_w, nabla_b, cost_sum = backprop(x, y, coefs, intercepts, cost, sample_weight)
    m = x.shape[0] if sample_weight is None else sample_weight.sum()
    if m == 0:
        # Samples that all weigh 0 carry no gradient: no step, not 0 / 0.
        return cost_sum
    if alpha:
        for nw, w in zip(nabla_w, coefs):
            nw += alpha * w
    params = coefs + intercepts
    grads = [g / m for g in nabla_w + nabla_b]
    if velocities is None:
        for p, g in zip(params, grads):
            p -= eta * g
    else:
        for p, g, v in zip(params, grads, velocities):
            v *= momentum
            v -= eta * g
            if nesterov:
                p += momentum * v - eta * g
            else:
                p += v
    return cost_sum


def sgd_epoch(
    x,
    y,
    order,
    batch_size,
    coefs,
    intercepts,
    eta,
    cost="squared_error",
    sample_weight=None,
    alpha=0.0,
    velocities=None,
    momentum=0.0,
    nesterov=False,
):
    """One epoch of mini-batch SGD over the rows ``x[order]``, in place.

    The mini-batches are ``order[k:k + batch_size]``, taken in turn and
    passed to :func:`update_mini_batch`: shuffle ``order``, not the data.

    Returns
    -------
    cost_sum : float
        The summed cost of all batches, each taken before its step.
    """
    cost_sum = 0.0
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        cost_sum += update_mini_batch(
            x[batch],
            y[batch],
            coefs,
            intercepts,
            eta,
            cost,
            None if sample_weight is None else sample_weight[batch],
            alpha,
            velocities,
            momentum,
            nesterov,
        )
    return cost_sum
