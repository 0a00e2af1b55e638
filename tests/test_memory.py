"""Prediction works in chunks: its working memory does not grow with the rows.

predict_proba of 2,000,000 x 784 float32 rows must need no more than its
output plus ~100 MB. tracemalloc sees numpy's allocations; these tests
measure the peak over the output on inputs large enough that any full-size
intermediate (a converted copy of X, a hidden layer's activations for all
rows, a second output-sized array) would show, and check that it stays a
chunk's worth.
"""

import warnings

import numpy as np
import pytest
from conftest import peak_bytes
from threadpoolctl import threadpool_limits

from skdigitnet import SigmoidMLPClassifier
from skdigitnet._buffered import _PREDICT_ROWS

N_FEATURES, N_HIDDEN, N_CLASSES = 784, 300, 10
N_THREADS = 2
# What a chunk may take: its conversion to the weights' dtype (float32 to
# float64) and its hidden activations in float64; and 2 MiB for the rest.
WORKING_BOUND = 2 * 2**20 + _PREDICT_ROWS * (N_FEATURES + N_HIDDEN) * 8


def fitted(dtype, n_hidden=N_HIDDEN, n_classes=N_CLASSES):
    rng = np.random.default_rng(0)
    X = rng.random((2 * n_classes, N_FEATURES)).astype(dtype)
    y = np.arange(2 * n_classes) % n_classes
    clf = SigmoidMLPClassifier((n_hidden,), max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # not converged in one epoch
        return clf.fit(X, y)


@pytest.mark.parametrize(
    "model_dtype, input_dtype",
    [(np.float32, np.float32), (np.float32, np.float64), (np.float64, np.float32)],
    ids=["float32", "float64 input to float32 weights", "float32 to float64"],
)
@pytest.mark.slow
def test_predict_proba_working_memory_is_a_few_chunks(model_dtype, input_dtype):
    clf = fitted(model_dtype)
    itemsize = np.dtype(model_dtype).itemsize
    n_rows = 25_000
    X = np.full((n_rows, N_FEATURES), 0.5, dtype=input_dtype)
    output = n_rows * N_CLASSES * itemsize
    # The test means something: a full-size hidden layer or X breaks it.
    assert n_rows * N_HIDDEN * itemsize > WORKING_BOUND

    with threadpool_limits(limits=N_THREADS, user_api="blas"):
        peak, proba = peak_bytes(lambda: clf.predict_proba(X))
        assert proba.shape == (n_rows, N_CLASSES)
        assert peak - output < WORKING_BOUND, peak / 2**20

        peak, labels = peak_bytes(lambda: clf.predict(X))
        assert labels.shape == (n_rows,)
        assert peak - output - labels.nbytes < WORKING_BOUND, peak / 2**20


def test_predict_in_chunks_gives_the_rows_alone():
    # Chunk boundaries do not show in the result: each row is predicted as
    # if it were alone.
    clf = fitted(np.float64)
    n = _PREDICT_ROWS
    X = np.random.default_rng(1).random((n + 300, N_FEATURES))
    proba = clf.predict_proba(X)
    for i in (0, n - 1, n, n + 299):
        np.testing.assert_allclose(
            clf.predict_proba(X[i : i + 1])[0], proba[i], rtol=1e-12
        )


def test_predict_proba_normalises_in_place():
    # With many classes the output outweighs the chunks: a second array the
    # size of the output would show.
    n_rows, n_classes = 20_000, 300
    clf = fitted(np.float32, n_hidden=10, n_classes=n_classes)
    X = np.full((n_rows, N_FEATURES), 0.5, dtype=np.float32)
    output = n_rows * n_classes * 4
    assert output > WORKING_BOUND
    with threadpool_limits(limits=N_THREADS, user_api="blas"):
        peak, proba = peak_bytes(lambda: clf.predict_proba(X))
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    assert peak - output < WORKING_BOUND, peak / 2**20
