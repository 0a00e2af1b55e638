"""The same data, random_state and BLAS thread count give the same bits.

The estimator leaves BLAS's thread count to BLAS and to the user, as
scikit-learn's estimators do: it neither reads nor changes it. With a fixed
count, BLAS gives the same products from any calling thread, concurrently,
on a busy machine and in another process, so the weights and predictions are
bit-identical there; a different count rounds large products differently.
A user who wants the same bits on machines with different core counts wraps
the call in ``threadpool_limits(1)``, which training honours. The problems
here are large enough that BLAS threads each product: 784-100-10 at batch
100. One and two BLAS threads then give other weights on 1,000 rows already
(a test below shows it), the size of the tests that run one fit at a time;
those that start processes or run fits and predictions at once, slow, train
on 20,000 rows, so that what runs concurrently overlaps for long.
"""

import subprocess
import sys
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from threadpoolctl import threadpool_info, threadpool_limits

from skdigitnet import SigmoidMLPClassifier, _buffered

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

N_ROWS = 20_000  # the slow tests'
FAST_ROWS = 1_000  # the others'
PARAMS = dict(hidden_layer_sizes=(100,), batch_size=100, max_iter=1, random_state=0)
DTYPES = ["float32", "float64"]

# Builds the problem, fits it, and saves the weights: run here and in
# another process.
FIT_SCRIPT = textwrap.dedent(
    """
    import sys, warnings
    import numpy as np
    from threadpoolctl import threadpool_limits
    from skdigitnet import SigmoidMLPClassifier

    def problem(dtype, n_rows={n_rows}):
        rng = np.random.default_rng(0)
        X = rng.random((n_rows, 784)).astype(dtype)
        return X, rng.integers(0, 10, n_rows)

    if __name__ == "__main__":
        warnings.simplefilter("ignore")
        # The parent's BLAS thread count, which the environment (such as an
        # OPENBLAS_NUM_THREADS set by another library) may not give.
        with threadpool_limits(limits=int(sys.argv[3]), user_api="blas"):
            clf = SigmoidMLPClassifier(**{params!r}).fit(*problem(sys.argv[1]))
        np.savez(sys.argv[2], *clf.coefs_, *clf.intercepts_)
    """
).format(n_rows=N_ROWS, params=PARAMS)
namespace = {}
exec(FIT_SCRIPT, namespace)
problem = namespace["problem"]


def blas_info():
    return [
        (i["filepath"], i["num_threads"])
        for i in threadpool_info()
        if i["user_api"] == "blas"
    ]


def fit_weights(X, y):
    clf = SigmoidMLPClassifier(**PARAMS).fit(X, y)
    return clf.coefs_ + clf.intercepts_


def assert_same_bits(got, want):
    for a, b in zip(got, want):
        assert a.dtype == b.dtype
        assert_array_equal(a, b)


@pytest.fixture(scope="module", params=DTYPES)
def reference(request):
    """The problem in one dtype, and the weights of a fit in the main thread."""
    X, y = problem(request.param)
    return request.param, X, y, fit_weights(X, y)


@pytest.fixture(scope="module", params=DTYPES)
def small_reference(request):
    """``reference`` on a problem of ``FAST_ROWS`` rows."""
    X, y = problem(request.param, FAST_ROWS)
    return request.param, X, y, fit_weights(X, y)


def test_one_and_two_blas_threads_give_other_bits(small_reference):
    # What lets the tests of one fit at a time fail on FAST_ROWS rows: a fit
    # on another BLAS thread count gives other weights.
    _, X, y, _ = small_reference
    weights = []
    for n in (1, 2):
        with threadpool_limits(limits=n, user_api="blas"):
            if {threads for _, threads in blas_info()} != {n}:
                pytest.skip(f"BLAS does not run {n} threads here")
            weights.append(fit_weights(X, y))
    assert any(not np.array_equal(a, b) for a, b in zip(*weights))


def test_same_bits_from_a_worker_thread(small_reference):
    _, X, y, want = small_reference
    with ThreadPoolExecutor(1) as pool:
        got = pool.submit(fit_weights, X, y).result()
    assert_same_bits(got, want)


@pytest.mark.slow
def test_same_bits_while_other_processes_keep_the_cores_busy(reference):
    _, X, y, want = reference
    busy = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)
    ]
    try:
        got = fit_weights(X, y)
    finally:
        for process in busy:
            process.kill()
            process.wait()
    assert_same_bits(got, want)


@pytest.mark.slow
def test_same_bits_in_another_process(reference, tmp_path):
    dtype, _, _, want = reference
    script = tmp_path / "fit.py"
    script.write_text(FIT_SCRIPT)
    out = tmp_path / "weights.npz"
    (threads,) = {n for _, n in blas_info()}
    command = [sys.executable, str(script), dtype, str(out), str(threads)]
    subprocess.run(command, check=True)
    with np.load(out) as saved:
        got = [saved[f"arr_{k}"] for k in range(len(want))]
    assert_same_bits(got, want)


@pytest.mark.slow
def test_same_bits_from_concurrent_fits(reference):
    _, X, y, want = reference
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: fit_weights(X, y), range(2)))
    for got in results:
        assert_same_bits(got, want)


# --- prediction -----------------------------------------------------------


@pytest.fixture(scope="module")
def fitted():
    X, y = problem("float64")
    return SigmoidMLPClassifier(**PARAMS).fit(X, y), X, y


@pytest.mark.slow
def test_fit_and_predictions_concurrently_in_threads_give_the_same_bits(fitted):
    clf, X, y = fitted
    want = clf.predict_proba(X)
    trained = []
    training = threading.Thread(target=lambda: trained.append(fit_weights(X, y)))
    training.start()
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: clf.predict_proba(X), range(8)))
    training.join(timeout=600)
    assert not training.is_alive(), "the fit in the other thread hung"
    for got in results:
        assert_array_equal(got, want)
    assert_same_bits(trained[0], clf.coefs_ + clf.intercepts_)


def blas_threads_seen_by_the_epoch(monkeypatch, fit):
    """Run ``fit``; return the BLAS thread counts seen from inside each epoch."""
    seen = []
    epoch = _buffered.sgd_epoch

    def watched(*args):
        seen.append(blas_info())
        return epoch(*args)

    monkeypatch.setattr(_buffered, "sgd_epoch", watched)
    fit()
    assert seen, "the buffered epoch did not run"
    return seen


def test_training_leaves_blas_threads_as_it_finds_them(monkeypatch):
    X, y = problem("float64", FAST_ROWS)
    before = blas_info()
    seen = blas_threads_seen_by_the_epoch(
        monkeypatch, lambda: SigmoidMLPClassifier(**PARAMS).fit(X, y)
    )
    assert seen == [before]
    assert blas_info() == before


def test_threadpool_limits_1_is_honoured_and_reproducible(small_reference, monkeypatch):
    # The recipe for the same bits whatever the machine's core count.
    _, X, y, _ = small_reference
    weights = []
    with threadpool_limits(limits=1, user_api="blas"):
        inside = blas_info()
        seen = blas_threads_seen_by_the_epoch(
            monkeypatch, lambda: weights.append(fit_weights(X, y))
        )
        with ThreadPoolExecutor(1) as pool:
            weights.append(pool.submit(fit_weights, X, y).result())
    assert all(n == 1 for _, n in inside)
    assert seen == [inside, inside]  # the fits in both threads
    assert_same_bits(weights[1], weights[0])


# --- any dense layout ----------------------------------------------------


def test_dataframe_fortran_and_sliced_x_train_as_c_ordered(small_reference):
    # Converted once, at validation: the same rows give the same weights.
    pd = pytest.importorskip("pandas")
    _, X, y, want = small_reference
    wider = np.hstack([X, X])
    layouts = {
        "fortran": np.asfortranarray(X),
        "slice": wider[:, : X.shape[1]],
        "dataframe": pd.DataFrame(X),
    }
    for name, data in layouts.items():
        assert_same_bits(fit_weights(data, y), want)
