"""Test accuracy and fit time of SigmoidMLPClassifier against MLPClassifier.

On Fashion-MNIST (60,000 training and 10,000 test images), four models:

- the book's settings: chapter 1's 784-30-10 network, quadratic cost,
  N(0, 1) weights, eta = 3.0, mini-batches of 10, 30 epochs;
- the best settings found for SigmoidMLPClassifier (``BEST`` below:
  chapter 3's log-likelihood and scaled initialisation, L2, momentum, an
  adaptive rate and early stopping), with at most ``--budget`` seconds of
  training where scikit-learn has callbacks to enforce it;
- scikit-learn's MLPClassifier with its defaults (ReLU, Adam, 100 hidden);
- MLPClassifier with the same sigmoid network and training as ``BEST``, at
  the learning rate that suited it best (``MLP_BEST``).

Then, given ``--mnist-test FOLDER`` (a folder with MNIST's
``t10k-images-idx3-ubyte.gz`` and ``t10k-labels-idx1-ubyte.gz``), the best
two again on the real MNIST test set (10,000 images), split into 8,000
training and 2,000 test images, stratified, always the same way.

Pixels are divided by 255 and trained in float32. Each model trains once,
with ``random_state=0``; the machine may be shared, so fit times are
indicative. Progress goes to standard error, the Markdown report to
standard output.

Run from the repository root::

    python benchmarks/accuracy.py --mnist-test path/to/mnist   # 30 minutes or more
    python benchmarks/accuracy.py --quick     # smoke run on a few rows

Fashion-MNIST is read from ``--fashion FOLDER``, by default where Debian's
package ``dataset-fashion-mnist`` installs it.
"""

import argparse
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

import skdigitnet
from skdigitnet import SigmoidMLPClassifier
from skdigitnet.datasets import load_mnist

FASHION = Path("/usr/share/datasets/fashion-mnist")

BOOK = dict(
    hidden_layer_sizes=(30,), batch_size=10, learning_rate_init=3.0, max_iter=30
)

# Chosen on a 50,000/10,000 split of Fashion-MNIST's training set, 15 epochs
# at a constant rate: 0.1 beat 0.05 and 0.2; "log_loss" and "cross_entropy"
# were even, as were Nesterov's momentum and plain momentum; (256, 128) and
# alpha=5e-3 did slightly worse than (256,). A rate divided by 5 on each
# plateau of the validation accuracy, and the best epoch kept, then took
# (256,) from 0.889 to 0.895 in 40 epochs; 80 allowed gave the same best
# epoch (the rate fell below 1e-6 after 63), and (512,) or (256, 128) with
# this schedule did a little worse (0.892, 0.891).
BEST = dict(
    hidden_layer_sizes=(256,),
    loss="log_loss",
    weight_init="scaled",
    alpha=1e-3,
    batch_size=64,
    learning_rate="adaptive",
    learning_rate_init=0.1,
    momentum=0.9,
    nesterovs_momentum=True,
    early_stopping=True,
    n_iter_no_change=3,
    max_iter=40,
)

# The same network and training in MLPClassifier's words; its learning
# rate is the best of 0.03, 0.1 and 0.3 on the same split (10 epochs).
MLP_BEST = dict(
    hidden_layer_sizes=BEST["hidden_layer_sizes"],
    activation="logistic",
    solver="sgd",
    alpha=BEST["alpha"],
    batch_size=BEST["batch_size"],
    learning_rate="adaptive",
    learning_rate_init=0.1,
    momentum=0.9,
    nesterovs_momentum=True,
    early_stopping=True,
    n_iter_no_change=BEST["n_iter_no_change"],
    max_iter=BEST["max_iter"],
)


class TimeLimit:
    """Callback: stop training after the epoch in which ``seconds`` run out."""

    def __init__(self, seconds):
        self.seconds = seconds

    def setup(self, estimator, context):
        self._start = time.perf_counter()

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context):
        elapsed = time.perf_counter() - self._start
        return context.task_name == "epoch" and elapsed > self.seconds


def data_parser(doc):
    """A parser described by ``doc``, with the data folders' options."""
    parser = argparse.ArgumentParser(
        description=doc.split("\n\n")[0],
        epilog=doc.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--fashion",
        type=Path,
        default=FASHION,
        help=f"folder of Fashion-MNIST's IDX files (default {FASHION})",
    )
    parser.add_argument(
        "--mnist-test",
        type=Path,
        default=None,
        help="folder of MNIST's t10k IDX files (default: no MNIST rows)",
    )
    return parser


def parse_args(argv=None):
    parser = data_parser(__doc__)
    parser.add_argument(
        "--budget",
        type=float,
        default=600.0,
        help="seconds of training allowed to the best settings (default 600)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 3,000 training and 1,000 test rows, 2 epochs",
    )
    return parser.parse_args(argv)


def read_images(folder, subset):
    """Return the uint8 images (flat rows) and labels of ``subset``, or exit."""
    try:
        return load_mnist(folder, subset=subset, return_X_y=True)
    except (FileNotFoundError, ValueError) as exc:
        sys.exit(f"{Path(sys.argv[0]).name}: cannot read the images: {exc}")


def load(folder, subset):
    X, y = read_images(folder, subset)
    return (X / 255).astype(np.float32), y


def models(budget, quick):
    """(name, settings in words, estimator) for each contender."""
    best = SigmoidMLPClassifier(**BEST, random_state=0)
    if hasattr(best, "set_callbacks"):
        best.set_callbacks(TimeLimit(budget))
    contenders = {
        "book": (
            "SigmoidMLPClassifier, the book's settings",
            "784-30-10, quadratic cost, N(0,1), eta=3.0, batch 10, 30 epochs",
            SigmoidMLPClassifier(**BOOK, random_state=0),
        ),
        "best": (
            "SigmoidMLPClassifier, best settings",
            describe(BEST),
            best,
        ),
        "mlp": (
            "MLPClassifier, defaults",
            "784-100-10 ReLU, Adam, lr=0.001, batch 200, up to 200 epochs",
            MLPClassifier(random_state=0),
        ),
        "mlp_best": (
            "MLPClassifier, same network, best rate",
            describe(MLP_BEST),
            MLPClassifier(**MLP_BEST, random_state=0),
        ),
    }
    if quick:
        for _, _, est in contenders.values():
            est.set_params(max_iter=2)
    return contenders


def describe(params):
    hidden = "-".join(str(h) for h in params["hidden_layer_sizes"])
    words = [f"784-{hidden}-10"]
    for key, value in params.items():
        if key != "hidden_layer_sizes":
            words.append(f"{key}={value}")
    return ", ".join(words)


def run(name, estimator, X_train, y_train, X_test, y_test):
    print(f"{name}: training on {len(y_train):,} rows ...", file=sys.stderr)
    tic = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(X_train, y_train)
    seconds = time.perf_counter() - tic
    accuracy = estimator.score(X_test, y_test)
    print(
        f"{name}: {estimator.n_iter_} epochs, {seconds:.0f} s, "
        f"test accuracy {accuracy:.4f}",
        file=sys.stderr,
    )
    return estimator.n_iter_, seconds, accuracy


def table(rows):
    lines = [
        "| Data | Model | Epochs | Fit time (s) | Test accuracy |",
        "|---|---|---:|---:|---:|",
    ]
    for data, model, n_iter, seconds, accuracy in rows:
        lines.append(
            f"| {data} | {model} | {n_iter} | {seconds:.0f} | {accuracy:.4f} |"
        )
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    start = time.perf_counter()
    load_at_start = os.getloadavg()
    X_train, y_train = load(args.fashion, "train")
    X_test, y_test = load(args.fashion, "test")
    mnist = None
    if args.mnist_test is not None:
        X_mnist, y_mnist = load(args.mnist_test, "test")
        mnist = train_test_split(
            X_mnist,
            y_mnist,
            train_size=8000,
            test_size=2000,
            stratify=y_mnist,
            random_state=0,
        )
    if args.quick:
        X_train, y_train = X_train[:3000], y_train[:3000]
        X_test, y_test = X_test[:1000], y_test[:1000]
        if mnist is not None:
            mnist[0], mnist[2] = mnist[0][:3000], mnist[2][:3000]

    rows = []
    contenders = models(args.budget, args.quick)
    for name, _, estimator in contenders.values():
        result = run(name, estimator, X_train, y_train, X_test, y_test)
        rows.append(("Fashion-MNIST", name, *result))
    if mnist is not None:
        M_train, M_test, my_train, my_test = mnist
        for key in ("best", "mlp_best"):
            name, _, estimator = models(args.budget, args.quick)[key]
            result = run(name, estimator, M_train, my_train, M_test, my_test)
            rows.append(("MNIST t10k 8,000/2,000", name, *result))

    print("# Test accuracy: SigmoidMLPClassifier and MLPClassifier\n")
    print(table(rows))
    print("\nSettings:\n")
    for name, words, _ in contenders.values():
        print(f"- {name}: {words}")
    mnist_rows = (
        f"MNIST t10k {len(mnist[2]):,}/{len(mnist[3]):,} rows"
        if mnist is not None
        else "no MNIST rows (no --mnist-test folder)"
    )
    print(
        f"\nFashion-MNIST {len(y_train):,}/{len(y_test):,} rows, {mnist_rows}; "
        "pixels / 255, float32; random_state=0."
    )
    print(
        f"skdigitnet {skdigitnet.__version__}, scikit-learn {sklearn.__version__}, "
        f"numpy {np.__version__}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs; load average {load_at_start[0]:.1f} at the "
        f"start, {os.getloadavg()[0]:.1f} at the end; "
        f"{time.perf_counter() - start:.0f} s in all."
    )


if __name__ == "__main__":
    main()
