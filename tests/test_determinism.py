"""The same data and random_state give the same bits, wherever fit runs.

Training runs its matrix products on one BLAS thread, whatever BLAS's own
thread count, the calling thread, the machine's load or the process: one
and two BLAS threads round large products differently, so a count chosen at
run time would change the weights. The problems here are large enough that
BLAS would thread them: 784-100-10 at batch 100, on 20,000 rows.
Prediction runs on BLAS's own count, never while training has changed it.
BLAS's settings are left as they were found, also after an interrupt.
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

from skdigitnet import SigmoidMLPClassifier, _buffered, _classifier

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

N_ROWS = 20_000
PARAMS = dict(hidden_layer_sizes=(100,), batch_size=100, max_iter=1, random_state=0)
DTYPES = ["float32", "float64"]

# Builds the problem, fits it, and saves the weights: run here and in
# another process.
FIT_SCRIPT = textwrap.dedent(
    """
    import sys, warnings
    import numpy as np
    from skdigitnet import SigmoidMLPClassifier

    def problem(dtype):
        rng = np.random.default_rng(0)
        X = rng.random(({n_rows}, 784)).astype(dtype)
        return X, rng.integers(0, 10, {n_rows})

    if __name__ == "__main__":
        warnings.simplefilter("ignore")
        clf = SigmoidMLPClassifier(**{params!r}).fit(*problem(sys.argv[1]))
        np.savez(sys.argv[2], *clf.coefs_, *clf.intercepts_)
    """
).format(n_rows=N_ROWS, params=PARAMS)
namespace = {}
exec(FIT_SCRIPT, namespace)
problem = namespace["problem"]


def blas_info():
    return [(i["filepath"], i["num_threads"]) for i in threadpool_info()]


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


def test_same_bits_from_a_worker_thread(reference):
    _, X, y, want = reference
    with ThreadPoolExecutor(1) as pool:
        got = pool.submit(fit_weights, X, y).result()
    assert_same_bits(got, want)


@pytest.mark.parametrize("limit", [1, 2])
def test_same_bits_whatever_blas_thread_count_the_user_set(reference, limit):
    _, X, y, want = reference
    with threadpool_limits(limits=limit, user_api="blas"):
        assert_same_bits(fit_weights(X, y), want)


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
    subprocess.run([sys.executable, str(script), dtype, str(out)], check=True)
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


# --- prediction, and BLAS's settings ------------------------------------


@pytest.fixture(scope="module")
def fitted():
    X, y = problem("float64")
    return SigmoidMLPClassifier(**PARAMS).fit(X, y), X, y


@pytest.mark.slow
def test_predict_proba_same_from_any_thread_and_concurrently(fitted):
    clf, X, y = fitted
    want = clf.predict_proba(X)
    before = blas_info()
    training = threading.Thread(target=lambda: SigmoidMLPClassifier(**PARAMS).fit(X, y))
    training.start()
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: clf.predict_proba(X), range(8)))
    training.join()
    for got in results:
        assert_array_equal(got, want)
    assert blas_info() == before


def test_blas_settings_restored_after_an_interrupted_fit(fitted, monkeypatch):
    _, X, y = fitted
    before = blas_info()
    calls = []
    epoch = _buffered.sgd_epoch

    def interrupted(*args):
        calls.append(None)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return epoch(*args)

    monkeypatch.setattr(_buffered, "sgd_epoch", interrupted)
    clf = SigmoidMLPClassifier(**{**PARAMS, "max_iter": 3})
    with pytest.warns(UserWarning, match="interrupted"):
        clf.fit(X, y)
    assert clf.n_iter_ == 1
    assert blas_info() == before


def test_blas_settings_restored_when_the_interrupt_hits_the_restore(fitted):
    # The interrupt lands in the middle of putting the thread counts back:
    # they are put back all the same, and the interrupt goes through.
    _, X, y = fitted
    with threadpool_limits(limits=2, user_api="blas"):
        before = blas_info()
        libs = _classifier._get_threadpool_controller().select(user_api="blas")
        cls = type(libs.lib_controllers[0])
        original = cls.set_num_threads
        armed = [True]

        def flaky(self, num_threads):
            if num_threads > 1 and armed[0]:
                armed[0] = False
                raise KeyboardInterrupt
            return original(self, num_threads)

        cls.set_num_threads = flaky
        try:
            with pytest.raises(KeyboardInterrupt):
                SigmoidMLPClassifier(**PARAMS).fit(X[:1000], y[:1000])
        finally:
            cls.set_num_threads = original
        assert not armed[0]
        assert blas_info() == before


# --- any dense layout ----------------------------------------------------


def test_dataframe_fortran_and_sliced_x_train_as_c_ordered(reference):
    # Converted once, at validation: the same rows give the same weights.
    pd = pytest.importorskip("pandas")
    _, X, y, want = reference
    X, y = X[:2000], y[:2000]
    want = fit_weights(X, y)
    wider = np.hstack([X, X])
    layouts = {
        "fortran": np.asfortranarray(X),
        "slice": wider[:, : X.shape[1]],
        "dataframe": pd.DataFrame(X),
    }
    for name, data in layouts.items():
        assert_same_bits(fit_weights(data, y), want)
