"""Prediction works in chunks: its working memory does not grow with the rows.

predict_proba of 2,000,000 x 784 float32 rows must need no more than its
output plus ~100 MB. tracemalloc sees numpy's allocations; these tests
measure the peak over the output on inputs large enough that any full-size
intermediate (a converted copy of X, a hidden layer's activations for all
rows) would show, and check that it stays a few chunks' worth.
"""

import tracemalloc
import warnings

import numpy as np
import pytest

from skdigitnet import SigmoidMLPClassifier

N_FEATURES, N_HIDDEN, N_CLASSES = 784, 100, 10
# What one 512-row chunk may take: its conversion to the weights' dtype
# (3.1 MiB from float32 to float64) and its activations, with room to spare.
WORKING_BOUND = 6 * 2**20


def fitted(dtype):
    rng = np.random.default_rng(0)
    X = rng.random((200, N_FEATURES)).astype(dtype)
    y = np.arange(200) % N_CLASSES
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # not converged in one epoch
        return SigmoidMLPClassifier((N_HIDDEN,), max_iter=1, random_state=0).fit(X, y)


def peak_bytes(fn):
    """Peak of tracemalloc's traced memory while ``fn`` runs, over before."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        result = fn()
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    return peak, result


@pytest.mark.parametrize(
    "model_dtype, input_dtype",
    [(np.float32, np.float32), (np.float32, np.float64), (np.float64, np.float32)],
    ids=["float32", "float64 input to float32 weights", "float32 to float64"],
)
def test_predict_proba_working_memory_is_a_few_chunks(model_dtype, input_dtype):
    clf = fitted(model_dtype)
    itemsize = np.dtype(model_dtype).itemsize
    for n_rows in (25_000,):
        X = np.full((n_rows, N_FEATURES), 0.5, dtype=input_dtype)
        output = n_rows * N_CLASSES * itemsize
        # The test means something: any full-size intermediate breaks it.
        assert n_rows * N_HIDDEN * itemsize > WORKING_BOUND
        assert X.nbytes > 5 * WORKING_BOUND

        peak, proba = peak_bytes(lambda: clf.predict_proba(X))
        assert proba.shape == (n_rows, N_CLASSES)
        assert peak - output < WORKING_BOUND, (n_rows, peak / 2**20)

        peak, labels = peak_bytes(lambda: clf.predict(X))
        assert labels.shape == (n_rows,)
        assert peak - output - labels.nbytes < WORKING_BOUND, (n_rows, peak / 2**20)


def test_predict_in_chunks_gives_the_rows_alone():
    # Chunk boundaries do not show in the result: each row is predicted as
    # if it were alone.
    clf = fitted(np.float64)
    X = np.random.default_rng(1).random((1300, N_FEATURES))
    proba = clf.predict_proba(X)
    for i in (0, 511, 512, 1023, 1024, 1299):
        np.testing.assert_allclose(
            clf.predict_proba(X[i : i + 1])[0], proba[i], rtol=1e-12
        )
