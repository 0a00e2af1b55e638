"""Chapter 3's expanded training data: test accuracy and fit time.

For Fashion-MNIST (60,000 training and 10,000 test images) and for MNIST's
test set split 8,000/2,000 (stratified, always the same way), three fits:

- ``BEST`` of ``benchmarks/accuracy.py`` (SigmoidMLPClassifier) on the
  original training images;
- the same on the expanded training images: each image and its four copies
  shifted by one pixel up, down, left and right
  (:func:`skdigitnet.datasets.expand_images`, the book's ``expand_mnist.py``);
- MLPClassifier with the same network and training (``MLP_BEST``) on the
  same expanded images.

Early stopping needs validation images that are not shifted copies of
training images, so 10% of the original training images (stratified,
``random_state=0``) are held out first and never expanded; the rest are the
training images. SigmoidMLPClassifier is given the held-out images as
``X_val``; MLPClassifier, which cannot be given a validation set, holds out
10% of the rows it is given, shifted copies among them, as it always does.

Pixels are divided by 255 and trained in float32, ``random_state=0``, one
fit each, on ``--threads`` BLAS threads. Progress goes to standard error,
each row of the Markdown table to standard output as soon as it is
measured. The machine may be shared: fit times are indicative, and ratios
within one run compare best.

Run from the repository root::

    python benchmarks/expanded.py --mnist-test path/to/mnist  # an hour or more
    python benchmarks/expanded.py --quick     # smoke run on a few rows

On a machine with two or more cores, processes that share out the work
(``--datasets``, ``--fits``) finish sooner than one::

    python benchmarks/expanded.py --datasets fashion --fits original expanded
    python benchmarks/expanded.py --datasets fashion --fits mlp
    python benchmarks/expanded.py --datasets mnist --mnist-test path/to/mnist
"""

import os
import platform
import sys
import time
import tracemalloc
import warnings

import numpy as np
import sklearn
from accuracy import BEST, MLP_BEST, data_parser, describe, read_images
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

import skdigitnet
from skdigitnet import SigmoidMLPClassifier
from skdigitnet.datasets import expand_images

VALIDATION_FRACTION = 0.1

# The fits: model, training data, whether it is BEST (else MLP_BEST), and
# expand_images' keywords (None: the original images).
FITS = {
    "original": ("SigmoidMLPClassifier BEST", "original", True, None),
    "expanded": ("SigmoidMLPClassifier BEST", "expanded", True, {}),
    "mlp": ("MLPClassifier MLP_BEST", "expanded", False, {}),
    "mirror": (
        "SigmoidMLPClassifier BEST",
        "expanded + mirror",
        True,
        {"mirror": True},
    ),
}


def parse_args(argv=None):
    parser = data_parser(__doc__)
    parser.add_argument(
        "--datasets",
        nargs="+",
        choices=["fashion", "mnist"],
        default=["fashion", "mnist"],
        help="which datasets to run (default: both; MNIST only with --mnist-test)",
    )
    parser.add_argument(
        "--fits",
        nargs="*",
        choices=list(FITS),
        default=["original", "expanded", "mlp"],
        help="which fits to run, on each dataset: BEST on the original or "
        "expanded images, MLP_BEST on the expanded images, BEST on the "
        "expanded images plus their mirror images (default: the first three; "
        "none: only the time and memory of the expansion)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="BLAS threads (default 1: on a loaded machine more threads than "
        "free cores slow MLPClassifier's small products down tenfold)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 2,000 training and 500 test images, 2 epochs",
    )
    return parser.parse_args(argv)


def scaled(X):
    """Pixels / 255 in float32, without a float64 copy of the images."""
    X = X.astype(np.float32)
    X /= 255
    return X


def datasets(args):
    """Yield (name, X_train, y_train, X_test, y_test), uint8 images."""
    sets = []
    if "fashion" in args.datasets:
        X_train, y_train = read_images(args.fashion, "train")
        X_test, y_test = read_images(args.fashion, "test")
        sets.append(("Fashion-MNIST", X_train, y_train, X_test, y_test))
    if args.mnist_test is not None and "mnist" in args.datasets:
        X, y = read_images(args.mnist_test, "test")
        parts = train_test_split(
            X, y, train_size=8000, test_size=2000, stratify=y, random_state=0
        )
        sets.append(("MNIST t10k 8,000/2,000", parts[0], parts[2], parts[1], parts[3]))
    for name, X_train, y_train, X_test, y_test in sets:
        if args.quick:
            X_train, y_train = X_train[:2000], y_train[:2000]
            X_test, y_test = X_test[:500], y_test[:500]
        yield name, X_train, y_train, X_test, y_test


def fits(args):
    """(model, training data, estimator, uses X_val, expand keywords)."""
    for key in args.fits:
        model, data, sigmoid, expand = FITS[key]
        if sigmoid:
            estimator = SigmoidMLPClassifier(**BEST, random_state=0)
        else:
            estimator = MLPClassifier(**MLP_BEST, random_state=0)
        if args.quick:
            estimator.set_params(max_iter=2)
        yield model, data, estimator, sigmoid, expand


def expansion_cost(name, X, y):
    """Time and peak traced memory of expand_images on ``X``, in words."""
    tracemalloc.start()
    try:
        tic = time.perf_counter()
        X_more, _ = expand_images(X, y)
        seconds = time.perf_counter() - tic
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return (
        f"{name}: expand_images on {X.shape[0]:,} x {X.shape[1]} {X.dtype} "
        f"({X.nbytes / 1e6:.1f} MB) gives {X_more.nbytes / 1e6:.1f} MB in "
        f"{seconds:.1f} s; peak memory allocated {peak / 1e6:.1f} MB, "
        f"{peak / X.nbytes:.2f} times the input."
    )


def run(estimator, X_train, y_train, validation):
    tic = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if validation is None:
            estimator.fit(X_train, y_train)
        else:
            estimator.fit(X_train, y_train, X_val=validation[0], y_val=validation[1])
    return time.perf_counter() - tic


def cpu_model():
    """The processor's name, where Linux tells it."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main(argv=None):
    args = parse_args(argv)
    with threadpool_limits(args.threads):
        report(args)


def report(args):
    start = time.perf_counter()
    load_at_start = os.getloadavg()
    print("# Expanded training data: SigmoidMLPClassifier and MLPClassifier\n")
    print(
        "| Data | Model | Training data | Training rows | Epochs | Fit time (s) "
        "| Test accuracy |"
    )
    print("|---|---|---|--:|--:|--:|--:|", flush=True)
    costs = []
    for name, X, y, X_test, y_test in datasets(args):
        costs.append(expansion_cost(name, X, y))
        X_fit, X_val, y_fit, y_val = train_test_split(
            X, y, test_size=VALIDATION_FRACTION, stratify=y, random_state=0
        )
        validation = scaled(X_val), y_val
        X_test = scaled(X_test)
        for model, data, estimator, sigmoid, expand in fits(args):
            if expand is None:
                X_train, y_train = X_fit, y_fit
            else:
                X_train, y_train = expand_images(X_fit, y_fit, **expand)
            X_train = scaled(X_train)
            print(
                f"{name}, {model}, {data}: {len(y_train):,} rows ...",
                file=sys.stderr,
                flush=True,
            )
            seconds = run(estimator, X_train, y_train, validation if sigmoid else None)
            accuracy = estimator.score(X_test, y_test)
            print(
                f"| {name} | {model} | {data} | {len(y_train):,} | "
                f"{estimator.n_iter_} | {seconds:.0f} | {accuracy:.4f} |",
                flush=True,
            )
            del X_train
    print(
        f"\nTraining rows: the original training images less "
        f"{VALIDATION_FRACTION:.0%} held out for validation, or five times "
        "them expanded. SigmoidMLPClassifier validates on the held-out "
        "originals; MLPClassifier holds out 10% of its training rows."
    )
    print(f"\n- BEST: {describe(BEST)}\n- MLP_BEST: {describe(MLP_BEST)}\n")
    print("\n".join(costs))
    print(
        f"\nPixels / 255, float32; random_state=0. skdigitnet "
        f"{skdigitnet.__version__}, scikit-learn {sklearn.__version__}, numpy "
        f"{np.__version__}, Python {platform.python_version()}, "
        f"{cpu_model()}, {os.cpu_count()} CPUs, {args.threads} BLAS "
        f"thread(s); load average "
        f"{load_at_start[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the "
        f"end; {time.perf_counter() - start:.0f} s in all."
    )


if __name__ == "__main__":
    main()
