"""The command line: ``skdigitnet`` and ``python -m skdigitnet``.

``train`` runs the book's experiment and can save the network, ``evaluate``
scores a saved network on held-out images and ``predict`` reads digits from
image files. With no arguments it runs chapter 1's experiment on
scikit-learn's bundled 8x8 digits.

A saved model is a :func:`joblib.dump` of a dict: ``"model"``, the fitted
:class:`~skdigitnet.SigmoidMLPClassifier`; ``"scale"``, the number the grey
levels were divided by to bring them to [0, 1] (16 for the 8x8 digits, 255
for 28x28 images); and ``"data"``, the ``--data`` it was trained on.

User errors print one line, ``skdigitnet: error: ...``, and exit with
status 2.
"""

import argparse
import math
import os
import pickle
import struct
import sys
import textwrap
import time
import warnings
import zlib

import joblib
import numpy as np
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.metrics import classification_report, confusion_matrix
from sklearn.utils.validation import check_is_fitted

from . import __version__
from ._classifier import SigmoidMLPClassifier
from ._datasets import load_train_test, read_idx

PROG = "skdigitnet"
_TOP_LEVEL_OPTIONS = ("-h", "--help", "--version")

# The grey levels of the bundled digits run from 0 to 16, those of MNIST's
# layout from 0 to 255; load_train_test divides by these.
_DIGITS_SCALE = 16.0
_IDX_SCALE = 255.0

# Unpickling a file that is not what it claims fails in many ways, all of
# them meaning "not a readable model file".
_UNPICKLING_ERRORS = (
    EOFError,
    ValueError,
    TypeError,
    IndexError,
    KeyError,
    AttributeError,
    ImportError,
    struct.error,
    zlib.error,
    pickle.UnpicklingError,
)

_DESCRIPTION = """\
Train, evaluate and use the network of chapter 1 of Michael Nielsen's book
"Neural Networks and Deep Learning": layers of sigmoid neurons - one input
per pixel, 30 hidden neurons, one output neuron per digit - trained by
mini-batch stochastic gradient descent and backpropagation on the quadratic
cost. The prediction is the digit whose output neuron is most active.

With no arguments, runs the book's experiment on scikit-learn's bundled 8x8
digits (a few seconds, no download): a 64-30-10 network, 30 epochs,
mini-batches of 10 images, learning rate eta = 3.0, seed 0. After each epoch
it prints the book's line "Epoch j: k / n": k of the n held-out test images
recognised. Options without a command are train's: "skdigitnet --eta 1.0".
"""

_EPILOG = """\
examples:
  skdigitnet                          the book's experiment on the 8x8 digits
  skdigitnet train --epochs 10 --eta 0.5 --loss cross_entropy --save net.joblib
  skdigitnet evaluate net.joblib      accuracy and errors on the test images
  skdigitnet predict net.joblib img.npy images-idx3-ubyte.gz
  skdigitnet train --data mnist --download --save mnist.joblib

Run "skdigitnet COMMAND --help" for the options of a command.
"""

_DATA_HELP = """\
the images: "digits", scikit-learn's bundled 1,797 8x8 digits, split 80/20
(stratified, always the same split); "mnist", MNIST's four IDX files in the
folder "mnist" of scikit-learn's data home (~/scikit_learn_data), see
--download; or the path of any FOLDER in MNIST's layout
(train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte,
t10k-labels-idx1-ubyte, each may end in .gz), such as Fashion-MNIST.
Pixels are scaled to [0, 1]"""

_MODEL_HELP = """\
a model file written by "train --save". Loading it runs Python's pickle:
load only files you trust"""


class _UserError(Exception):
    """A mistake of the user's: reported as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, as all user errors."""

    def error(self, message):
        """Raise the parsing error as a user error instead of exiting."""
        raise _UserError(f"{message} (see '{self.prog} --help')")


class _Formatter(argparse.HelpFormatter):
    """Wrap help text without breaking option names such as ``--hidden``."""

    def _split_lines(self, text, width):
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)

    def _fill_text(self, text, width, indent):
        return textwrap.fill(
            " ".join(text.split()),
            width,
            initial_indent=indent,
            subsequent_indent=indent,
            break_on_hyphens=False,
        )


# --- option types: each refuses a bad value with a message naming it -------


def _number(kind, text, ok, expected):
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
    if not (math.isfinite(value) and ok(value)):
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
    return value


def _positive_int(text):
    return _number(int, text, lambda v: v >= 1, "a positive integer")


def _seed(text):
    return _number(int, text, lambda v: 0 <= v < 2**32, "an integer in [0, 2**32)")


def _positive_float(text):
    return _number(float, text, lambda v: v > 0, "a positive number")


def _nonnegative_float(text):
    return _number(float, text, lambda v: v >= 0, "a number >= 0")


def _unit_float(text):
    return _number(float, text, lambda v: 0 <= v <= 1, "a number in [0, 1]")


def _open_unit_float(text):
    return _number(float, text, lambda v: 0 < v < 1, "a number in (0, 1)")


def _build_parser():
    parser = _Parser(
        prog=PROG,
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    train = commands.add_parser(
        "train",
        help="train the network, printing 'Epoch j: k / n' after each epoch",
        description=(
            "Train the book's sigmoid network epoch by epoch, printing after "
            "each epoch the book's line 'Epoch j: k / n' (k of the n test "
            "images recognised), then the final accuracy and the time taken. "
            "The defaults are chapter 1's settings."
        ),
        formatter_class=_Formatter,
    )
    train.add_argument(
        "--data", default="digits", help=_DATA_HELP + " (default: digits)."
    )
    _add_data_source_options(train)
    book = train.add_argument_group("the book's settings (chapter 1)")
    book.add_argument(
        "--hidden",
        type=_positive_int,
        nargs="+",
        default=[30],
        metavar="N",
        help="the number of neurons of each hidden layer: '--hidden 30' is "
        "the book's [n_pixels, 30, 10] network, '--hidden 100 30' has two "
        "hidden layers (default: 30). hidden_layer_sizes in Python.",
    )
    book.add_argument(
        "--epochs",
        type=_positive_int,
        default=30,
        help="the book's epochs: passes over the training images (default: "
        "30). max_iter in Python.",
    )
    book.add_argument(
        "--batch-size",
        type=_positive_int,
        default=10,
        metavar="N",
        help="the book's mini_batch_size: images per gradient step "
        "(default: 10). batch_size in Python.",
    )
    book.add_argument(
        "--eta",
        type=_positive_float,
        default=3.0,
        help="the book's learning rate eta (default: 3.0). learning_rate_init "
        "in Python.",
    )
    book.add_argument(
        "--seed",
        type=_seed,
        default=0,
        help="seed of the initial weights and of the shuffling: the same seed "
        "gives the same network (default: 0). random_state in Python.",
    )

    more = train.add_argument_group(
        "beyond chapter 1 (chapter 3 and scikit-learn's MLPClassifier)"
    )
    more.add_argument(
        "--loss",
        choices=["squared_error", "cross_entropy", "log_loss"],
        default="squared_error",
        help="the cost: the book's quadratic cost; chapter 3's cross-entropy, "
        "which learns faster from bad starts; or softmax outputs with the "
        "log-likelihood (default: squared_error).",
    )
    more.add_argument(
        "--weight-init",
        choices=["gaussian", "scaled"],
        default="gaussian",
        help="initial weights from N(0, 1) as in chapter 1, or N(0, 1/n_in), "
        "chapter 3's scaled initialisation (default: gaussian).",
    )
    more.add_argument(
        "--alpha",
        type=_nonnegative_float,
        default=0.0,
        help="strength of the L2 penalty on the weights; the book's lmbda "
        "over n training images is alpha = lmbda * batch_size / n "
        "(default: 0).",
    )
    more.add_argument(
        "--learning-rate",
        choices=["constant", "invscaling", "adaptive"],
        default="constant",
        help="schedule of eta: constant; eta / (t + 1) ** power_t after t "
        "images; or divided by 5 whenever the training loss stalls "
        "(default: constant).",
    )
    more.add_argument(
        "--power-t",
        type=_nonnegative_float,
        default=0.5,
        help="the exponent of the invscaling schedule (default: 0.5).",
    )
    more.add_argument(
        "--momentum",
        type=_unit_float,
        default=0.0,
        help="momentum of the gradient steps, in [0, 1]; 0 is the book's "
        "plain gradient descent (default: 0).",
    )
    more.add_argument(
        "--nesterov",
        action="store_true",
        help="use Nesterov's momentum (with --momentum above 0).",
    )
    more.add_argument(
        "--no-shuffle",
        action="store_true",
        help="do not shuffle the training images before each epoch.",
    )
    more.add_argument(
        "--tol",
        type=_nonnegative_float,
        default=1e-4,
        help="training stops early when the training loss (with "
        "--early-stopping, the validation accuracy) has not improved by tol "
        "for --n-iter-no-change epochs (default: 1e-4).",
    )
    more.add_argument(
        "--n-iter-no-change",
        type=_positive_int,
        default=10,
        metavar="N",
        help="epochs without improvement before stopping (default: 10).",
    )
    more.add_argument(
        "--early-stopping",
        action="store_true",
        help="hold out --validation-fraction of the training images, stop "
        "when their accuracy stops improving and keep the best epoch's "
        "weights. Prints the training loss and validation accuracy of each "
        "epoch instead of the book's lines.",
    )
    more.add_argument(
        "--validation-fraction",
        type=_open_unit_float,
        default=0.1,
        help="the fraction held out by --early-stopping (default: 0.1).",
    )
    more.add_argument(
        "--class-weight",
        choices=["balanced"],
        default=None,
        help="weigh each class by n_samples / (n_classes * its count).",
    )
    more.add_argument(
        "--dtype",
        choices=["float64", "float32"],
        default="float64",
        help="floating-point type of the training: float32 is faster and "
        "uses half the memory (default: float64).",
    )
    train.add_argument(
        "--save",
        metavar="MODEL",
        help="write the trained network to this file, for 'evaluate' and 'predict'.",
    )
    train.set_defaults(run=_train)

    evaluate = commands.add_parser(
        "evaluate",
        help="accuracy, per-digit report and confusion matrix of a saved model",
        description=(
            "Score a saved model on the held-out test images: the accuracy, "
            "scikit-learn's classification_report (precision, recall and F1 "
            "of each digit) and the confusion matrix."
        ),
        formatter_class=_Formatter,
    )
    evaluate.add_argument("model", metavar="MODEL", help=_MODEL_HELP + ".")
    evaluate.add_argument(
        "--data",
        help=_DATA_HELP + " (default: the data the model was trained on).",
    )
    _add_data_source_options(evaluate)
    evaluate.set_defaults(run=_evaluate)

    predict = commands.add_parser(
        "predict",
        help="read the digits of image files with a saved model",
        description=(
            "Print the digit a saved model reads in each image, one line "
            "'FILE[i]: label' per image. A FILE is an IDX file (raw or .gz, "
            "as MNIST's) or a .npy array holding one image, a stack of "
            "images, or images already flattened to rows. The images have "
            "the size the model was trained on (28x28 for MNIST, 8x8 for the "
            "digits) and hold grey levels as the training images did: 0 to "
            "255 for 28x28 images, 0 to 16 for the 8x8 digits. They are "
            "divided by the same number as in training."
        ),
        formatter_class=_Formatter,
    )
    predict.add_argument("model", metavar="MODEL", help=_MODEL_HELP + ".")
    predict.add_argument(
        "files",
        metavar="FILE",
        nargs="+",
        help="an IDX or .npy file of grey levels.",
    )
    predict.set_defaults(run=_predict)
    _add_export_command(commands)
    return parser


def _add_export_command(commands):
    export = commands.add_parser(
        "export",
        help="write a saved model as ONNX, for onnxruntime",
        description=(
            "Write a saved model as an ONNX file, to serve it with onnxruntime "
            "from Python, C++, C#, Java or JavaScript without skdigitnet. Its "
            "input 'X' takes rows of pixels in [0, 1] (grey levels divided "
            "as in training), as float32 or float64 as the model was trained; "
            "its outputs are 'label' and 'probabilities'. Needs the onnx "
            'extra: pip install "skdigitnet[onnx]".'
        ),
        formatter_class=_Formatter,
    )
    export.add_argument("model", metavar="MODEL", help=_MODEL_HELP + ".")
    export.add_argument("output", metavar="OUTPUT", help="the ONNX file to write.")
    export.set_defaults(run=_export)


def _add_data_source_options(parser):
    parser.add_argument(
        "--data-home",
        metavar="FOLDER",
        help="scikit-learn's data home, where --data mnist looks (default: "
        "~/scikit_learn_data, or $SCIKIT_LEARN_DATA).",
    )
    parser.add_argument(
        "--download",
        action="store_true",
        help="if MNIST's files are missing, fetch MNIST from OpenML through "
        "scikit-learn (this needs the internet once) and write them into the "
        "folder.",
    )


# --- data and model files ---------------------------------------------------


def _load_data(data, args):
    """``(X_train, X_test, y_train, y_test)`` and the scale of the grey levels."""
    if data not in ("digits", "mnist") and not args.download:
        if not os.path.isdir(data):
            raise _UserError(
                f"--data {data}: no such folder; give digits, mnist or a folder "
                "in MNIST's layout."
            )
    try:
        arrays = load_train_test(
            data, data_home=args.data_home, download_if_missing=args.download
        )
    except FileNotFoundError as exc:
        hint = "" if args.download else " On the command line, --download does so."
        raise _UserError(f"{exc}{hint}") from exc
    except (OSError, ValueError) as exc:
        raise _UserError(str(exc)) from exc
    scale = _DIGITS_SCALE if data == "digits" else _IDX_SCALE
    return arrays, scale


def _describe_data(data, n_features):
    side = math.isqrt(n_features)
    size = f"{side}x{side}" if side * side == n_features else f"{n_features}-pixel"
    if data == "digits":
        return f"scikit-learn's {size} digits"
    if data == "mnist":
        return f"MNIST's {size} images"
    return f"the {size} images of {data}"


def _architecture(model):
    sizes = [model.n_features_in_, *np.atleast_1d(model.hidden_layer_sizes)]
    return "-".join(str(int(size)) for size in [*sizes, model.n_outputs_])


def _save_model(path, model, scale, data):
    try:
        joblib.dump({"model": model, "scale": scale, "data": data}, path)
    except OSError as exc:
        raise _UserError(f"cannot write model file {path!r}: {exc}") from exc


def _load_model(path):
    """Load a model file: the model, its grey-level scale, the data it learned."""
    try:
        content = joblib.load(path)
    except OSError as exc:
        raise _UserError(f"cannot read model file {path!r}: {exc}") from exc
    except _UNPICKLING_ERRORS as exc:
        raise _UserError(
            f"{path!r} is not a readable model file (it may be truncated or "
            f"corrupt): {type(exc).__name__}: {exc}"
        ) from exc
    # A bare estimator, dumped from Python, is accepted too: its scale
    # follows from its input size, as in training.
    if isinstance(content, dict):
        model = content.get("model")
        scale = content.get("scale")
        data = content.get("data")
    else:
        model, scale, data = content, None, None
    if not isinstance(model, SigmoidMLPClassifier):
        raise _UserError(
            f"{path!r} holds a {type(content).__name__}, not a model written by "
            "'skdigitnet train --save'."
        )
    try:
        check_is_fitted(model)
    except NotFittedError as exc:
        raise _UserError(f"{path!r} holds a network that was never trained.") from exc
    if scale is None:
        scale = _DIGITS_SCALE if model.n_features_in_ == 64 else _IDX_SCALE
    if not isinstance(scale, (int, float)) or not scale > 0:
        raise _UserError(f"{path!r} holds a bad grey-level scale {scale!r}.")
    if not isinstance(data, str):
        data = "digits"
    return model, float(scale), data


def _read_images(path, n_features, scale):
    """Rows of pixels in [0, 1] of the images in ``path``."""
    try:
        if path.endswith(".npy"):
            array = np.load(path, allow_pickle=False)
        else:
            array = read_idx(path)
    except OSError as exc:
        raise _UserError(f"cannot read {path!r}: {exc}") from exc
    except (ValueError, EOFError) as exc:
        what = ".npy array" if path.endswith(".npy") else "IDX file"
        raise _UserError(f"cannot read {path!r} as a {what}: {exc}") from exc
    if not isinstance(array, np.ndarray):
        array.close()
        raise _UserError(f"{path!r} is an .npz archive, not a .npy array.")
    if array.dtype.kind not in "biuf":
        raise _UserError(f"{path!r} holds {array.dtype} values, not grey levels.")

    side = math.isqrt(n_features)
    image = (side, side) if side * side == n_features else None
    if array.shape == image or array.shape == (n_features,):
        rows = array.reshape(1, n_features)
    elif array.ndim == 3 and array.shape[1:] == image:
        rows = array.reshape(len(array), n_features)
    elif array.ndim == 2 and array.shape[1] == n_features:
        rows = array
    else:
        shapes = f"({n_features},) or (n, {n_features})"
        if image:
            shapes = f"({side}, {side}), (n, {side}, {side}), {shapes}"
        raise _UserError(
            f"{path!r} holds an array of shape {array.shape}, but the model "
            f"takes images of {n_features} pixels: expected shape {shapes}."
        )
    if len(rows) == 0:
        raise _UserError(f"{path!r} holds no images.")
    rows = rows.astype(np.float64)
    if not np.all((rows >= 0) & (rows <= scale)):
        raise _UserError(
            f"{path!r} holds values outside [0, {scale:g}]: the model takes "
            f"grey levels from 0 to {scale:g}, as in its training images."
        )
    return rows / scale


# --- the commands -------------------------------------------------------------


def _train(args):
    if args.save is not None:
        folder = os.path.dirname(os.path.abspath(args.save))
        if not os.path.isdir(folder):
            raise _UserError(f"cannot save to {args.save!r}: no folder {folder!r}.")
    (X_train, X_test, y_train, y_test), scale = _load_data(args.data, args)
    X_train = X_train.astype(args.dtype)
    X_test = X_test.astype(args.dtype)
    n_test = len(y_test)
    if args.batch_size > len(y_train):
        # Said once here: the estimator would say it on every epoch.
        warnings.warn(
            f"--batch-size {args.batch_size} is more than the {len(y_train)} "
            f"training images: mini-batches of {len(y_train)}."
        )
        args.batch_size = len(y_train)

    model = SigmoidMLPClassifier(
        hidden_layer_sizes=tuple(args.hidden),
        loss=args.loss,
        weight_init=args.weight_init,
        alpha=args.alpha,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        learning_rate_init=args.eta,
        power_t=args.power_t,
        max_iter=args.epochs,
        shuffle=not args.no_shuffle,
        # partial_fit per epoch with this seed gives exactly fit's network.
        random_state=args.seed,
        tol=args.tol,
        verbose=args.early_stopping,
        momentum=args.momentum,
        nesterovs_momentum=args.nesterov,
        early_stopping=args.early_stopping,
        validation_fraction=args.validation_fraction,
        n_iter_no_change=args.n_iter_no_change,
        class_weight=args.class_weight,
    )
    classes = np.unique(y_train)
    sizes = "-".join(str(n) for n in [X_train.shape[1], *args.hidden, len(classes)])
    print(
        f"Training a {sizes} sigmoid network on "
        f"{_describe_data(args.data, X_train.shape[1])}: {len(y_train):,} "
        f"training and {n_test:,} test images; {args.epochs} epochs, "
        f"mini-batches of {args.batch_size}, eta {args.eta}, seed {args.seed}.",
        flush=True,
    )

    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            # The line printed when training stops says it more plainly.
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.filterwarnings("ignore", "Training interrupted by user")
            if args.early_stopping:
                # partial_fit cannot hold out a validation set; fit prints
                # each epoch's loss and validation accuracy.
                model.fit(X_train, y_train)
                epochs = model.n_iter_
            else:
                epochs = _train_epochs(model, args, X_train, y_train, X_test, y_test)
    except ValueError as exc:
        # The estimator's refusals, such as divergence with too large an eta.
        raise _UserError(str(exc)) from exc
    seconds = time.perf_counter() - start
    # Record the run as fit records it: the epochs run.
    model.n_iter_ = epochs

    correct = int(np.sum(model.predict(X_test) == y_test))
    print(f"Accuracy: {correct / n_test:.4f} ({correct} / {n_test} test images)")
    tested = "" if args.early_stopping else ", testing included"
    print(f"Time: {seconds:.1f} s for {epochs} epochs{tested}")
    if args.save is not None:
        # A folder is kept as an absolute path, for evaluate from elsewhere.
        data = args.data
        if data not in ("digits", "mnist"):
            data = os.path.abspath(data)
        _save_model(args.save, model, scale, data)
        print(f"Saved the network to {args.save}")
    return 0


def _train_epochs(model, args, X_train, y_train, X_test, y_test):
    """Run ``partial_fit`` epoch by epoch, printing the book's line after each."""
    classes = np.unique(y_train)
    n_test = len(y_test)
    for j in range(args.epochs):
        model.partial_fit(X_train, y_train, classes=classes)
        if model.n_iter_ == 0:
            print(f"Interrupted in epoch {j}: keeping the weights of the epochs done.")
            return j
        correct = int(np.sum(model.predict(X_test) == y_test))
        print(f"Epoch {j}: {correct} / {n_test}", flush=True)
        # The test by which fit stops: no gain in training loss for a while.
        if model._no_improvement_count > model.n_iter_no_change:
            print(
                f"Training loss did not improve by tol={args.tol:g} for "
                f"{args.n_iter_no_change} epochs: stopped."
            )
            return j + 1
    return args.epochs


def _evaluate(args):
    model, _, trained_on = _load_model(args.model)
    data = trained_on if args.data is None else args.data
    (_, X_test, _, y_test), _ = _load_data(data, args)
    if X_test.shape[1] != model.n_features_in_:
        raise _UserError(
            f"the model in {args.model!r} takes {model.n_features_in_} pixels "
            f"per image, but the images of {data!r} have {X_test.shape[1]}; it "
            f"was trained on {trained_on!r}."
        )
    y_pred = model.predict(X_test)
    correct = int(np.sum(y_pred == y_test))
    n_test = len(y_test)
    print(
        f"The {_architecture(model)} network in {args.model} on "
        f"{_describe_data(data, X_test.shape[1])}, {n_test:,} test images"
    )
    print(f"Accuracy: {correct / n_test:.4f} ({correct} / {n_test})")
    print()
    print(classification_report(y_test, y_pred, digits=4, zero_division=0))
    labels = np.union1d(y_test, y_pred)
    matrix = confusion_matrix(y_test, y_pred, labels=labels)
    width = max(len(str(matrix.max())), *(len(str(label)) for label in labels)) + 1
    print("Confusion matrix (row: true label, column: predicted label):")
    print(" " * width + "".join(f"{label!s:>{width}}" for label in labels))
    for label, row in zip(labels, matrix):
        print(f"{label!s:>{width}}" + "".join(f"{n:>{width}}" for n in row))
    return 0


def _predict(args):
    model, scale, _ = _load_model(args.model)
    # Read every file before printing, so a bad file gives only its error.
    images = [_read_images(path, model.n_features_in_, scale) for path in args.files]
    for path, rows in zip(args.files, images):
        labels = model.predict(rows.astype(model.coefs_[0].dtype))
        for i, label in enumerate(labels):
            print(f"{path}[{i}]: {label}")
    return 0


def _export(args):
    from ._onnx import to_onnx

    model, scale, _ = _load_model(args.model)
    dtype = model.coefs_[0].dtype
    try:
        onx = to_onnx(model, np.zeros((1, model.n_features_in_), dtype=dtype))
    except ImportError as exc:
        raise _UserError(str(exc)) from exc
    try:
        with open(args.output, "wb") as f:
            f.write(onx.SerializeToString())
    except OSError as exc:
        raise _UserError(f"cannot write ONNX file {args.output!r}: {exc}") from exc
    print(
        f"Wrote the {_architecture(model)} network to {args.output}: input 'X', "
        f"{dtype.name} rows of {model.n_features_in_} grey levels divided by "
        f"{scale:g}; outputs 'label' and 'probabilities'."
    )
    return 0


def main(argv=None):
    """Run the command line with ``argv`` (default ``sys.argv[1:]``).

    Parameters
    ----------
    argv : list of str, default=None
        The arguments after the program name.

    Returns
    -------
    status : int
        0 on success, 2 after a user error (reported as one line on stderr),
        130 when interrupted.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    # With no arguments: the book's experiment, and where to read more.
    first_run = not argv
    # With options but no command, the options are train's.
    if not argv or argv[0].startswith("-") and argv[0] not in _TOP_LEVEL_OPTIONS:
        argv = ["train", *argv]
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        return _run(argv, first_run)


def _show_warning(message, category, filename, lineno, file=None, line=None):
    # One line, as the errors, without the source line that raised it.
    text = " ".join(str(message).split())
    print(f"{PROG}: warning: {text}", file=sys.stderr if file is None else file)


def _run(argv, first_run):
    parser = _build_parser()
    try:
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:
            # --help and --version
            return exc.code
        if args.command is None:
            parser.error("give a command: train, evaluate or predict")
        status = args.run(args)
        if first_run:
            print(f"Run '{PROG} --help' for the commands and their options.")
        return status
    except _UserError as exc:
        message = " ".join(str(exc).split())
        print(f"{PROG}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
