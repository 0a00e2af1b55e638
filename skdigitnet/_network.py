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

import contextlib
import contextvars
import functools
import itertools
import math
import os
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from scipy.linalg import get_blas_funcs
from scipy.special import expit, xlogy
from threadpoolctl import ThreadpoolController


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


# Rows that prediction takes through the network at a time: a chunk of 784
# float32 inputs (1.5 MiB) stays in cache from the gather to the product, and
# the working memory is a few chunks' worth whatever the number of rows.
_PREDICT_ROWS = 512
# Rows per task when chunks are shared out among threads, and the most
# threads, each of which holds a chunk (up to ~5 MiB with a dtype conversion).
_TASK_ROWS = 4 * _PREDICT_ROWS
_MAX_PREDICT_THREADS = 16


def feedforward_into(
    out, a, coefs, intercepts, out_activation="logistic", check_rows=None
):
    """Write :func:`feedforward` of the rows ``a`` into ``out``, by chunks.

    ``a`` has shape ``(m, n_features)`` (dense or scipy sparse, any dtype),
    ``out`` shape ``(m, n_out)``. Each chunk of ``_PREDICT_ROWS`` rows is
    converted to ``out``'s dtype on its own, and its hidden activations go
    through the same buffers, so that the working memory does not grow with
    ``m``. The sigmoid is :func:`_sigmoid_of_sum`'s, within a few units in
    the last place of :func:`sigmoid`'s. Returns ``out``.

    Chunks are independent: as many threads as BLAS would use share them
    out, each calling BLAS on one thread. Unlike BLAS's own threads, they
    neither spin while idle nor wait for one another within a product, which
    on a busy machine made a chunk's product 2 to 20 times slower.

    ``check_rows``, if given, is called, in the calling thread once the
    chunks are done, with the rows of ``a`` of each chunk whose first
    weighted inputs are not all finite. They are not whenever a row holds a
    NaN or an infinity, so that a check of ``a`` made there reads ``a`` once
    in all, and only where it can fail.
    """
    dtype = out.dtype
    layers = [(w, -b.astype(dtype)) for w, b in zip(coefs, intercepts)]
    last = len(layers) - 1

    def forward(task):
        # Returns the row slices of the chunks that check_rows must see.
        buffers = [np.empty((_PREDICT_ROWS, w.shape[1]), dtype) for w, _ in layers[:-1]]
        suspect = []
        for start in range(task.start, task.stop, _PREDICT_ROWS):
            rows = slice(start, min(start + _PREDICT_ROWS, task.stop))
            chunk = a[rows].astype(dtype, copy=False)
            m = chunk.shape[0]
            for l, (w, minus_b) in enumerate(layers):  # noqa: E741
                z = _dot(chunk, w, out[rows] if l == last else buffers[l][:m])
                if l == 0 and check_rows is not None and not np.isfinite(z).all():
                    suspect.append(rows)
                if l < last or out_activation == "logistic":
                    chunk = _sigmoid_of_sum(z, minus_b)
                else:
                    z -= minus_b
                    OUT_ACTIVATIONS[out_activation](z, out=z)
        return suspect

    n_rows = a.shape[0]
    tasks = [
        slice(s, min(s + _TASK_ROWS, n_rows)) for s in range(0, n_rows, _TASK_ROWS)
    ]
    n_threads = min(len(tasks), _blas_threads(), _MAX_PREDICT_THREADS)
    # exp(-z) overflows to inf where z is very negative, and the sigmoid is
    # then 1 / inf, its right value 0.
    with _one_blas_thread(), np.errstate(over="ignore"):
        if n_threads <= 1:
            suspects = [forward(task) for task in tasks]
        else:
            # Each task runs in a copy of this context, errstate included.
            with ThreadPoolExecutor(n_threads) as pool:
                futures = [
                    pool.submit(contextvars.copy_context().run, forward, task)
                    for task in tasks
                ]
                try:
                    suspects = [future.result() for future in futures]
                finally:  # on an error or an interrupt, no more tasks start
                    for future in futures:
                        future.cancel()
    for rows in itertools.chain.from_iterable(suspects):
        check_rows(a[rows])
    return out


# Hidden layers of at least this many activations per mini-batch take
# _sigmoid_by_exp while training: below it, its extra calls cost more than
# they save.
_SIGMOID_BY_EXP_SIZE = 4096


def _sigmoid_by_exp(z, out):
    """Compute :func:`sigmoid` as ``1 / (1 + exp(-z))``, into ``out``.

    Three times faster than ``scipy.special.expit`` on large arrays, within
    a few units in the last place.
    """
    # exp(-z) overflows to inf where z is very negative; 1 / inf is then the
    # sigmoid's right value, 0.
    with np.errstate(over="ignore"):
        np.negative(z, out=out)
        np.exp(out, out=out)
        out += 1
        return _reciprocal(out)


def _sigmoid_of_sum(z, minus_b):
    """Compute ``sigmoid(z + b)`` in place, given ``-b``.

    As ``1 / (1 + exp(-b - z))``: numpy's exp is vectorised, and these four
    passes over ``z`` take a quarter of the time of ``scipy.special.expit``'s
    one (float32; a third in float64) on large arrays.
    """
    np.subtract(minus_b, z, out=z)
    np.exp(z, out=z)
    z += 1
    return _reciprocal(z)


def _reciprocal(a):
    # 1 / a in place: the same numbers as np.reciprocal, but numpy's divide
    # is vectorised where its reciprocal is not, and takes half the time on
    # arrays of thousands of elements.
    return np.divide(1, a, out=a)


def _dot(a, w, out):
    # a @ w into out, for dense or sparse a.
    if isinstance(a, np.ndarray):
        return np.matmul(a, w, out=out)
    out[...] = a @ w
    return out


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

    The mini-batches are ``order[k:k + batch_size]``, taken in turn, each one
    step of :func:`update_mini_batch`: shuffle ``order``, not the data. A
    dense ``x`` of the weights' dtype takes these steps in preallocated
    buffers (see :func:`_sgd_epoch_buffered`); anything else, sparse ``x``
    included, goes through :func:`update_mini_batch` itself.

    Returns
    -------
    cost_sum : float
        The summed cost of all batches, each taken before its step.
    """
    args = (x, y, order, batch_size, coefs, intercepts, eta, cost, sample_weight)
    args += (alpha, velocities, momentum, nesterov)
    if not _can_buffer(x, y, coefs, intercepts, sample_weight, velocities):
        with _one_blas_thread():
            return _sgd_epoch_reference(*args)
    n_threads = _step_threads(x.shape[1], min(batch_size, len(order)), coefs)
    with _one_blas_thread():
        return _sgd_epoch_buffered(*args, n_threads)


@functools.cache
def _blas_controller():
    return ThreadpoolController()


def _blas_threads():
    # The threads BLAS would use now: its own choice, or the user's limit.
    blas = _blas_controller().select(user_api="blas").lib_controllers
    return max((lib.num_threads for lib in blas), default=1)


@functools.cache
def _scipy_blas():
    """Return the threadpoolctl controller of scipy's BLAS, or None.

    scipy's wheels bring a BLAS of their own, apart from numpy's, in a
    folder named after scipy; elsewhere the two share the only BLAS loaded.
    None where neither tells which library scipy's ``gemm`` calls.
    """
    libs = _blas_controller().select(user_api="blas").lib_controllers

    def in_scipy_folder(lib):
        folders = Path(lib.filepath).parents
        return any(f.name in ("scipy", "scipy.libs") for f in list(folders)[:2])

    own = [lib for lib in libs if in_scipy_folder(lib)]
    if len(own) == 1:
        return own[0]
    return libs[0] if len(libs) == 1 else None


# A training step may run its products on as many BLAS threads as its largest
# product has this many multiply-adds: a 784-100 layer at batch 100 takes 8
# million; at batch 10 a thread's share of a product takes less time than
# waking the thread.
_THREADED_PRODUCT = 2**21


def _step_threads(n_features, batch_size, coefs):
    """Return how many BLAS threads a training step's products may use.

    One for small steps; else one per ``_THREADED_PRODUCT`` multiply-adds
    of the largest product, and no more than scipy's BLAS would use now
    (its own choice, or the user's limit, or one while another training or
    prediction runs).
    """
    sizes = [n_features] + [w.shape[1] for w in coefs]
    largest = max(batch_size * (n + 1) * k for n, k in itertools.pairwise(sizes))
    blas = _scipy_blas()
    if largest < 2 * _THREADED_PRODUCT or blas is None:
        return 1
    return min(blas.num_threads, largest // _THREADED_PRODUCT)


# The BLAS limit is global to the process, so calls from several threads
# share one: the first to enter sets it, the last to leave restores it.
_blas_lock = threading.Lock()
_blas_limit = {"users": 0, "limiter": None}


@contextlib.contextmanager
def _one_blas_thread():
    """Limit BLAS to one thread for the duration of a ``with`` block.

    A small training step's matrix products cost BLAS threads more to wake
    than they save, and the idle threads of numpy's and of scipy's BLAS,
    called in turn, spin against each other: on two busy cores a 100-100
    network at batch 100 trained 70 times slower with the threads, and
    prediction by chunks ran 1.4 (float32) to 2.6 (float64) times slower.
    Large steps may give scipy's BLAS its threads back, block by block (see
    :class:`_ThreadChoice`); prediction runs its own threads.

    Concurrent blocks share the limit: each restoring the count it found on
    entry would leave BLAS at one thread for good once two overlapped.
    """
    with _blas_lock:
        if _blas_limit["users"] == 0:
            _blas_limit["limiter"] = _blas_controller().limit(limits=1, user_api="blas")
        _blas_limit["users"] += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_limit["users"] -= 1
            if _blas_limit["users"] == 0:
                _blas_limit["limiter"].restore_original_limits()
                _blas_limit["limiter"] = None


class _ThreadChoice:
    """Run each block of an epoch's steps on one BLAS thread or on ``n_threads``.

    On an idle machine a large step's products run faster on BLAS threads;
    on a busy one the threads, which spin while they wait, made training
    several times slower, and slowed the other work too. So the threads
    are tried only while other processes leave the cores they need idle
    (see :class:`_OtherWork`), and kept only while they are faster: this
    times the blocks, in rounds of ``_ROUND_BLOCKS``, and runs each round
    with the choice whose last round took the least time per row. The other
    choice gets a round again after a wait that doubles, up to ``_MAX_WAIT``
    seconds, each time it loses. Only scipy's BLAS, which takes the threaded
    products, gets the threads, and only while no other training or
    prediction runs in the process.

    One instance serves all the epochs of one shape of problem (see
    :func:`_thread_choice`), so that what it learnt outlasts an epoch.
    ``block(n_rows)`` is a context manager around each block; ``close()``
    puts scipy's BLAS back on one thread.
    """

    def __init__(self, n_threads):
        self.n_threads = n_threads
        self.choice = 1  # the threads get the second round
        self.applied = 1  # within _one_blas_thread, BLAS starts on one thread
        self.last = {}  # choice -> mean seconds per row of its latest round
        self.best = None  # the choice with the least of those
        self.round = []  # seconds per row of this round's blocks
        self.exploring = False
        self.wait = 0.0  # seconds before the losing choice gets a round
        self.next_try = 0.0
        self.other_work = _OtherWork()
        self.cold = True  # until the first block of each epoch is done

    @contextlib.contextmanager
    def block(self, n_rows):
        """Run the ``with`` block, of ``n_rows`` rows, on the current choice."""
        if self.n_threads == 1:
            yield
            return
        with _blas_lock:  # the threads are the process's: only when alone
            self._apply(self.choice if _blas_limit["users"] == 1 else 1)
        tic = time.perf_counter()
        yield
        toc = time.perf_counter()
        if self.cold:  # the first block of an epoch wakes the threads up
            self.cold = False
        else:
            self.record((toc - tic) / n_rows, toc)

    def record(self, seconds_per_row, now):
        """Note a block's time; after a round's worth, choose for the next."""
        self.round.append(seconds_per_row)
        # Two blocks in a row twice as slow as the other choice's last round
        # end the round: on a busy machine, a block on threads took 80 times
        # longer.
        other = self.n_threads if self.choice == 1 else 1
        limit = 2 * self.last.get(other, math.inf)
        slow = len(self.round) >= 2 and min(self.round[-2:]) > limit
        if len(self.round) < _ROUND_BLOCKS and not slow:
            return
        # The mean, not the median: the cost of threads on a busy machine is
        # in the few blocks that wait for a thread put off by the system.
        self.last[self.choice] = statistics.fmean(self.round)
        self.round = []
        best = min(self.last, key=self.last.get)
        if best != self.best:
            # The one that lost the lead, maybe to a round of bad luck, gets
            # the next round.
            self.best, self.wait, self.next_try = best, 0.0, now
        elif self.exploring:
            # The one tried lost again: it waits twice as long as before.
            self.wait = min(max(2 * self.wait, _MIN_WAIT), _MAX_WAIT)
            self.next_try = now + self.wait
        self.exploring = False
        other = self.n_threads if best == 1 else 1
        if other not in self.last or now >= self.next_try:
            self.choice, self.exploring = other, True
        else:
            self.choice = best
        if self.choice > 1 and not self.other_work.leaves(self.choice - 1, now):
            self.choice, self.exploring = 1, False

    def close(self):
        """Put scipy's BLAS back on one thread."""
        with _blas_lock:
            self._apply(1)

    def _apply(self, n_threads):
        # Under _blas_lock.
        if n_threads != self.applied:
            _scipy_blas().set_num_threads(n_threads)
            self.applied = n_threads


class _OtherWork:
    """How many cores other processes have kept busy lately.

    From the machine's busy time in ``/proc/stat`` less this process's own,
    over windows of at least ``_CPU_WINDOW`` seconds; none are idle until
    the first window is over. Where there is no ``/proc/stat``, the cores
    are taken to be idle, and only the timing of :class:`_ThreadChoice`
    tells.
    """

    def __init__(self):
        self.mark = (time.perf_counter(), _busy_seconds(), time.process_time())
        self.cores = math.inf if self.mark[1] is not None else 0.0

    def leaves(self, n_cores, now):
        """Whether, lately, ``n_cores`` cores were left idle besides this one's."""
        start, busy, own = self.mark
        if now - start >= _CPU_WINDOW:
            self.mark = (now, _busy_seconds(), time.process_time())
            if busy is not None and self.mark[1] is not None:
                others = (self.mark[1] - busy) - (self.mark[2] - own)
                self.cores = others / (now - start)
        idle = (os.cpu_count() or 1) - 1 - self.cores
        return idle >= n_cores - 0.5


def _busy_seconds():
    # CPU seconds of all processes since boot, counting time stolen by a
    # hypervisor as busy, or None where /proc/stat cannot tell.
    try:
        with open("/proc/stat", "rb") as f:
            ticks = [int(t) for t in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    user, nice, system, idle, iowait, irq, softirq, steal = ticks
    busy = user + nice + system + irq + softirq + steal
    return busy / os.sysconf("SC_CLK_TCK")


# Blocks per round of _ThreadChoice; the least and the most seconds before a
# losing choice gets another round; and the seconds over which _OtherWork
# measures (/proc/stat counts in hundredths of a second).
_ROUND_BLOCKS = 4
_MIN_WAIT = 0.25
_MAX_WAIT = 30.0
_CPU_WINDOW = 0.2

# The _ThreadChoice of each shape of problem lately trained, and how many
# shapes to remember.
_thread_choices = {}
_MAX_THREAD_CHOICES = 32


@contextlib.contextmanager
def _thread_choice(key, n_threads):
    """Lend the :class:`_ThreadChoice` kept for ``key`` for a ``with`` block.

    While lent it is out of the store, so that two epochs of the same shape
    running at once each have one of their own.
    """
    with _blas_lock:
        choice = _thread_choices.pop(key, None) or _ThreadChoice(n_threads)
    choice.cold = True
    try:
        yield choice
    finally:
        choice.close()
        with _blas_lock:
            _thread_choices[key] = choice
            if len(_thread_choices) > _MAX_THREAD_CHOICES:
                del _thread_choices[next(iter(_thread_choices))]


def _sgd_epoch_reference(
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
    """:func:`sgd_epoch` as a plain loop over :func:`update_mini_batch`."""
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


# The buffered epoch gathers about this many rows at a time (a whole number of
# mini-batches): few enough to stay in cache, enough to make the gather's and
# the cost's per-call overhead small per mini-batch.
_BLOCK_ROWS = 256

# Mini-batches of at least this many rows are gathered into a buffer without
# the column of ones, in which numpy's take writes faster; the first layer's
# biases then take a call of their own each way, which costs more than the
# faster gather saves at smaller batches.
_SPLIT_BATCH_SIZE = 64


def _can_buffer(x, y, coefs, intercepts, sample_weight, velocities):
    # Dense float arrays that all share the weights' dtype.
    dtype = coefs[0].dtype
    if dtype not in (np.float32, np.float64):
        return False
    arrays = [x, y, *coefs, *intercepts, *(velocities or [])]
    if not all(isinstance(a, np.ndarray) and a.dtype == dtype for a in arrays):
        return False
    if x.ndim != 2 or y.ndim != 2:
        return False
    return sample_weight is None or (
        isinstance(sample_weight, np.ndarray) and sample_weight.dtype.kind == "f"
    )


def _sgd_epoch_buffered(
    x,
    y,
    order,
    batch_size,
    coefs,
    intercepts,
    eta,
    cost,
    sample_weight,
    alpha,
    velocities,
    momentum,
    nesterov,
    n_threads=1,
):
    """:func:`sgd_epoch` for dense arrays, with no allocation per mini-batch.

    The steps of :func:`update_mini_batch`, arranged so that at small batch
    sizes little time goes outside the matrix products:

    - each layer's weights and biases share one Fortran-ordered array ``p``
      of shape ``(n_in + 1, n_out)``, the biases as its last row, and each
      layer's input ``a`` has a last column of ones. Then ``a @ p`` is the
      book's ``w a + b``, ``a.T @ delta`` holds ``nabla_w`` above
      ``nabla_b``, and one BLAS call takes the step
      ``p -= (eta / m) * a.T @ delta``;
    - rows are gathered ``_BLOCK_ROWS`` or so at a time into the same
      buffers, each mini-batch being a slice of them, and the cost of a block
      is evaluated once, from the output activations kept for it. From
      ``_SPLIT_BATCH_SIZE`` rows a batch up, the gathered rows have no column
      of ones, which halves the time of the gather, and the first layer's
      biases take a BLAS call of their own (see :func:`_stack`);
    - every product but (BP2)'s goes through scipy's ``gemm``, whose BLAS
      may take up to ``n_threads`` threads where that is faster (see
      :class:`_ThreadChoice`); numpy's stays on one.
    """
    dtype = coefs[0].dtype
    n_layers = len(coefs)
    # Large batches are gathered without their column of ones (see
    # _SPLIT_BATCH_SIZE): the first layer then keeps its weights and biases
    # apart.
    split = batch_size >= _SPLIT_BATCH_SIZE
    ones = [not split] + [True] * (n_layers - 1)
    params = [_stack(w, b, o) for w, b, o in zip(coefs, intercepts, ones)]
    # (BP2) takes each layer's weights without the biases, transposed.
    weights_t = [_parts(p, w.shape)[0].T for p, w in zip(params, coefs)]
    first_w, first_b = _parts(params[0], coefs[0].shape)
    velocity = None
    if velocities is not None:
        velocity = [
            _stack(v_w, v_b, o)
            for v_w, v_b, o in zip(velocities[:n_layers], velocities[n_layers:], ones)
        ]
    gemm, gemv = get_blas_funcs(("gemm", "gemv"), dtype=dtype)
    column_of_ones = np.ones(batch_size, dtype)

    def gradient(l, scale, a, delta, beta, out):  # noqa: E741
        # out = scale * a.T @ delta + beta * out in place, out holding layer
        # l's nabla_w and nabla_b as params[l] holds its weights and biases.
        # gemm(alpha, a, b, beta, c, 0, 1, 1) sets c = alpha * a @ b.T +
        # beta * c; a.T and delta.T of C-ordered a and delta are
        # Fortran-ordered, as BLAS wants, so that nothing is copied.
        if l or not split:  # a ends in its column of ones
            gemm(scale, a.T, delta.T, beta, out, 0, 1, 1)
            return
        out_w, out_b = _parts(out, coefs[l].shape)
        gemm(scale, a.T, delta.T, beta, out_w, 0, 1, 1)
        gemv(scale, delta.T, column_of_ones[: len(a)], beta, out_b, overwrite_y=1)

    shapes = [w.shape for w in coefs]
    descend = _descent(gradient, params, shapes, velocity, alpha, momentum, nesterov)
    out_activation = OUT_ACTIVATIONS["softmax" if cost == "log_loss" else "logistic"]
    sizes = [x.shape[1]] + [w.shape[1] for w in coefs]
    hidden_sigmoid = [
        _sigmoid_by_exp if batch_size * n >= _SIGMOID_BY_EXP_SIZE else sigmoid
        for n in sizes[1:-1]
    ]

    def forward(l, a, z):  # noqa: E741
        # z = a @ w + b through scipy's gemm, which takes the threads: the
        # transposes of C-ordered a and z are Fortran-ordered, as BLAS wants.
        if l or not split:  # a ends in its column of ones
            return gemm(1.0, params[l], a.T, 0.0, z.T, 1, 0, 1).T
        z = gemm(1.0, first_w, a.T, 0.0, z.T, 1, 0, 1).T
        z += first_b
        return z

    def step(x, y, out, sample_weight, buffers):
        # update_mini_batch on the rows x, which end in their column of ones
        # unless split; out receives the output activations.
        inputs, hidden, zs, deltas = buffers
        inputs[0] = x
        for l in range(n_layers - 1):  # noqa: E741 (the book's l)
            # In place in the contiguous zs[l], where numpy's exp is
            # vectorised (4 times faster than into the strided hidden[l + 1]).
            z = forward(l, inputs[l], zs[l])
            np.copyto(hidden[l + 1], hidden_sigmoid[l](z, out=z))
        out_activation(forward(n_layers - 1, inputs[-1], zs[-1]), out=out)

        delta = output_delta(out, y, cost, out=deltas[-1])
        m = x.shape[0]
        if sample_weight is not None:
            m = sample_weight.sum()
            if m == 0:
                return  # as update_mini_batch: no gradient, no step
            delta *= sample_weight[:, np.newaxis]
        scale = eta / m
        for l in range(n_layers - 1, 0, -1):  # noqa: E741
            # (BP2) for the layer below, before this layer's step.
            a = zs[l - 1]  # the activations of hidden[l], contiguous
            below = np.matmul(delta, weights_t[l], out=deltas[l - 1])
            below *= a
            below *= 1 - a
            descend(l, scale, inputs[l], delta)
            delta = below
        descend(0, scale, x, delta)

    block_rows = batch_size * max(1, _BLOCK_ROWS // batch_size)
    x_block = np.ones((block_rows, x.shape[1] + (not split)), dtype)
    x_rows = x_block if split else x_block[:, :-1]
    y_block = np.empty((block_rows, y.shape[1]), dtype)
    out_block = np.empty_like(y_block)
    sw_block = None
    if sample_weight is not None:
        sw_block = np.empty(block_rows, sample_weight.dtype)
    full = _step_buffers(sizes, batch_size, dtype)
    shape = (dtype.str, batch_size, tuple(sizes), n_threads)

    def train_block(rows):
        # The steps over the rows x[rows], gathered; returns their summed cost.
        n = len(rows)
        # Into a contiguous out, take with mode="clip" (the rows are in
        # bounds) writes directly: other modes, or a strided out, add a copy.
        np.take(x, rows, axis=0, out=x_rows[:n], mode="clip")
        np.take(y, rows, axis=0, out=y_block[:n], mode="clip")
        if sw_block is not None:
            np.take(sample_weight, rows, out=sw_block[:n], mode="clip")
        for k in range(0, n, batch_size):
            m = min(batch_size, n - k)
            batch = slice(k, k + m)
            step(
                x_block[batch],
                y_block[batch],
                out_block[batch],
                None if sw_block is None else sw_block[batch],
                full if m == batch_size else _head(full, m),
            )
        sw = None if sw_block is None else sw_block[:n]
        return COSTS[cost](y_block[:n], out_block[:n], sw)

    cost_sum = 0.0
    try:
        with _thread_choice(shape, n_threads) as threads:
            for start in range(0, len(order), block_rows):
                rows = order[start : start + block_rows]
                with threads.block(len(rows)):
                    cost_sum += train_block(rows)
    finally:
        _unstack(params, coefs, intercepts)
        if velocities is not None:
            _unstack(velocity, velocities[:n_layers], velocities[n_layers:])
    return cost_sum


def _stack(w, b, ones_column=True):
    """Put a layer's weights ``w`` and biases ``b`` in one new array.

    For an input that ends in a column of ones, ``w`` above ``b`` in one
    Fortran-ordered array; else, ``w`` in Fortran order then ``b``, in one
    flat array. See :func:`_parts`.
    """
    if ones_column:
        p = np.empty((w.shape[0] + 1, w.shape[1]), w.dtype, order="F")
    else:
        p = np.empty(w.size + b.size, w.dtype)
    p_w, p_b = _parts(p, w.shape)
    p_w[...] = w
    p_b[...] = b
    return p


def _parts(p, shape):
    # Views of the weights, of shape shape, and the biases in _stack's p.
    if p.ndim == 2:
        return p[:-1], p[-1]
    size = shape[0] * shape[1]
    return p[:size].reshape(shape, order="F"), p[size:]


def _unstack(params, coefs, intercepts):
    for p, w, b in zip(params, coefs, intercepts):
        w[...], b[...] = _parts(p, w.shape)


def _step_buffers(sizes, m, dtype):
    """Arrays for one step over ``m`` rows through layers of sizes ``sizes``.

    Returns ``(inputs, hidden, zs, deltas)``: ``inputs[l]`` is layer ``l``'s
    input with its column of ones (``inputs[0]``, the batch itself, is set by
    each step), ``hidden[l]`` the same without the ones, ``zs[l]`` and
    ``deltas[l]`` layer ``l``'s weighted input and error. A hidden layer's
    ``zs[l]`` then holds its activations too, as ``hidden[l + 1]`` does.
    """
    inputs = [None] + [np.ones((m, n + 1), dtype) for n in sizes[1:-1]]
    zs = [np.empty((m, n), dtype) for n in sizes[1:]]
    deltas = [np.empty((m, n), dtype) for n in sizes[1:]]
    return inputs, [None] + [a[:, :-1] for a in inputs[1:]], zs, deltas


def _head(buffers, m):
    """Return views of the first ``m`` rows of :func:`_step_buffers`' arrays."""
    inputs, _, zs, deltas = buffers
    inputs = [None] + [a[:m] for a in inputs[1:]]
    hidden = [None] + [a[:, :-1] for a in inputs[1:]]
    return inputs, hidden, [z[:m] for z in zs], [d[:m] for d in deltas]


def _descent(gradient, params, shapes, velocities, alpha, momentum, nesterov):
    """Return ``descend(l, scale, a, delta)``, which steps layer ``l`` in place.

    :func:`update_mini_batch`'s rule for the weights and biases
    ``params[l]`` (and velocities ``velocities[l]``), as :func:`_stack` keeps
    them, of a layer with weights of shape ``shapes[l]``, input ``a`` and
    error ``delta``: with ``scale = eta / m``, the step is
    ``scale * (a.T @ delta + alpha * w)``. ``gradient(l, scale, a, delta,
    beta, out)`` sets ``out = scale * a.T @ delta + beta * out`` in place,
    ``out`` laid out as ``params[l]``.
    """
    if velocities is None and not alpha:

        def descend(l, scale, a, delta):  # noqa: E741
            gradient(l, -scale, a, delta, 1.0, params[l])

    elif not alpha and not nesterov:

        def descend(l, scale, a, delta):  # noqa: E741
            gradient(l, -scale, a, delta, momentum, velocities[l])
            params[l] += velocities[l]

    else:
        steps = [np.empty_like(p) for p in params]
        # Only the weights take the L2 term, not the biases.
        decays = [
            (_parts(step, shape)[0], _parts(p, shape)[0])
            for step, p, shape in zip(steps, params, shapes)
        ]

        def descend(l, scale, a, delta):  # noqa: E741
            p, step = params[l], steps[l]
            gradient(l, scale, a, delta, 0.0, step)
            if alpha:
                step_w, w = decays[l]
                step_w += (scale * alpha) * w
            if velocities is None:
                p -= step
                return
            v = velocities[l]
            v *= momentum
            v -= step
            if nesterov:
                p += momentum * v
                p -= step
            else:
                p += v

    return descend
