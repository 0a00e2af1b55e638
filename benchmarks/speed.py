"""Training and prediction speed of SigmoidMLPClassifier, side by side.

Three contenders train the same sigmoid networks on the same data:

- skdigitnet's ``SigmoidMLPClassifier``;
- scikit-learn's ``MLPClassifier`` set up as plain mini-batch SGD (logistic
  hidden units, no momentum, no L2 penalty, constant learning rate, the same
  hidden layers, batch size and learning rate);
- the book's per-example algorithm (``_book_network.py``, float64 only, as
  the book's numpy code is), timed on ``--book-rows`` rows and scaled up to a
  whole epoch.

For each network, batch size and dtype, every contender first makes one
untimed ``partial_fit`` call (one epoch), then the contenders take turns,
epoch by epoch, so that drift of the machine hits all of them alike. The
report gives the median (min-max) seconds per epoch, the ratios, the
prediction throughput of ``predict_proba`` on all training rows (median of
5), the peak memory that tracemalloc sees during one ``partial_fit``, and the
rate of a large matrix product, timed in the same turns, from which follows
the arithmetic-only time of an epoch: ``6 * n_samples * n_weights``
floating-point operations (forward and backward pass) at that rate.

By default every contender runs on BLAS's own thread count, which the
report prints; ``--threads 1`` puts every contender, and the matrix
product, on one thread (threadpoolctl's ``threadpool_limits(1)``, the
recipe for the same bits on machines with different core counts), which is
also the fairer choice on a machine busy with other work.

The data are Fashion-MNIST's 60,000 training images scaled to [0, 1], read
from ``--data`` (default ``/usr/share/datasets/fashion-mnist``), or random
data of the same shape where that folder has no such files. Progress goes to
standard error; the report, in Markdown, goes to standard output.

Run from the repository root::

    python benchmarks/speed.py                 # full run, several minutes
    python benchmarks/speed.py --quick         # smoke run on 6,000 rows
    python benchmarks/speed.py --epochs 5 > speed.md
    python benchmarks/speed.py --threads 1     # one BLAS thread for all
    python benchmarks/speed.py --monitors --quick   # what each monitor costs

``--monitors`` times only the book's network (784-30-10, batch 10,
float64) with each of ``SigmoidMLPClassifier``'s monitors on, one at a time,
against the same network with them off and ``MLPClassifier``: the last
sixth of the rows is the evaluation data (``X_val``), the rest trains.
"""

import argparse
import gzip
import io
import os
import platform
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sklearn
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_info, threadpool_limits

import skdigitnet
from skdigitnet import SigmoidMLPClassifier
from skdigitnet._monitors import MONITORS

sys.path.insert(0, str(Path(__file__).parent))
from _book_network import Network  # noqa: E402

DEFAULT_DATA = Path("/usr/share/datasets/fashion-mnist")

# (hidden_layer_sizes, batch_size, learning_rate_init); the first is the book's.
CONFIGS = [
    ((30,), 10, 3.0),
    ((100,), 10, 3.0),
    ((100,), 100, 3.0),
    ((500,), 200, 3.0),
]
DTYPES = (np.float64, np.float32)
BOOK_BATCH_SIZES = (10,)
N_CLASSES = 10


@dataclass
class Contender:
    """One way of training: a callable for an epoch, and one for predicting."""

    name: str
    epoch: Callable[[], object]
    predict: Callable[[], object] | None = None
    scale: float = 1.0  # timed part of an epoch -> whole epoch


# --- data ---------------------------------------------------------------------


def read_idx(path):
    """Read an IDX file (gzipped or not) into a numpy array."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    n_dims = raw[3]
    shape = np.frombuffer(raw, ">u4", count=n_dims, offset=4)
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * n_dims).reshape(shape)


def find_file(folder, stem):
    for name in (f"{stem}.gz", stem):
        if (folder / name).exists():
            return folder / name
    return None


def load_data(folder, n_rows):
    """Return ``X`` in [0, 1], integer ``y`` and a line saying where they came from."""
    images = find_file(folder, "train-images-idx3-ubyte")
    labels = find_file(folder, "train-labels-idx1-ubyte")
    if images and labels:
        X = read_idx(images).reshape(-1, 784)[:n_rows] / 255.0
        y = read_idx(labels)[:n_rows].astype(np.int64)
        return X, y, f"the first {len(X):,} training images of {folder}, / 255"
    rng = np.random.default_rng(0)
    X = rng.random((n_rows, 784))
    y = rng.integers(0, N_CLASSES, n_rows)
    return X, y, f"random data of shape ({n_rows:,}, 784) ({folder} not found)"


# --- the machine --------------------------------------------------------------


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas_line(info):
    """One threadpoolctl entry, e.g. which OpenBLAS kernel numpy's library runs."""
    name = " ".join(filter(None, (info["internal_api"], info.get("version"))))
    arch = f"{info['architecture']} kernel, " if info.get("architecture") else ""
    path = Path(info["filepath"])
    return (
        f"{name} ({arch}{info['num_threads']} threads, {path.parent.name}/{path.name})"
    )


def load_average():
    try:
        return ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def blas_threads_used():
    """The thread count of each BLAS library now, e.g. ``"2"`` or ``"1, 2"``."""
    counts = sorted(
        {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}
    )
    return ", ".join(map(str, counts)) or "unknown"


def machine_lines():
    blas = [blas_line(i) for i in threadpool_info()]
    openblas_env = {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS")}
    return [
        f"CPU: {cpu_model()}, {os.cpu_count()} logical cores",
        f"Python {platform.python_version()}, numpy {np.__version__}, "
        f"scikit-learn {sklearn.__version__}, skdigitnet {skdigitnet.__version__}",
        "BLAS: " + ("; ".join(blas) or "none reported by threadpoolctl"),
        f"BLAS threads used by every contender: {blas_threads_used()}",
        "OPENBLAS_* environment: "
        + (", ".join(f"{k}={v}" for k, v in sorted(openblas_env.items())) or "none"),
    ]


GEMM_N = 2000


def gemm_contender(dtype, n=GEMM_N):
    """An ``n x n`` by ``n x n`` matrix product, timed in turn with the epochs.

    Timed alongside them, its rate suffers the same drift and the same other
    work on the machine, so the arithmetic-only time follows the epochs'.
    """
    rng = np.random.default_rng(0)
    a = rng.random((n, n)).astype(dtype)
    b = rng.random((n, n)).astype(dtype)
    return Contender("GEMM", epoch=lambda: a @ b)


def gemm_gflops(seconds, n=GEMM_N):
    return 2 * n**3 / statistics.median(seconds) / 1e9


# --- contenders ---------------------------------------------------------------


def estimator_contender(name, estimator, X, y):
    classes = np.arange(N_CLASSES)
    return Contender(
        name,
        epoch=lambda: estimator.partial_fit(X, y, classes=classes),
        predict=lambda: estimator.predict_proba(X),
    )


def book_contender(hidden, batch_size, eta, X, y, n_rows):
    """The book's ``Network.SGD`` for one epoch on the first ``n_rows`` rows."""
    n_rows = min(n_rows, len(X))
    X64 = X[:n_rows].astype(np.float64, copy=False)
    one_hot = np.eye(N_CLASSES)[:, :, None]
    training_data = [(x[:, None], one_hot[k]) for x, k in zip(X64, y[:n_rows])]
    net = Network([X.shape[1], *hidden, N_CLASSES], rng=np.random.default_rng(0))

    def epoch():
        with redirect_stdout(io.StringIO()):  # SGD prints "Epoch 0 complete"
            net.SGD(training_data, 1, batch_size, eta)

    return Contender("book", epoch, scale=len(X) / n_rows)


def make_contenders(hidden, batch_size, eta, X, y, X64, book_rows):
    common = dict(
        hidden_layer_sizes=hidden,
        batch_size=batch_size,
        learning_rate_init=eta,
        shuffle=True,
        random_state=0,
    )
    contenders = [
        estimator_contender("skdigitnet", SigmoidMLPClassifier(**common), X, y),
        estimator_contender(
            "MLPClassifier",
            MLPClassifier(
                solver="sgd",
                activation="logistic",
                momentum=0.0,
                alpha=0.0,
                learning_rate="constant",
                **common,
            ),
            X,
            y,
        ),
    ]
    if X.dtype == np.float64 and batch_size in BOOK_BATCH_SIZES and book_rows:
        contenders.append(book_contender(hidden, batch_size, eta, X64, y, book_rows))
    return contenders


# --- measuring ----------------------------------------------------------------


# The contenders share one process: after a call that used BLAS threads, the
# idle threads spin for ~0.1 s and take a core from whatever is timed next
# (a 74 ms predict_proba took 119 ms right after MLPClassifier's).
SETTLE_SECONDS = 0.25


def timed(fn):
    time.sleep(SETTLE_SECONDS)
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def time_epochs(contenders, n_epochs, label):
    """Seconds per epoch of each contender, taking turns after a warm-up epoch."""
    for c in contenders:
        c.epoch()
    times = {c.name: [] for c in contenders}
    for e in range(n_epochs):
        k = e % len(contenders)  # rotate who goes first
        for c in contenders[k:] + contenders[:k]:
            seconds = timed(c.epoch) * c.scale
            times[c.name].append(seconds)
            print(f"{label} {c.name} epoch {e}: {seconds:.2f} s", file=sys.stderr)
    return times


PREDICT_REPEATS = 5


def time_predict(contenders, n_rows, repeats=PREDICT_REPEATS):
    """Median rows per second of each contender's ``predict_proba``."""
    predictors = [c for c in contenders if c.predict]
    times = {c.name: [] for c in predictors}
    for r in range(repeats):
        k = r % len(predictors)  # rotate who goes first
        for c in predictors[k:] + predictors[:k]:
            times[c.name].append(timed(c.predict))
    return {name: n_rows / statistics.median(t) for name, t in times.items()}


def fit_peak_mib(contenders):
    """Peak MiB that tracemalloc sees during one more ``partial_fit`` each."""
    peaks = {}
    for c in contenders:
        if c.predict is None:  # the book's Python loop would crawl under tracemalloc
            continue
        tracemalloc.start()
        c.epoch()
        peaks[c.name] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return peaks


def n_weights(n_features, hidden):
    sizes = [n_features, *hidden, N_CLASSES]
    return sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))


# --- report -------------------------------------------------------------------


def spread(values):
    if not values:
        return "—"
    return f"{statistics.median(values):.2f} ({min(values):.2f}–{max(values):.2f})"


def ratio(numerator, denominator):
    if not numerator or not denominator:
        return "—"
    return f"{statistics.median(numerator) / statistics.median(denominator):.2f}"


def network_name(n_features, hidden):
    return "-".join(str(s) for s in (n_features, *hidden, N_CLASSES))


def training_table(rows):
    lines = [
        "| network | batch | dtype | skdigitnet s/epoch | MLPClassifier s/epoch "
        "| book s/epoch | MLP / skdigitnet | book / skdigitnet "
        "| GEMM GFLOP/s | arithmetic-only s/epoch | skdigitnet / arithmetic-only |",
        "|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in rows:
        t = r["times"]
        flops = 6 * r["n_samples"] * r["n_weights"]
        gflops = gemm_gflops(t["GEMM"])
        arith = flops / (gflops * 1e9)
        sk = t.get("skdigitnet", [])
        lines.append(
            f"| {r['network']} | {r['batch']} | {r['dtype']} "
            f"| {spread(sk)} | {spread(t.get('MLPClassifier', []))} "
            f"| {spread(t.get('book', []))} "
            f"| {ratio(t.get('MLPClassifier'), sk)} | {ratio(t.get('book'), sk)} "
            f"| {gflops:.1f} | {arith:.3f} | {ratio(sk, [arith])} |"
        )
    return lines


def prediction_table(rows):
    lines = [
        "| network | batch | dtype | skdigitnet rows/s | MLPClassifier rows/s "
        "| skdigitnet / MLP | skdigitnet fit peak MiB | MLPClassifier fit peak MiB |",
        "|---|--:|---|--:|--:|--:|--:|--:|",
    ]
    for r in rows:
        p, m = r["predict"], r["peak"]
        sk, mlp = p.get("skdigitnet"), p.get("MLPClassifier")
        lines.append(
            f"| {r['network']} | {r['batch']} | {r['dtype']} "
            f"| {sk:,.0f} | {mlp:,.0f} | {sk / mlp:.2f} "
            f"| {m.get('skdigitnet', 0):.1f} | {m.get('MLPClassifier', 0):.1f} |"
        )
    return lines


LAYOUT_CONFIG = ((100,), 100, 3.0)


def time_layouts(X64, y, args):
    """Seconds of ``fit`` over ``--epochs`` epochs, X in each dense layout.

    784-100-10 at batch 100, float32; the layouts take turns. A strided X is
    converted to C order once, when ``fit`` validates it.
    """
    hidden, batch_size, eta = LAYOUT_CONFIG
    X = X64.astype(np.float32)
    layouts = {"C-ordered": X, "Fortran-ordered": np.asfortranarray(X)}
    try:
        import pandas as pd

        layouts["pandas DataFrame"] = pd.DataFrame(X)
    except ImportError:
        print("pandas is not installed: no DataFrame row", file=sys.stderr)
    params = dict(
        hidden_layer_sizes=hidden,
        batch_size=batch_size,
        learning_rate_init=eta,
        max_iter=args.epochs,
        random_state=0,
    )
    times = {name: [] for name in layouts}
    for turn in range(3):
        for name, data in layouts.items():
            clf = SigmoidMLPClassifier(**params)
            times[name].append(timed(lambda: clf.fit(data, y)) / args.epochs)
            print(
                f"layouts {name} turn {turn}: {times[name][-1]:.2f} s", file=sys.stderr
            )
    return times


def layout_table(times):
    lines = [
        "| X | skdigitnet s/epoch | / C-ordered |",
        "|---|--:|--:|",
    ]
    for name, t in times.items():
        lines.append(f"| {name} | {spread(t)} | {ratio(t, times['C-ordered'])} |")
    return lines


def report(args, source, n_samples, rows, elapsed, load_at_start, layouts):
    batches = ", ".join(map(str, BOOK_BATCH_SIZES))
    book_rows = book_n_rows(args, n_samples)
    if not book_rows:
        book_note = "not run (`--book-rows 0`)"
    elif book_rows == n_samples:
        book_note = f"`Network.SGD`, float64, batch {batches} only, whole epochs"
    else:
        book_note = (
            f"`Network.SGD`, float64, batch {batches} only, timed on "
            f"{book_rows:,} rows per epoch and scaled by "
            f"{n_samples / book_rows:.1f} to {n_samples:,} rows"
        )
    maxrss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = [
        "## Training and prediction speed",
        "",
        *[f"- {line}" for line in machine_lines()],
        f"- Load average (1, 5, 15 min) at start: {load_at_start}; at end: "
        f"{load_average()} (other work on the machine slows all contenders)",
        f"- Data: {source}",
        f"- Epochs: median (min–max) of {args.epochs} timed `partial_fit` calls "
        "after one untimed warm-up, contenders taking turns epoch by epoch",
        f"- Book: {book_note}",
        f"- GEMM: a {GEMM_N}x{GEMM_N} @ {GEMM_N}x{GEMM_N} product in the row's "
        "dtype, timed in turn with the epochs (median); arithmetic-only time: "
        "6 × n_samples × n_weights FLOPs (forward and backward pass) at that rate",
        "",
        *training_table(rows),
        "",
        f"Prediction: `predict_proba` on all {n_samples:,} rows, median of "
        f"{PREDICT_REPEATS}, contenders taking turns. "
        "Fit peak: tracemalloc's peak during one `partial_fit` "
        f"(X itself, {n_samples * 784 * 8 / 2**20:.0f} MiB in float64, not counted).",
        "",
        *prediction_table(rows),
        "",
        f"Dense layouts: `fit` of {network_name(784, LAYOUT_CONFIG[0])} at batch "
        f"{LAYOUT_CONFIG[1]}, float32, {args.epochs} epochs, seconds per epoch "
        "(median of 3 fits, the layouts taking turns):",
        "",
        *layout_table(layouts),
        "",
        f"Peak resident memory of the whole run (ru_maxrss): {maxrss_mib:,.0f} MiB. "
        f"Run time: {elapsed / 60:.1f} min.",
    ]
    return "\n".join(out)


# --- monitors -----------------------------------------------------------------


def monitor_contenders(X, y):
    """The book's network with each monitor on, one at a time, and all off."""
    n_val = len(X) // 6
    X_train, y_train = X[:-n_val], y[:-n_val]
    validation = dict(X_val=X[-n_val:], y_val=y[-n_val:])
    hidden, batch_size, eta = CONFIGS[0]
    common = dict(
        hidden_layer_sizes=hidden,
        batch_size=batch_size,
        learning_rate_init=eta,
        random_state=0,
    )
    settings = [("off", None), *((m, [m]) for m in MONITORS), ("all", MONITORS)]
    contenders = []
    for label, monitor in settings:
        clf = SigmoidMLPClassifier(monitor=monitor, **common)
        kwargs = validation if monitor and "evaluation" in " ".join(monitor) else {}
        contenders.append(
            Contender(
                label,
                epoch=lambda clf=clf, kwargs=kwargs: clf.partial_fit(
                    X_train, y_train, classes=np.arange(N_CLASSES), **kwargs
                ),
            )
        )
    mlp = MLPClassifier(
        solver="sgd", activation="logistic", momentum=0.0, alpha=0.0, **common
    )
    contenders.append(estimator_contender("MLPClassifier", mlp, X_train, y_train))
    return contenders, len(X_train), n_val


def monitor_report(X64, y, args, source):
    contenders, n_train, n_val = monitor_contenders(X64, y)
    times = time_epochs(contenders, args.epochs, "monitors")
    off = statistics.median(times["off"])
    lines = [
        "## What each monitor costs",
        "",
        *[f"- {line}" for line in machine_lines()],
        f"- Data: {source}; {n_train:,} training rows, {n_val:,} evaluation rows",
        f"- 784-30-10, batch 10, float64; median (min–max) of {args.epochs} timed "
        "`partial_fit` epochs after one untimed warm-up, contenders taking turns",
        "",
        "| monitor | s/epoch | extra s/epoch over off | extra % |",
        "|---|--:|--:|--:|",
    ]
    for name, t in times.items():
        extra = statistics.median(t) - off
        lines.append(
            f"| {name} | {spread(t)} | {extra:+.3f} | {100 * extra / off:+.1f} |"
        )
    return "\n".join(lines)


# --- main ---------------------------------------------------------------------


def measure(hidden, batch_size, eta, dtype, X64, y, args):
    """Time one network, batch size and dtype; return a row of the report."""
    X = X64.astype(dtype, copy=False)
    name = network_name(X.shape[1], hidden)
    label = f"{name} batch {batch_size} {np.dtype(dtype).name}"
    book_rows = book_n_rows(args, len(X))
    contenders = make_contenders(hidden, batch_size, eta, X, y, X64, book_rows)
    contenders.append(gemm_contender(dtype))
    return dict(
        network=name,
        batch=batch_size,
        dtype=np.dtype(dtype).name,
        n_samples=len(X),
        n_weights=n_weights(X.shape[1], hidden),
        times=time_epochs(contenders, args.epochs, label),
        predict=time_predict(contenders, len(X)),
        peak=fit_peak_mib(contenders),
    )


def book_n_rows(args, n_samples):
    return n_samples if args.book_rows is None else min(args.book_rows, n_samples)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--epochs", type=int, default=3, help="timed epochs per contender (default 3)"
    )
    parser.add_argument("--quick", action="store_true", help="smoke run on 6,000 rows")
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
        help="limit BLAS threads with threadpoolctl, e.g. 1 on a busy machine "
        "(default: the BLAS library's own choice)",
    )
    parser.add_argument(
        "--book-rows",
        type=int,
        default=None,
        help="rows the book's per-example algorithm trains on per timed epoch, "
        "scaled up to a whole epoch; 0 leaves it out (default: all rows)",
    )
    parser.add_argument(
        "--monitors",
        action="store_true",
        help="time only the book's network with each monitor of history_ on",
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    start, load_at_start = time.perf_counter(), load_average()
    X64, y, source = load_data(args.data, 6_000 if args.quick else 60_000)
    with threadpool_limits(limits=args.threads, user_api="blas"):
        print(f"BLAS threads: {blas_threads_used()}", file=sys.stderr)
        if args.monitors:
            print(monitor_report(X64, y, args, source))
            return
        rows = [
            measure(hidden, batch_size, eta, dtype, X64, y, args)
            for hidden, batch_size, eta in CONFIGS
            for dtype in DTYPES
        ]
        layouts = time_layouts(X64, y, args)
        # machine_lines, in report, shows the thread limit while it holds.
        print(
            report(
                args,
                source,
                len(X64),
                rows,
                time.perf_counter() - start,
                load_at_start,
                layouts,
            )
        )


if __name__ == "__main__":
    main()
