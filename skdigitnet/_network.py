"""The book's network: small functions over numpy arrays, and nothing else.

This module is the mathematics of chapters 1 to 3 of Nielsen's *Neural
Networks and Deep Learning*, vectorised over a mini-batch and read next to
the text: the sigmoid neuron, the costs, the initialisation,
``feedforward``, ``backprop``, ``update_mini_batch`` and the epoch loop. It
imports nothing of the package and knows nothing about scikit-learn.

It is the specification: the buffered dense epoch of
:mod:`skdigitnet._buffered` is pinned to :func:`sgd_epoch` by
``tests/test_buffered.py``, and sparse input trains here.

Conventions. Rows are samples: a mini-batch ``x`` has shape
``(m, n_features)``. The book's ``weights[l]`` of shape ``(n_out, n_in)`` is
stored transposed, as ``coefs[l]`` of shape ``(n_in, n_out)``, so that the
book's ``w @ a + b`` for one column vector becomes ``a @ coefs[l] + b`` for a
whole batch. ``intercepts[l]`` is the book's ``biases[l]`` as a 1-D array.
"""

from typing import NamedTuple

import numpy as np
from scipy.special import expit, xlogy

# Activations are clipped this far from 0 and 1 before a logarithm is taken.
_EPS = {np.dtype(np.float32): 1e-7, np.dtype(np.float64): 1e-15}


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


def quadratic_delta(a, y, out=None):
    """Return the quadratic cost's output error (BP1), ``(a - y) a (1 - a)``.

    ``sigmoid_prime(z)`` of the output layer is ``a * (1 - a)``.
    """
    delta = np.subtract(a, y, out=out)
    delta *= a
    delta *= 1 - a
    return delta


def cancelled_delta(a, y, out=None):
    """Return the output error ``a - y`` of the cross-entropy and log-likelihood.

    Chapter 3: with sigmoid outputs (cross-entropy) or softmax outputs
    (log-likelihood) the ``sigmoid_prime`` factor of (BP1) cancels.
    """
    return np.subtract(a, y, out=out)


class Loss(NamedTuple):
    """What a loss name means.

    The output layer's function (its name, as ``out_activation_``, and
    itself), the cost summed over a batch, and the output error
    ``delta = dC/dz`` (BP1).
    """

    out_activation: str
    activation: object
    cost: object
    delta: object


LOSSES = {
    "squared_error": Loss("logistic", sigmoid, squared_error, quadratic_delta),
    "cross_entropy": Loss("logistic", sigmoid, cross_entropy, cancelled_delta),
    "log_loss": Loss("softmax", softmax, log_likelihood, cancelled_delta),
}


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


def finite_weighted_input(z):
    """Return the weighted input ``z``; raise if it overflowed to inf or NaN.

    Products outside numpy's ufuncs report no floating-point error (scipy's
    BLAS ``gemm``, a sparse product, ``numpy.dot`` before numpy 2), and
    whether an overflow in them gives +-inf or NaN depends on the BLAS
    kernel: one that accumulates with fused multiply-adds keeps +-inf. The
    sigmoid maps +-inf to exactly 1 or 0, whose derivative is 0: no gradient
    would pass back to the weights and the overflow, with the divergence it
    means, would go unnoticed. Raises ``FloatingPointError``, as numpy's
    ``errstate(over="raise")`` does for its own operations.
    """
    if not np.isfinite(z).all():
        raise FloatingPointError("overflow in a layer's weighted input")
    return z


def feedforward(a, coefs, intercepts, loss="squared_error"):
    """Return the output of the network for the input rows ``a``.

    ``a`` has shape ``(m, n_features)`` (dense or scipy sparse); the result
    has shape ``(m, n_out)``. The output layer's function is the loss's.
    """
    for w, b in zip(coefs[:-1], intercepts[:-1]):
        a = sigmoid(a @ w + b)
    return LOSSES[loss].activation(a @ coefs[-1] + intercepts[-1])


def hidden_activations(a, coefs, intercepts):
    """Return the activations of every hidden layer for the input rows ``a``."""
    activations = []
    for w, b in zip(coefs[:-1], intercepts[:-1]):
        a = sigmoid(a @ w + b)
        activations.append(a)
    return activations


def backprop(x, y, coefs, intercepts, loss="squared_error", sample_weight=None):
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
    activations = [x]
    for w, b in zip(coefs[:-1], intercepts[:-1]):
        z = finite_weighted_input(activations[-1] @ w + b)
        activations.append(sigmoid(z))
    z = finite_weighted_input(activations[-1] @ coefs[-1] + intercepts[-1])
    activations.append(LOSSES[loss].activation(z))

    cost_sum = LOSSES[loss].cost(y, activations[-1], sample_weight)
    delta = LOSSES[loss].delta(activations[-1], y)  # (BP1)
    if sample_weight is not None:
        delta *= sample_weight[:, np.newaxis]

    nabla_w = [None] * len(coefs)
    nabla_b = [None] * len(coefs)
    # The book's loop runs l = 2, 3, ... back from the output after setting
    # the output layer's gradients; here l = 1, the output layer, is the
    # loop's first pass. Layer -l is the book's, activations[-l - 1] feeds it,
    # and a * (1 - a) is sigmoid_prime(z) from the activations kept.
    for l in range(1, len(coefs) + 1):  # noqa: E741 (the book's l)
        if l > 1:
            a = activations[-l]
            delta = (delta @ coefs[-l + 1].T) * a * (1 - a)  # (BP2)
        nabla_b[-l] = delta.sum(axis=0)  # (BP3)
        nabla_w[-l] = np.asarray(activations[-l - 1].T @ delta)  # (BP4)
    return nabla_w, nabla_b, cost_sum


def update_mini_batch(
    x, y, coefs, intercepts, optimizer, loss="squared_error", sample_weight=None
):
    """One step of gradient descent on the mini-batch ``(x, y)``, in place.

    The gradient of the batch's mean cost, ``nabla_w / m`` and
    ``nabla_b / m``, where ``m`` is the batch size (the sum of
    ``sample_weight`` when given; a batch whose weights are all 0 takes no
    step), with chapter 3's L2 term ``alpha * w / m`` for the weights, is
    handed to ``optimizer.update_params``. For the book's plain rule that is
    ``w -> w - (eta/m) nabla_w``, ``b -> b - (eta/m) nabla_b``.

    ``optimizer`` has an ``alpha`` and an ``update_params(params, grads)``
    (see :class:`skdigitnet._optimizer.SGDOptimizer`).

    Returns
    -------
    cost_sum : float
        The batch's summed cost before the step, without the L2 term.
    """
    nabla_w, nabla_b, cost_sum = backprop(x, y, coefs, intercepts, loss, sample_weight)
    m = x.shape[0] if sample_weight is None else sample_weight.sum()
    if m == 0:
        # Samples that all weigh 0 carry no gradient: no step, not 0 / 0.
        return cost_sum
    if optimizer.alpha:
        for nw, w in zip(nabla_w, coefs):
            nw += optimizer.alpha * w
    grads = [g / m for g in nabla_w + nabla_b]
    optimizer.update_params(coefs + intercepts, grads)
    return cost_sum


def sgd_epoch(
    x,
    y,
    order,
    batch_size,
    coefs,
    intercepts,
    optimizer,
    loss="squared_error",
    sample_weight=None,
):
    """One epoch of mini-batch SGD over the rows ``x[order]``, in place.

    The book's ``SGD`` loop for one epoch: the mini-batches are
    ``order[k:k + batch_size]``, taken in turn, each one step of
    :func:`update_mini_batch`. Shuffle ``order``, not the data.

    Returns
    -------
    cost_sum : float
        The summed cost of all batches, each taken before its step.
    """
    cost_sum = 0.0
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        sw = None if sample_weight is None else sample_weight[batch]
        cost_sum += update_mini_batch(
            x[batch], y[batch], coefs, intercepts, optimizer, loss, sw
        )
    return cost_sum
