"""Chapter 1's experiment: a 784-30-10 sigmoid network learns the images.

As in the book: 30 epochs of mini-batch SGD with mini-batches of 10 and
learning rate eta = 3.0 on the 60,000 training images (pixels / 255), and
after each epoch the line ``Epoch j: k / n``, k of the n test images
classified correctly (epochs counted from 1, as ``history_`` and the command
line count them; the book's ``network.py`` counts from 0). The book reaches
about 95% on MNIST. At the end come the final accuracy and the time taken.

The images are read from a folder of MNIST-layout IDX files (gzipped or
not): MNIST itself, or Fashion-MNIST, which is the default where installed
at /usr/share/datasets/fashion-mnist. A folder that holds only the test
files (``t10k-*``) is split into 8,000 training and 2,000 test images,
stratified, always the same way. The weights and the shuffles are seeded
(``--random-state``, default 0), so a run's figures come back.

Run from the repository root::

    python benchmarks/book_chapter1.py                      # Fashion-MNIST
    python benchmarks/book_chapter1.py path/to/mnist --epochs 10
    python benchmarks/book_chapter1.py path/to/mnist-t10k --hidden 100
    python benchmarks/book_chapter1.py path/to/mnist-t10k --saturation

``--saturation`` adds, before training and after each epoch, what differs
between hidden layers of different sizes: for the hidden and the output
layer, the standard deviation of the neurons' weighted inputs z on the test
images, and the share of their activations that are saturated (below 0.02
or above 0.98).
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

from skdigitnet import SigmoidMLPClassifier
from skdigitnet.datasets import load_mnist

DEFAULT_DATA = Path("/usr/share/datasets/fashion-mnist")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "data",
        nargs="?",
        type=Path,
        default=DEFAULT_DATA,
        help=f"folder with MNIST-layout IDX files (default {DEFAULT_DATA})",
    )
    parser.add_argument("--epochs", type=int, default=30, help="(default 30)")
    parser.add_argument(
        "--hidden", type=int, default=30, help="hidden neurons (default 30)"
    )
    parser.add_argument(
        "--batch-size", type=int, default=10, help="mini_batch_size (default 10)"
    )
    parser.add_argument(
        "--eta", type=float, default=3.0, help="learning rate (default 3.0)"
    )
    parser.add_argument(
        "--weight-init",
        choices=["gaussian", "scaled"],
        default="gaussian",
        help="N(0, 1) weights, the book's (default), or chapter 3's N(0, 1/n_in)",
    )
    parser.add_argument("--random-state", type=int, default=0, help="seed (default 0)")
    parser.add_argument(
        "--baselines",
        action="store_true",
        help="also the book's baselines: guessing from the average darkness "
        "of each digit, and scikit-learn's SVC with its defaults",
    )
    parser.add_argument(
        "--saturation",
        action="store_true",
        help="also the spread of the hidden weighted inputs and the share of "
        "saturated hidden activations, before training and after each epoch",
    )
    return parser.parse_args(argv)


def load(folder, subset):
    X, y = load_mnist(folder, subset=subset, return_X_y=True)
    return np.asarray(X, dtype=np.float64) / 255.0, y


def load_train_test(folder):
    """The training and test images, or a fixed split of the test images."""
    has_train = any(
        (folder / f"train-images-idx3-ubyte{ext}").exists() for ext in ("", ".gz")
    )
    if has_train:
        X_train, y_train = load(folder, "train")
        X_test, y_test = load(folder, "test")
        return X_train, y_train, X_test, y_test, "training and test"
    X, y = load(folder, "test")
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, train_size=8000, test_size=2000, stratify=y, random_state=0
    )
    return X_train, y_train, X_test, y_test, "test-set (split 8,000/2,000)"


def baselines(X_train, y_train, X_test, y_test):
    """Print the accuracy of the book's two baselines."""
    from sklearn.svm import SVC

    classes = np.unique(y_train)
    darkness = X_train.sum(axis=1)
    mean_darkness = np.array([darkness[y_train == c].mean() for c in classes])
    nearest = np.abs(X_test.sum(axis=1)[:, None] - mean_darkness).argmin(axis=1)
    print(f"Average darkness: {np.mean(classes[nearest] == y_test):.2%}")
    svc = SVC().fit(X_train, y_train)
    print(f"SVC, defaults: {svc.score(X_test, y_test):.2%}")


def saturation(coefs, intercepts, X):
    """Spread of each layer's weighted inputs and share of saturated outputs."""
    parts = []
    a = X
    for name, w, b in zip(("hidden", "output"), coefs, intercepts):
        z = a @ w + b
        a = 1.0 / (1.0 + np.exp(-z))
        saturated = np.mean((a < 0.02) | (a > 0.98))
        parts.append(f"{name} z std {z.std():.2f}, saturated {saturated:.1%}")
    return "; ".join(parts)


def main(argv=None):
    args = parse_args(argv)
    try:
        X_train, y_train, X_test, y_test, source = load_train_test(args.data)
    except (FileNotFoundError, ValueError) as exc:
        sys.exit(f"book_chapter1.py: cannot read the images: {exc}")
    n_test = len(y_test)
    net = SigmoidMLPClassifier(
        hidden_layer_sizes=(args.hidden,),
        batch_size=args.batch_size,
        learning_rate_init=args.eta,
        weight_init=args.weight_init,
        random_state=args.random_state,
    )
    classes = np.unique(y_train)
    print(
        f"784-{args.hidden}-{len(classes)}, {args.epochs} epochs, "
        f"mini-batch {args.batch_size}, eta {args.eta}, "
        f"weight_init={args.weight_init!r}, "
        f"{len(y_train):,} training and {n_test:,} test images from the "
        f"{source} files in {args.data}, random_state={args.random_state}"
    )
    if args.saturation:
        # The weights as fit draws them: biases, then weights, layer by layer.
        rng = np.random.RandomState(args.random_state)
        sizes = [X_train.shape[1], args.hidden, len(classes)]
        biases = [rng.standard_normal(n) for n in sizes[1:]]
        coefs = [rng.standard_normal((m, n)).T for n, m in zip(sizes, sizes[1:])]
        if args.weight_init == "scaled":
            coefs = [w / np.sqrt(w.shape[0]) for w in coefs]
        print(f"Before training: {saturation(coefs, biases, X_test)}")
    train_seconds = 0.0
    start = time.perf_counter()
    for j in range(args.epochs):
        epoch_start = time.perf_counter()
        net.partial_fit(X_train, y_train, classes=classes)
        train_seconds += time.perf_counter() - epoch_start
        correct = int(np.sum(net.predict(X_test) == y_test))
        line = f"Epoch {j + 1}: {correct} / {n_test}"
        if args.saturation:
            line += f" ({saturation(net.coefs_, net.intercepts_, X_test)})"
        print(line, flush=True)
    total = time.perf_counter() - start
    print(
        f"Final accuracy: {correct} / {n_test} = {correct / n_test:.2%}; "
        f"training {train_seconds:.1f} s ({train_seconds / args.epochs:.2f} s "
        f"per epoch), {total:.1f} s with evaluation"
    )
    if args.baselines:
        baselines(X_train, y_train, X_test, y_test)


if __name__ == "__main__":
    main()
