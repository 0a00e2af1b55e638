"""Nothing of the user's can hang or stall the estimator.

The estimator holds no process-wide lock, so user code that runs while it
works may call it again: a numpy error callback, a ``showwarning`` hook or
a signal handler that predicts, during ``fit`` and during ``predict``; a
child forked while another thread trains may predict; and a small model's
``predict`` in one thread waits for its own work only, not for another
thread's epoch. Each case runs in a subprocess under a timeout, so that a
hang fails the test instead of stalling the run.
"""

import subprocess
import sys
import textwrap

import pytest

# Generous for a busy machine; a hang is what exceeds it.
TIMEOUT = 300

PRELUDE = """
import os, signal, sys, threading, time, warnings
import numpy as np
from sklearn.datasets import load_digits
from skdigitnet import SigmoidMLPClassifier, _buffered

warnings.simplefilter("ignore")
X, y = load_digits(return_X_y=True)
X = X / 16
other = SigmoidMLPClassifier((10,), max_iter=2, random_state=0).fit(X, y)
EXPECTED = other.predict(X[:5])
calls = []


def predict_other(*args):
    calls.append(bool((other.predict(X[:5]) == EXPECTED).all()))


def big_fit(**params):
    params = {"hidden_layer_sizes": (100,), "max_iter": 3, "random_state": 0,
              **params}
    return SigmoidMLPClassifier(**params).fit(np.tile(X, (4, 1)), np.tile(y, 4))
"""

CASES = {
    "numpy error callback": """
    want = big_fit(loss="cross_entropy", max_iter=1)
    np.seterrcall(predict_other)
    np.seterr(all="call")
    # The issue's case: large inputs, whose errors underflow in training.
    got = big_fit(loss="cross_entropy", max_iter=1)
    proba = other.predict_proba(X * 1e6)
    np.seterr(all="ignore")
    for a, b in zip(got.coefs_, want.coefs_):
        assert (a == b).all()
    assert np.isfinite(proba).all()
    assert all(calls), calls
    """,
    "showwarning hook": """
    np.seterr(under="warn")
    warnings.simplefilter("always")
    warnings.showwarning = predict_other
    # A ConvergenceWarning at the end of the epochs, during fit.
    big_fit(max_iter=1, tol=1e-4)
    during_fit = len(calls)
    # Feature names that the model was not fitted with, during predict.
    import pandas as pd
    names = [f"pixel {k}" for k in range(X.shape[1])]
    other.predict(pd.DataFrame(X[:5], columns=names))
    assert during_fit >= 1 and len(calls) > during_fit, calls
    assert all(calls), calls
    """,
    "signal handler": """
    inside = []

    def handler(*args):
        # A tick that lands in a slow handler's predict is skipped.
        if not inside:
            inside.append(True)
            predict_other()
            inside.clear()

    signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, 0.02, 0.02)
    big_fit()
    during_fit = len(calls)
    big = np.tile(X, (20, 1))
    deadline = time.monotonic() + 1
    while time.monotonic() < deadline:
        other.predict_proba(big)
    signal.setitimer(signal.ITIMER_REAL, 0)
    assert during_fit >= 1 and len(calls) > during_fit, calls
    assert all(calls), calls
    """,
    "fork while another thread trains": """
    training = threading.Event()
    epoch = _buffered.sgd_epoch

    def watched(*args):
        training.set()
        return epoch(*args)

    _buffered.sgd_epoch = watched
    thread = threading.Thread(target=big_fit, kwargs={"max_iter": 5})
    thread.start()
    assert training.wait(120)
    time.sleep(0.05)
    pid = os.fork()
    if pid == 0:
        ok = (other.predict(X[:5]) == EXPECTED).all()
        os._exit(0 if ok else 3)
    for _ in range(1200):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, signal.SIGKILL)
        sys.exit("the forked child hung in predict")
    assert os.waitstatus_to_exitcode(status) == 0, status
    thread.join()
    """,
    "small predict while another thread trains": """
    rng = np.random.default_rng(0)
    X_big = rng.random((10_000, 784))
    y_big = rng.integers(0, 10, 10_000)
    big = SigmoidMLPClassifier((300,), batch_size=200, max_iter=3, random_state=0)
    thread = threading.Thread(target=big.fit, args=(X_big, y_big))
    latencies = []
    thread.start()
    time.sleep(0.2)
    while thread.is_alive():
        start = time.perf_counter()
        other.predict(X[:1])
        latencies.append(time.perf_counter() - start)
        time.sleep(0.001)
    thread.join()
    epoch = min(record["seconds"] for record in big.history_)
    median, longest = sorted(latencies)[len(latencies) // 2], max(latencies)
    print(f"predict: median {median * 1e3:.1f} ms, longest {longest * 1e3:.0f} ms;"
          f" epoch {epoch * 1e3:.0f} ms")
    # Bounded by its own work, not by the other's epoch: a predict that
    # waited for an epoch to end would take about the epoch's time.
    assert len(latencies) >= 10, latencies
    assert median < epoch / 10, (median, epoch)
    assert longest < epoch / 2, (longest, epoch)
    """,
}


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES)
def test_user_code_cannot_hang_or_stall_the_estimator(case, tmp_path):
    script = tmp_path / "case.py"
    script.write_text(PRELUDE + textwrap.dedent(CASES[case]) + '\nprint("OK")\n')
    try:
        result = subprocess.run(
            [sys.executable, str(script)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{case}: hung for {TIMEOUT} s")
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.endswith("OK\n"), result.stdout
