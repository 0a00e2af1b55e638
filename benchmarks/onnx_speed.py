"""Prediction speed of onnxruntime on an exported SigmoidMLPClassifier.

For each network and dtype, SigmoidMLPClassifier and scikit-learn's
MLPClassifier (logistic hidden units, the same hidden layers) are trained for
one epoch on the same data (prediction speed does not depend on the weights),
the classifier is exported with ``skdigitnet.to_onnx`` and loaded in an
onnxruntime session. Then the three take turns, five times, predicting the
probabilities of all rows at once: ``predict_proba`` of each estimator and
``session.run`` of onnxruntime. The report gives the median throughput in
rows per second and, as a check, the largest difference between onnxruntime's
probabilities and ``predict_proba``'s and the share of equal labels.

The data are Fashion-MNIST's 60,000 training images scaled to [0, 1], read
from ``--data`` (default ``/usr/share/datasets/fashion-mnist``), or random
data of the same shape where that folder has no such files. Needs the onnx
extra (``pip install "skdigitnet[onnx]"``).

Run from the repository root::

    python benchmarks/onnx_speed.py
    python benchmarks/onnx_speed.py --threads 1    # one thread for all
"""

import argparse
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

import skdigitnet
from skdigitnet import SigmoidMLPClassifier, to_onnx
from skdigitnet.datasets import read_idx

DEFAULT_DATA = Path("/usr/share/datasets/fashion-mnist")
HIDDEN = [(30,), (100,), (100, 30)]
DTYPES = (np.float32, np.float64)
N_CLASSES = 10
REPEATS = 5


def load_data(folder, n_rows=60_000):
    """Return ``X`` in [0, 1], integer ``y`` and a line saying where they came from."""
    for suffix in ("", ".gz"):
        images = folder / f"train-images-idx3-ubyte{suffix}"
        labels = folder / f"train-labels-idx1-ubyte{suffix}"
        if images.is_file() and labels.is_file():
            X = read_idx(images).reshape(-1, 784)[:n_rows] / 255.0
            y = read_idx(labels)[:n_rows].astype(np.int64)
            return X, y, f"the first {len(X):,} training images of {folder}, / 255"
    rng = np.random.default_rng(0)
    X = rng.random((n_rows, 784))
    y = rng.integers(0, N_CLASSES, n_rows)
    return X, y, f"random data of shape ({n_rows:,}, 784) ({folder} not found)"


def train(hidden, dtype, X, y):
    ours = SigmoidMLPClassifier(hidden, batch_size=100, random_state=0)
    theirs = MLPClassifier(
        hidden,
        activation="logistic",
        solver="sgd",
        batch_size=100,
        learning_rate_init=0.5,
        momentum=0,
        alpha=0,
        random_state=0,
    )
    X = X.astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours.partial_fit(X, y, classes=np.arange(N_CLASSES))
        theirs.partial_fit(X, y, classes=np.arange(N_CLASSES))
    return ours, theirs


def median_rows_per_second(contenders, n_rows):
    """Time the contenders in turns; return each one's median rows per second."""
    seconds = {name: [] for name in contenders}
    for name, fn in contenders.items():
        fn()  # untimed: first-call costs
    for _ in range(REPEATS):
        for name, fn in contenders.items():
            start = time.perf_counter()
            fn()
            seconds[name].append(time.perf_counter() - start)
    return {name: n_rows / statistics.median(s) for name, s in seconds.items()}


def measure(hidden, dtype, X64, y, threads):
    import onnxruntime as ort

    ours, theirs = train(hidden, dtype, X64, y)
    X = X64.astype(dtype)
    options = ort.SessionOptions()
    if threads is not None:
        options.intra_op_num_threads = threads
    session = ort.InferenceSession(
        to_onnx(ours, X[:1]).SerializeToString(),
        options,
        providers=["CPUExecutionProvider"],
    )
    label, proba = session.run(None, {"X": X})
    rates = median_rows_per_second(
        {
            "ours": lambda: ours.predict_proba(X),
            "onnx": lambda: session.run(None, {"X": X}),
            "mlp": lambda: theirs.predict_proba(X),
        },
        len(X),
    )
    return {
        "network": "-".join(map(str, [X.shape[1], *hidden, N_CLASSES])),
        "dtype": np.dtype(dtype).name,
        **rates,
        "diff": float(np.abs(proba - ours.predict_proba(X)).max()),
        "equal": float(np.mean(label == ours.predict(X))),
    }


def report(rows, source, threads):
    lines = [
        "# onnxruntime against predict_proba",
        "",
        f"skdigitnet {skdigitnet.__version__}, onnxruntime "
        f"{sys.modules['onnxruntime'].__version__}, {os.cpu_count()} CPUs, "
        f"threads: {'library default' if threads is None else threads}.",
        f"Data: {source}. Probabilities of all rows in one call, median of "
        f"{REPEATS}, in rows per second.",
        "",
        "| network | dtype | SigmoidMLPClassifier.predict_proba | onnxruntime "
        "| onnxruntime / predict_proba | MLPClassifier.predict_proba "
        "| max abs diff | equal labels |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['network']} | {r['dtype']} | {r['ours']:,.0f} | {r['onnx']:,.0f} "
            f"| {r['onnx'] / r['ours']:.2f} | {r['mlp']:,.0f} | {r['diff']:.1e} "
            f"| {r['equal']:.4f} |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        help=f"folder with MNIST-layout IDX files (default {DEFAULT_DATA})",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="BLAS and onnxruntime threads (default: each library's own choice)",
    )
    args = parser.parse_args(argv)
    try:
        import onnxruntime  # noqa: F401
        import skl2onnx  # noqa: F401
    except ImportError as exc:
        sys.exit(f'{exc}: this benchmark needs pip install "skdigitnet[onnx]"')
    X64, y, source = load_data(args.data)
    with threadpool_limits(limits=args.threads, user_api="blas"):
        rows = [
            measure(hidden, dtype, X64, y, args.threads)
            for hidden in HIDDEN
            for dtype in DTYPES
        ]
    print(report(rows, source, args.threads))


if __name__ == "__main__":
    main()
