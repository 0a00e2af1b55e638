"""The buffered dense paths: the book's epoch and forward pass, without waste.

:func:`sgd_epoch` reproduces :func:`skdigitnet._network.sgd_epoch` (its
mini-batches, :func:`~skdigitnet._network.backprop` and
:func:`~skdigitnet._network.update_mini_batch`, through the same
:class:`~skdigitnet._optimizer.SGDOptimizer`) for dense float arrays, and
:func:`feedforward_into` reproduces :func:`skdigitnet._network.feedforward`.
``tests/test_buffered.py`` pins both to those functions: weights, velocities
and costs within 1e-10 after several epochs in float64 (float32, rounded in
another order, within float32's precision), for every update rule, loss,
shape and batch size, with and without sample weights.

What makes them faster, at the book's small batches where little time goes
into the arithmetic itself:

- each layer's weights and biases share one Fortran-ordered array ``p`` of
  shape ``(n_in + 1, n_out)``, the biases as its last row, and each layer's
  input ``a`` ends in a column of ones. Then ``a @ p`` is the book's
  ``w a + b``, and one BLAS call gives ``a.T @ delta``, ``nabla_w`` above
  ``nabla_b``, for one call of the update rule per layer;
- rows are gathered about ``_BLOCK_ROWS`` at a time into preallocated
  buffers, each mini-batch being a slice of them, and the cost of a block is
  evaluated once, from the output activations kept for it;
- prediction goes through the network ``_PREDICT_ROWS`` rows at a time, in
  the same buffers, so that its working memory does not grow with the data.

Both paths use the book's :func:`~skdigitnet._network.sigmoid`, as training
does: prediction on a chunk of rows gives bit for bit what
:func:`~skdigitnet._network.feedforward` gives on the same rows.
"""

import numpy as np
from scipy.linalg import get_blas_funcs

from ._network import LOSSES, finite_weighted_input, sigmoid

# Rows gathered at a time (a whole number of mini-batches): few enough to
# stay in cache, enough to make the gather's and the cost's per-call overhead
# small per mini-batch.
_BLOCK_ROWS = 256

# Rows that prediction takes through the network at a time: few enough that
# the working memory stays a few MiB (a chunk of 784 float32 inputs converted
# to float64 takes 12 MiB), enough that each product is large. With BLAS
# threads on a busy machine, 60,000 rows took 1.3 to 1.7 times longer in
# chunks of 512 rows than of 2048.
_PREDICT_ROWS = 2048


def can_train(x, y, coefs, sample_weight):
    """Whether :func:`sgd_epoch` takes these arrays: dense, of one float dtype."""
    dtype = coefs[0].dtype
    arrays = [x, y] + ([] if sample_weight is None else [sample_weight])
    return dtype in (np.float32, np.float64) and all(
        isinstance(a, np.ndarray) and a.dtype == dtype for a in arrays
    )


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
    """:func:`skdigitnet._network.sgd_epoch` for dense arrays, in buffers.

    ``x``, ``y`` and ``sample_weight`` share the weights' dtype (see
    :func:`can_train`). ``coefs``, ``intercepts`` and the optimizer's
    velocities are updated in place, also when an error interrupts the
    epoch: they then hold the steps taken.

    Returns
    -------
    cost_sum : float
        The summed cost of all batches, each taken before its step.
    """
    net = _Layers(coefs, intercepts, optimizer)
    block_rows = batch_size * max(1, _BLOCK_ROWS // batch_size)
    blocks = _Blocks(x, y, sample_weight, block_rows)
    steps = _Steps(net, [x.shape[1]] + [w.shape[1] for w in coefs], batch_size)
    cost = LOSSES[loss].cost
    cost_sum = 0.0
    try:
        for start in range(0, len(order), block_rows):
            x_rows, y_rows, out_rows, sw_rows = blocks.gather(
                order[start : start + block_rows]
            )
            for k in range(0, len(x_rows), batch_size):
                batch = slice(k, k + batch_size)
                sw = None if sw_rows is None else sw_rows[batch]
                steps.take(x_rows[batch], y_rows[batch], out_rows[batch], sw, loss)
            cost_sum += cost(y_rows, out_rows, sw_rows)
    finally:
        net.write_back(coefs, intercepts)
    return cost_sum


class _Layers:
    """The weights, biases and velocities of each layer, stacked.

    ``params[l]`` holds layer ``l``'s weights above its biases (see the
    module's docstring), ``velocities[l]`` its velocities likewise, or
    ``None``.
    """

    def __init__(self, coefs, intercepts, optimizer):
        self.optimizer = optimizer
        self.params = [_stack(w, b) for w, b in zip(coefs, intercepts)]
        self.velocities = [None] * len(coefs)
        self.layer_velocities = optimizer.layer_velocities()
        if self.layer_velocities is not None:
            self.velocities = [_stack(vw, vb) for vw, vb in self.layer_velocities]
        self.gemm = get_blas_funcs("gemm", dtype=coefs[0].dtype)

    def step(self, l, scale, a, delta, grad):  # noqa: E741 (the book's l)
        """Step layer ``l`` given its input ``a`` (with the ones) and error.

        The gradient of the mean cost is ``scale * a.T @ delta`` for
        ``scale = 1 / m``, plus the L2 term of the weights; ``grad`` receives
        it, unless the plain rule takes it in the same BLAS call.
        """
        # gemm(alpha, a, b, beta, c, trans_a, trans_b, overwrite_c) sets
        # c = alpha * a @ b.T + beta * c: a.T and delta.T of C-ordered a and
        # delta are Fortran-ordered, as BLAS wants, and nothing is copied.
        opt, p = self.optimizer, self.params[l]
        eta = opt.folded_rate()
        if eta is not None:
            # The book's plain rule, p -= eta * grad, folded into the
            # product that gives grad: one BLAS call, 15 to 20% faster at
            # the book's settings than the product and the rule apart.
            self.gemm(-scale * eta, a.T, delta.T, 1.0, p, 0, 1, 1)
            return
        self.gemm(scale, a.T, delta.T, 0.0, grad, 0, 1, 1)
        opt.add_l2_gradient(grad[:-1], p[:-1], scale)
        opt.step(p, grad, self.velocities[l])

    def write_back(self, coefs, intercepts):
        """Copy the stacked arrays back into the caller's and the optimizer's."""
        for p, w, b in zip(self.params, coefs, intercepts):
            w[...], b[...] = p[:-1], p[-1]
        for s, (vw, vb) in zip(self.velocities, self.layer_velocities or []):
            vw[...], vb[...] = s[:-1], s[-1]

    def forward(self, l, a, z):  # noqa: E741
        """Write layer ``l``'s weighted input ``a @ p`` into ``z``; return it."""
        # z.T = p.T @ a.T: the transposes of C-ordered a and z are
        # Fortran-ordered, as BLAS wants.
        return self.gemm(1.0, self.params[l], a.T, 0.0, z.T, 1, 0, 1).T

    def backward(self, l, delta, out):  # noqa: E741
        """Write ``delta @ p.T`` into ``out``, of shape ``(m, n_in + 1)``.

        Its first ``n_in`` columns are (BP2)'s ``delta @ w.T``; the last, from
        the biases, is not used. In the same BLAS as the other products: with
        numpy's own BLAS for this one, two pools of BLAS threads took turns
        on the same cores, 3.5 times slower at 784-500-10 on two cores.
        """
        # out.T = p @ delta.T, all three Fortran-ordered as BLAS wants.
        return self.gemm(1.0, self.params[l], delta.T, 0.0, out.T, 0, 0, 1).T


class _Steps:
    """The buffers of one mini-batch step, and the step itself.

    For a network of layer sizes ``sizes`` and batches of up to
    ``batch_size`` rows: ``inputs[l]``, layer ``l``'s input with its column
    of ones (``inputs[0]``, the batch, is set by each step), and
    ``hidden[l]`` the same without the ones; ``zs[l]`` and
    ``deltas[l]``, layer ``l``'s weighted input and error (a hidden layer's
    ``zs[l]`` then holds its activations too); ``grads[l]``, shaped as
    ``params[l]``.
    """

    def __init__(self, net, sizes, batch_size):
        dtype = net.params[0].dtype
        self.net = net
        inputs = [None] + [np.ones((batch_size, n + 1), dtype) for n in sizes[1:-1]]
        hidden = [None] + [a[:, :-1] for a in inputs[1:]]
        zs = [np.empty((batch_size, n), dtype) for n in sizes[1:]]
        deltas = [np.empty((batch_size, n), dtype) for n in sizes[1:]]
        backs = [None] + [np.empty((batch_size, n + 1), dtype) for n in sizes[1:-1]]
        self.full = inputs, hidden, zs, deltas, backs
        self.grads = [np.empty_like(p, order="F") for p in net.params]

    def take(self, x, y, out, sample_weight, loss):
        """:func:`~skdigitnet._network.update_mini_batch` on the rows ``x``.

        ``x`` ends in its column of ones; ``out`` receives the output
        activations, before the step.
        """
        m = x.shape[0]
        inputs, hidden, zs, deltas, backs = self.full
        if m < len(zs[0]):  # the epoch's last, shorter batch
            inputs, hidden, zs, deltas, backs = (
                [a if a is None else a[:m] for a in b] for b in self.full
            )
        net, n_layers = self.net, len(zs)
        inputs[0] = x
        for l in range(n_layers - 1):  # noqa: E741 (the book's l)
            # In place in the contiguous zs[l], where the sigmoid is faster
            # than into the strided hidden[l + 1].
            z = finite_weighted_input(net.forward(l, inputs[l], zs[l]))
            np.copyto(hidden[l + 1], sigmoid(z, out=zs[l]))
        functions = LOSSES[loss]
        z = finite_weighted_input(net.forward(n_layers - 1, inputs[-1], zs[-1]))
        functions.activation(z, out=out)

        delta = functions.delta(out, y, out=deltas[-1])  # (BP1)
        if sample_weight is not None:
            m = sample_weight.sum()
            if m == 0:
                return  # as update_mini_batch: no gradient, no step
            delta *= sample_weight[:, np.newaxis]
        for l in range(n_layers - 1, -1, -1):  # noqa: E741
            below = None
            if l > 0:
                # (BP2) for the layer below, before this layer's step.
                a = zs[l - 1]  # the activations of layer l's input
                back = net.backward(l, delta, backs[l])
                if not np.isfinite(back).all():
                    # numpy's matmul, as the book's backprop, raises on an
                    # inf - inf here; BLAS reports nothing.
                    raise FloatingPointError("invalid value in (BP2)")
                below = np.multiply(back[:, :-1], a, out=deltas[l - 1])
                below *= 1 - a
            net.step(l, 1 / m, inputs[l], delta, self.grads[l])  # (BP3), (BP4)
            delta = below


class _Blocks:
    """Buffers into which the rows of a block are gathered, in turn."""

    def __init__(self, x, y, sample_weight, block_rows):
        self.x, self.y, self.sample_weight = x, y, sample_weight
        dtype = x.dtype
        self.x_block = np.ones((block_rows, x.shape[1] + 1), dtype)
        self.y_block = np.empty((block_rows, y.shape[1]), dtype)
        self.out_block = np.empty_like(self.y_block)
        self.sw_block = None
        if sample_weight is not None:
            self.sw_block = np.empty(block_rows, dtype)

    def gather(self, rows):
        """Gather ``x[rows]`` (with its ones), ``y[rows]`` and their weights.

        Returns views of the buffers: the inputs, targets, a place for the
        output activations, and the sample weights or ``None``.
        """
        n = len(rows)
        # With mode="clip" (the rows are in bounds) take writes directly into
        # out; with the default mode it goes through a copy.
        np.take(self.x, rows, axis=0, out=self.x_block[:n, :-1], mode="clip")
        np.take(self.y, rows, axis=0, out=self.y_block[:n], mode="clip")
        sw = None
        if self.sw_block is not None:
            sw = np.take(self.sample_weight, rows, out=self.sw_block[:n], mode="clip")
        return self.x_block[:n], self.y_block[:n], self.out_block[:n], sw


def _stack(w, b):
    """Put ``w`` above ``b`` in one new Fortran-ordered array."""
    p = np.empty((w.shape[0] + 1, w.shape[1]), w.dtype, order="F")
    p[:-1], p[-1] = w, b
    return p


def feedforward_into(out, a, coefs, intercepts, loss="squared_error"):
    """Write :func:`skdigitnet._network.feedforward` of ``a`` into ``out``.

    ``a`` has shape ``(m, n_features)`` (dense or scipy sparse, any dtype),
    ``out`` shape ``(m, n_out)``. Each chunk of ``_PREDICT_ROWS`` rows is
    converted to ``out``'s dtype on its own, and its hidden activations go
    through the same buffers, so that the working memory does not grow with
    ``m``. Returns ``out``.
    """
    dtype = out.dtype
    hidden = [np.empty((_PREDICT_ROWS, w.shape[1]), dtype) for w in coefs[:-1]]
    activation = LOSSES[loss].activation
    for start in range(0, a.shape[0], _PREDICT_ROWS):
        rows = slice(start, start + _PREDICT_ROWS)
        chunk = a[rows].astype(dtype, copy=False)
        for w, b, buffer in zip(coefs[:-1], intercepts[:-1], hidden):
            z = _dot(chunk, w, buffer[: chunk.shape[0]])
            z += b
            # Training's sigmoid: a chunk's outputs are bit for bit those of
            # feedforward on the same rows.
            chunk = sigmoid(z, out=z)
        z = _dot(chunk, coefs[-1], out[rows])
        z += intercepts[-1]
        activation(z, out=z)
    return out


def _dot(a, w, out):
    # a @ w into out, for dense or sparse a.
    if isinstance(a, np.ndarray):
        return np.matmul(a, w, out=out)
    out[...] = a @ w
    return out
