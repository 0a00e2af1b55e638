"""Training on data larger than memory: partial_fit over chunks of a mapped file.

Two ways, both reading one chunk of a raw IDX file at a time: a plain loop of
``partial_fit`` calls, and dask-ml's ``Incremental`` on a dask cluster, which
makes the same calls, one per block of a dask array.
"""

import numpy as np
import pytest
from conftest import peak_bytes
from numpy.testing import assert_array_equal
from sklearn.datasets import load_digits

from skdigitnet import SigmoidMLPClassifier
from skdigitnet.datasets import read_idx, write_idx

CLASSES = np.arange(10)


def write_images(folder, images, labels):
    """Write raw IDX files of images and labels; return their paths."""
    images_path = folder / "images-idx3-ubyte"
    labels_path = folder / "labels-idx1-ubyte"
    write_idx(images_path, images)
    write_idx(labels_path, labels)
    return images_path, labels_path


def digits_files(folder):
    """scikit-learn's digits as IDX files of bytes, grey levels 0 to 240."""
    X, y = load_digits(return_X_y=True)
    images = (X * 15).astype(np.uint8).reshape(-1, 8, 8)
    return write_images(folder, images, y.astype(np.uint8))


def read_rows(images_path, labels_path, start, stop):
    """Rows ``start:stop`` of the mapped files: pixels in [0, 1], labels."""
    images = read_idx(images_path, mmap_mode="r")
    labels = read_idx(labels_path, mmap_mode="r")
    X = images[start:stop].reshape(stop - start, -1) / 255.0
    return X, labels[start:stop].astype(np.int64)


def network():
    # shuffle=True shuffles within each chunk, from the model's own seeded
    # generator: the same calls in the same order give the same weights.
    return SigmoidMLPClassifier(
        hidden_layer_sizes=(20,), batch_size=10, random_state=0, shuffle=True
    )


@pytest.mark.slow
def test_incremental_on_a_dask_cluster_equals_partial_fit_by_hand(
    tmp_path, dask_client
):
    dask = pytest.importorskip("dask", reason="dask is part of the dist extra")
    da = pytest.importorskip("dask.array", reason="dask is part of the dist extra")
    distributed = pytest.importorskip(
        "distributed", reason="distributed is part of the dist extra"
    )
    wrappers = pytest.importorskip(
        "dask_ml.wrappers", reason="dask-ml is part of the dist extra"
    )
    paths = digits_files(tmp_path)
    n_samples, chunk = len(read_idx(paths[1])), 300
    bounds = [(s, min(s + chunk, n_samples)) for s in range(0, n_samples, chunk)]

    # The dask array is built lazily: each block is read from the mapped
    # file by the task that needs it, on the worker.
    blocks = [dask.delayed(read_rows, nout=2)(*paths, a, b) for a, b in bounds]
    X = da.concatenate(
        [
            da.from_delayed(Xb, shape=(b - a, 64), dtype=np.float64)
            for (Xb, _), (a, b) in zip(blocks, bounds)
        ]
    )
    y = da.concatenate(
        [
            da.from_delayed(yb, shape=(b - a,), dtype=np.int64)
            for (_, yb), (a, b) in zip(blocks, bounds)
        ]
    )
    assert X.numblocks == (len(bounds), 1)

    with (
        dask_client(n_workers=1, threads_per_worker=2, processes=False) as client,
        distributed.get_task_stream(client) as tasks,
    ):
        # shuffle_blocks=False: one partial_fit per block, in order.
        incremental = wrappers.Incremental(network(), shuffle_blocks=False)
        incremental.fit(X, y, classes=CLASSES)
    assert len(tasks.data) >= len(bounds)

    by_hand = network()
    for a, b in bounds:
        by_hand.partial_fit(*read_rows(*paths, a, b), classes=CLASSES)

    fitted = incremental.estimator_
    assert fitted.t_ == by_hand.t_ == n_samples
    for got, want in zip(
        fitted.coefs_ + fitted.intercepts_, by_hand.coefs_ + by_hand.intercepts_
    ):
        assert_array_equal(got, want)
    # And it learned: one pass over the digits is well above chance.
    X_all, y_all = read_rows(*paths, 0, n_samples)
    assert fitted.score(X_all, y_all) > 0.5


def stream(images_path, labels_path, chunk):
    """Train by partial_fit over the mapped file, ``chunk`` rows at a time."""
    clf = network()
    n_samples = len(read_idx(labels_path, mmap_mode="r"))
    for start in range(0, n_samples, chunk):
        stop = min(start + chunk, n_samples)
        X, y = read_rows(images_path, labels_path, start, stop)
        clf.partial_fit(X, y, classes=CLASSES)
    return clf


@pytest.mark.slow
def test_streaming_a_mapped_file_needs_memory_of_a_chunk_not_the_file(tmp_path):
    rng = np.random.default_rng(0)
    chunk = 500
    chunk_bytes = chunk * 784 * 8  # a chunk of rows in float64: 3.1 MB
    peaks = {}
    for n_samples in (5_000, 40_000):
        folder = tmp_path / str(n_samples)
        folder.mkdir()
        images = rng.integers(256, size=(n_samples, 28, 28), dtype=np.uint8)
        labels = (np.arange(n_samples) % 10).astype(np.uint8)
        paths = write_images(folder, images, labels)
        del images
        peaks[n_samples] = peak_bytes(stream, *paths, chunk)[0]

    file_bytes = 40_000 * 784  # 31 MB of bytes, 251 MB as float64 rows
    # Reading the file in, as a control, shows in the measure.
    assert peak_bytes(read_idx, paths[0])[0] >= file_bytes
    # Streaming it takes a few chunks, and the same for 8 times the rows.
    assert peaks[40_000] < 4 * chunk_bytes < file_bytes / 2
    assert peaks[40_000] < 1.25 * peaks[5_000]
