"""The command line: ``skdigitnet`` and ``python -m skdigitnet``.

``train`` runs the book's experiment and can save the network, ``evaluate``
scores a saved network on held-out images and ``predict`` reads digits from
image files. With no arguments it runs chapter 1's experiment on
scikit-learn's bundled 8x8 digits.

The command line drives :class:`~skdigitnet.SigmoidMLPClassifier` through its
public interface only: ``train`` calls ``fit``, warm-started one epoch at a
time (all epochs in one call with ``--early-stopping``), and reads
``loss_curve_``; the estimator's own parameter validation judges the
options, its refusals are reported as usage errors.

A saved model is a :func:`joblib.dump` of a scikit-learn
:class:`~sklearn.pipeline.Pipeline`: a :class:`~skdigitnet.GreyLevelScaler`
that divides raw grey levels by that of full ink (16 for the 8x8 digits,
255 for images in MNIST's layout), then the fitted classifier. Files of the
older form, a dict of ``"model"``, ``"scale"`` and ``"data"``, are still
read. Every file is written whole or not at all.

User errors print one line, ``skdigitnet: error: ...``, and exit with
status 2. Ctrl-C exits with status 130, a closed output pipe (``| head``)
quietly with status 141, as a Unix tool killed by SIGPIPE.
"""

import argparse
import contextlib
import copy
import math
import numbers
import os
import pickle
import re
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
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

# The estimator's parameter validation raises this ValueError subclass; it is
# what tells a bad option from bad data.
from sklearn.utils.validation import check_is_fitted

from . import __version__
from ._classifier import InvalidParameterError, SigmoidMLPClassifier
from ._datasets import (
    _DIGITS_GREY_MAX,
    _IDX_GREY_MAX,
    _MNIST_URL,
    _data_folder,
    _MissingFilesError,
    _only_test_files,
    idx_chunks,
    load_train_test,
)
from ._expand import expand_images
from ._persistence import atomic_write
from ._preprocessing import GreyLevelScaler

PROG = "skdigitnet"
_TOP_LEVEL_OPTIONS = ("-h", "--help", "--version")

# A write to a closed pipe ends Unix tools by SIGPIPE, status 128 + 13.
_CLOSED_PIPE_STATUS = 141
_INTERRUPTED_STATUS = 130

# The estimator's parameters that train's options set, and those options,
# whose values they take; the estimator's messages name the options.
_OPTION_OF = {
    "hidden_layer_sizes": "--hidden",
    "max_iter": "--epochs",
    "batch_size": "--batch-size",
    "learning_rate_init": "--eta",
    "random_state": "--seed",
    "loss": "--loss",
    "weight_init": "--weight-init",
    "alpha": "--alpha",
    "learning_rate": "--learning-rate",
    "power_t": "--power-t",
    "momentum": "--momentum",
    "nesterovs_momentum": "--nesterov",
    "shuffle": "--no-shuffle",
    "tol": "--tol",
    "n_iter_no_change": "--n-iter-no-change",
    "early_stopping": "--early-stopping",
    "validation_fraction": "--validation-fraction",
    "class_weight": "--class-weight",
}
_INVALID_PARAMETER = re.compile(
    r"The '(?P<name>\w+)' parameter of \w+ must be (?P<rule>.+)\. "
    r"Got (?P<value>.+) instead\.",
    re.DOTALL,
)

# The plateau threshold of --early-stopping and --learning-rate adaptive
# when --tol is not given (MLPClassifier's default).
_PLATEAU_TOL = 1e-4

# predict reads and predicts images about this many bytes of float64 pixels
# at a time: its memory stays within a few such chunks whatever the files.
_CHUNK_BYTES = 2**23

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
it prints the book's line "Epoch j: k / n" (epochs counted from 1): k of the
n held-out test images recognised. Options without a command are train's:
"skdigitnet --eta 1.0".
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
t10k-labels-idx1-ubyte, each may end in .gz), such as Fashion-MNIST. A folder
with only the two t10k files has its test images split 80/20 the same way
(MNIST's 10,000: 8,000 for training, 2,000 for testing). Pixels are scaled to
[0, 1]"""

_MODEL_HELP = """\
a model file written by "train --save". Loading it runs Python's pickle:
load only files you trust"""


class _UserError(Exception):
    """A mistake of the user's: reported as one line, exit status 2."""


class _Interrupted(Exception):
    """Training interrupted; ``epochs`` whole epochs ran, giving ``model``.

    ``model`` is the network after its last whole epoch, or after its best
    one by validation accuracy if ``best``, or None if there is none.
    """

    def __init__(self, epochs, model, best=False):
        super().__init__(epochs)
        self.epochs = epochs
        self.model = model
        self.best = best


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


# --- option types: the syntax of numbers; the estimator judges the values ---


def _float(text):
    """Parse a finite number; its range is the estimator's to check."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}")
    return value


# --- the parser: one function per command ---------------------------------


def build_parser():
    """Return the command line's argument parser.

    Each command's options are added by a function of its own, listed in
    ``_COMMANDS``; a new command is one more such function.

    Returns
    -------
    parser : argparse.ArgumentParser
        The parser of ``skdigitnet``, with the commands as subparsers. Its
        errors raise an exception instead of exiting; :func:`main` reports
        them.
    """
    parser = _Parser(
        prog=PROG,
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add_command in _COMMANDS:
        add_command(commands)
    return parser


def _add_train_parser(commands):
    train = commands.add_parser(
        "train",
        help="train the network, printing 'Epoch j: k / n' after each epoch",
        description=(
            "Train the book's sigmoid network epoch by epoch, printing after "
            "each epoch the book's line 'Epoch j: k / n' (k of the n test "
            "images recognised after epoch j, counted from 1), then the final "
            "accuracy and the time taken. The defaults are chapter 1's "
            "settings. Ctrl-C stops training; with --save, the network of the "
            "last whole epoch is saved."
        ),
        formatter_class=_Formatter,
    )
    train.add_argument(
        "--data", default="digits", help=_DATA_HELP + " (default: digits)."
    )
    _add_data_source_options(train)
    _add_book_options(train)
    _add_chapter3_options(train)
    _add_stopping_options(train)
    _add_expand_option(train)
    train.add_argument(
        "--dtype",
        choices=["float64", "float32"],
        default="float64",
        help="floating-point type of the training: float32 is faster and "
        "uses half the memory (default: float64).",
    )
    train.add_argument(
        "--save",
        metavar="MODEL",
        help="write the trained network to this file, for 'evaluate', "
        "'predict' and 'export': a scikit-learn pipeline that takes raw grey "
        "levels (joblib.load gives it back). Checked before training starts.",
    )
    train.set_defaults(run=_train)


def _add_book_options(train):
    book = train.add_argument_group("the book's settings (chapter 1)")
    book.add_argument(
        "--hidden",
        type=int,
        nargs="+",
        default=[30],
        metavar="N",
        help="the number of neurons of each hidden layer: '--hidden 30' is "
        "the book's [n_pixels, 30, 10] network, '--hidden 100 30' has two "
        "hidden layers (default: 30). hidden_layer_sizes in Python.",
    )
    book.add_argument(
        "--epochs",
        type=int,
        default=30,
        help="the book's epochs: passes over the training images (default: "
        "30). max_iter in Python.",
    )
    book.add_argument(
        "--batch-size",
        type=int,
        default=10,
        metavar="N",
        help="the book's mini_batch_size: images per gradient step "
        "(default: 10). batch_size in Python.",
    )
    book.add_argument(
        "--eta",
        type=_float,
        default=3.0,
        help="the book's learning rate eta (default: 3.0). learning_rate_init "
        "in Python.",
    )
    book.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the initial weights and of the shuffling: the same seed "
        "gives the same network (default: 0). random_state in Python.",
    )


def _add_chapter3_options(train):
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
        type=_float,
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
        type=_float,
        default=0.5,
        help="the exponent of the invscaling schedule (default: 0.5).",
    )
    more.add_argument(
        "--momentum",
        type=_float,
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
        "--class-weight",
        choices=["balanced"],
        default=None,
        help="weigh each class by n_samples / (n_classes * its count).",
    )


def _add_stopping_options(train):
    stop = train.add_argument_group("stopping before --epochs")
    stop.add_argument(
        "--tol",
        type=_float,
        default=None,
        help="stop when the training loss has not improved by tol for more "
        "than --n-iter-no-change epochs; with --early-stopping, the "
        "validation accuracy; with --learning-rate adaptive, divide eta by 5 "
        "instead of stopping. Without --tol every epoch runs, as in the book "
        f"(--early-stopping and adaptive then use tol = {_PLATEAU_TOL:g}).",
    )
    stop.add_argument(
        "--n-iter-no-change",
        type=int,
        default=10,
        metavar="N",
        help="epochs without improvement before stopping (default: 10).",
    )
    stop.add_argument(
        "--early-stopping",
        action="store_true",
        help="hold out --validation-fraction of the training images, stop "
        "when their accuracy stops improving and keep the best epoch's "
        "weights. Prints the training loss and validation accuracy of each "
        "epoch instead of the book's lines.",
    )
    stop.add_argument(
        "--validation-fraction",
        type=_float,
        default=0.1,
        help="the fraction held out by --early-stopping (default: 0.1).",
    )


def _add_expand_option(train):
    train.add_argument(
        "--expand",
        action="store_true",
        help="chapter 3's expanded training data: train on each training "
        "image and four copies of it moved one pixel up, down, left and "
        "right, five times the images, epochs and memory. The test images, "
        "and with --early-stopping the validation images, held out first, "
        "are not expanded.",
    )


def _add_evaluate_parser(commands):
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


def _add_predict_parser(commands):
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
            "255 for 28x28 images, 0 to 16 for the 8x8 digits, unless "
            "--grey-max says otherwise. A file whose grey levels all lie in "
            "[0, 1], for a model that learnt from 0 to 16 or 255, is warned "
            "about."
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
    predict.add_argument(
        "--grey-max",
        type=_float,
        metavar="G",
        help="the grey level of full ink in the FILEs: they are divided by G "
        "to lie in [0, 1] as the training images did; '--grey-max 1' for "
        "images already scaled to [0, 1] (default: that of the training "
        "images, 255 for 28x28 images, 16 for the 8x8 digits).",
    )
    predict.set_defaults(run=_predict)


def _add_export_parser(commands):
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


# The commands, in the order --help lists them.
_COMMANDS = (
    _add_train_parser,
    _add_evaluate_parser,
    _add_predict_parser,
    _add_export_parser,
)


# --- data and model files ---------------------------------------------------


def _load_data(data, args):
    """Load ``--data``: the four arrays, the grey-level maximum, a note or None.

    The note says how a folder with only the ``t10k`` files was split.
    """
    if data == "digits":
        return load_train_test("digits"), _DIGITS_GREY_MAX, None
    folder = _data_folder(data, args.data_home)
    if data != "mnist" and not args.download and not os.path.isdir(folder):
        raise _UserError(
            f"--data {data}: no such folder; give digits, mnist or a folder "
            "in MNIST's layout."
        )
    split = not args.download and _only_test_files(folder)
    try:
        arrays = load_train_test(
            data, data_home=args.data_home, download_if_missing=args.download
        )
    except _MissingFilesError as exc:
        raise _UserError(_missing_files_message(exc, data)) from exc
    except (OSError, ValueError) as exc:
        raise _UserError(str(exc)) from exc
    note = None
    if split:
        n_train, n_test = len(arrays[2]), len(arrays[3])
        note = (
            f"Only the t10k files are in {folder}: their {n_train + n_test:,} "
            f"images are split 80/20 (stratified, always the same split) into "
            f"{n_train:,} training and {n_test:,} test images."
        )
    return arrays, _IDX_GREY_MAX, note


def _missing_files_message(exc, data):
    """Word a missing-files error for the command line: the cause first."""
    names = ", ".join(exc.missing)
    if exc.reason is not None:
        return (
            f"downloading MNIST failed: {exc.reason}. The folder "
            f"{exc.folder!r} still lacks {names}: run --download again when "
            f"online, or copy MNIST's files there from {_MNIST_URL}."
        )
    where = "" if os.path.isdir(exc.folder) else " (no such folder)"
    fetch = ", or add --download to fetch MNIST" if data == "mnist" else ""
    return (
        f"files missing from {exc.folder!r}{where}: {names} (each may end in "
        f".gz). Copy MNIST's IDX files there from {_MNIST_URL}{fetch}."
    )


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


def _check_save_path(path):
    """Refuse, before training, a ``--save`` path that cannot be written."""
    if os.path.isdir(path):
        raise _UserError(
            f"cannot save to {path!r}: it is a folder; give a file name, such "
            f"as {os.path.join(path, 'net.joblib')!r}."
        )
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise _UserError(f"cannot save to {path!r}: no folder {folder!r}.")
    if not os.access(folder, os.W_OK):
        raise _UserError(f"cannot save to {path!r}: folder {folder!r} not writable.")


def _saved_pipeline(model, scale, X_train, data=None):
    """Return what ``train --save`` writes: raw grey levels in, labels out.

    The pipeline keeps the ``--data`` it learnt from as ``trained_on_``, a
    string, for ``evaluate`` to default to: a folder as an absolute path.
    """
    scaler = GreyLevelScaler(grey_max=scale).fit(X_train[:1])
    pipeline = Pipeline([("greylevelscaler", scaler), ("sigmoidmlpclassifier", model)])
    if data is not None:
        pipeline.trained_on_ = (
            data if data in ("digits", "mnist") else os.path.abspath(data)
        )
    return pipeline


def _save_model(path, pipeline):
    try:
        with atomic_write(path) as f:
            joblib.dump(pipeline, f)
    except OSError as exc:
        raise _UserError(f"cannot write model file {path!r}: {exc}") from exc


def _load_model(path):
    """Load a model file as a pipeline, and the data an older file records.

    ``train --save`` writes a :class:`~sklearn.pipeline.Pipeline` of a
    :class:`GreyLevelScaler` and the classifier. Older files, a dict of
    ``"model"``, ``"scale"`` and ``"data"``, and a bare classifier dumped
    from Python are accepted too, and put in the same pipeline.
    """
    content = _unpickle(path)
    data = None
    if isinstance(content, Pipeline):
        steps = [step for _, step in content.steps]
        if (
            len(steps) == 2
            and isinstance(steps[0], GreyLevelScaler)
            and isinstance(steps[1], SigmoidMLPClassifier)
        ):
            _check_trained(path, steps[1])
            _check_trained(path, steps[0])
            data = getattr(content, "trained_on_", None)
            return content, data if isinstance(data, str) else None
        model, scale = None, None
    elif isinstance(content, dict):
        model, scale, data = (content.get(key) for key in ("model", "scale", "data"))
        if not isinstance(data, str):
            data = None
    else:
        model, scale = content, None
    if not isinstance(model, SigmoidMLPClassifier):
        raise _UserError(
            f"{path!r} holds a {type(content).__name__}, not a model written by "
            "'skdigitnet train --save'."
        )
    _check_trained(path, model)
    if scale is None:
        # A bare classifier: its scale follows from its input size, as in
        # training.
        scale = _DIGITS_GREY_MAX if model.n_features_in_ == 64 else _IDX_GREY_MAX
    if (
        not isinstance(scale, numbers.Real)
        or isinstance(scale, bool)
        or not (math.isfinite(scale) and scale > 0)
    ):
        raise _UserError(
            f"{path!r} holds a bad grey-level scale {scale!r}: expected a finite "
            "number above 0."
        )
    if isinstance(content, dict):
        print(
            f"{PROG}: note: {path!r} is a model file of an older form, a dict of "
            "model, scale and data; 'train --save' now writes a scikit-learn "
            "pipeline.",
            file=sys.stderr,
        )
    row = np.zeros((1, model.n_features_in_))
    return _saved_pipeline(model, float(scale), row), data


def _check_trained(path, estimator):
    try:
        check_is_fitted(estimator)
    except NotFittedError as exc:
        raise _UserError(f"{path!r} holds a network that was never trained.") from exc


def _grey_max(model):
    return model.steps[0][1].grey_max


def _classifier(model):
    return model.steps[-1][1]


def _unpickle(path):
    try:
        if os.path.isfile(path) and os.path.getsize(path) == 0:
            raise _UserError(f"cannot read model file {path!r}: the file is empty.")
        return joblib.load(path)
    except OSError as exc:
        raise _UserError(f"cannot read model file {path!r}: {exc}") from exc
    except _UNPICKLING_ERRORS as exc:
        cause = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        raise _UserError(
            f"{path!r} is not a readable model file (it may be truncated or "
            f"corrupt): {cause}"
        ) from exc


def _image_chunks(path, n_features):
    """Yield the images in ``path`` as rows of grey levels, a chunk at a time.

    A chunk holds about ``_CHUNK_BYTES`` of float64 pixels. The header is
    read and the shape checked first; the data is mapped (raw IDX, .npy) or
    decompressed (gzip IDX) as the chunks are taken.
    """
    what = "a .npy array" if path.endswith(".npy") else "an IDX file"
    try:
        if path.endswith(".npy"):
            dtype, shape, chunks = _npy_chunks(path)
        else:
            dtype, shape, chunks = idx_chunks(path)
    except OSError as exc:
        raise _UserError(f"cannot read {path!r}: {exc}") from exc
    except (ValueError, EOFError) as exc:
        raise _UserError(f"cannot read {path!r} as {what}: {exc}") from exc
    if dtype.kind not in "biuf":
        raise _UserError(f"{path!r} holds {dtype} values, not grey levels.")

    side = math.isqrt(n_features)
    image = (side, side) if side * side == n_features else None
    if shape == image or shape == (n_features,):
        n_rows, per_chunk = 1, shape[0]
    elif (len(shape) == 3 and shape[1:] == image) or (
        len(shape) == 2 and shape[1] == n_features
    ):
        n_rows = shape[0]
        per_chunk = max(1, _CHUNK_BYTES // (8 * n_features))
    else:
        shapes = f"({n_features},) or (n, {n_features})"
        if image:
            shapes = f"({side}, {side}), (n, {side}, {side}), {shapes}"
        raise _UserError(
            f"{path!r} holds an array of shape {shape}, but the model "
            f"takes images of {n_features} pixels: expected shape {shapes}."
        )
    if n_rows == 0:
        raise _UserError(f"{path!r} holds no images.")
    try:
        for chunk in chunks(per_chunk):
            yield chunk.reshape(-1, n_features)
    except OSError as exc:
        raise _UserError(f"cannot read {path!r}: {exc}") from exc
    except (ValueError, EOFError) as exc:
        raise _UserError(f"cannot read {path!r} as {what}: {exc}") from exc


def _npy_chunks(path):
    """Read the header of the .npy file ``path``: dtype, shape, chunks(k).

    ``chunks(k)`` yields up to ``k`` rows at a time from the mapped file.
    A header that claims more bytes than the file holds is refused here.
    """
    with open(path, "rb") as f:
        if f.read(4) == b"PK\x03\x04":
            raise _UserError(f"{path!r} is an .npz archive, not a .npy array.")
        f.seek(0)
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(f)
        else:
            shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(f)
        offset = f.tell()
        size = os.fstat(f.fileno()).st_size - offset
    n_bytes = math.prod(shape) * dtype.itemsize
    if size < n_bytes:
        raise ValueError(
            f"its header claims shape {shape} of {dtype}, {n_bytes:,} bytes, "
            f"but only {size:,} bytes follow it"
        )

    def chunks(k):
        if n_bytes == 0:
            yield np.zeros(shape, dtype=dtype)
            return
        order = "F" if fortran_order else "C"
        array = np.memmap(
            path, dtype=dtype, mode="r", offset=offset, shape=shape, order=order
        )
        for start in range(0, shape[0], k):
            yield array[start : start + k]

    return dtype, shape, chunks


def _check_grey_levels(path, rows, grey_max):
    """Refuse grey levels outside ``[0, grey_max]``."""
    if not np.all((rows >= 0) & (rows <= grey_max)):
        raise _UserError(
            f"{path!r} holds values outside [0, {grey_max:g}]: the model takes "
            f"grey levels from 0 to {grey_max:g}; give the grey level of full "
            "ink of these images with --grey-max."
        )


# --- train ---------------------------------------------------------------------


def _train(args):
    if args.save is not None:
        _check_save_path(args.save)
    (X_train, X_test, y_train, y_test), scale, note = _load_data(args.data, args)
    X_train = X_train.astype(args.dtype)
    X_test = X_test.astype(args.dtype)
    X_train, y_train, fit_params, expanded = _expand_training(args, X_train, y_train)
    if args.batch_size > len(y_train):
        # Said once here: the estimator would say it on every epoch.
        warnings.warn(
            f"--batch-size {args.batch_size} is more than the {len(y_train)} "
            f"training images: mini-batches of {len(y_train)}."
        )
        args.batch_size = len(y_train)
    model = SigmoidMLPClassifier(**_estimator_params(args))
    if note is not None:
        print(note)
    header = (
        f"Training a {_planned_architecture(args, X_train, y_train)} sigmoid "
        f"network on {_describe_data(args.data, X_train.shape[1])}: "
        f"{len(y_train):,} training{expanded} and {len(y_test):,} test images; "
        f"{_plural(args.epochs, 'epoch')}, mini-batches of {args.batch_size}, "
        f"eta {args.eta}, seed {args.seed}."
    )

    start = time.perf_counter()
    try:
        if args.early_stopping:
            print(header, flush=True)
            epochs = _fit_early_stopping(model, X_train, y_train, **fit_params)
        else:
            data = X_train, y_train, X_test, y_test
            epochs = _fit_epochs(model, args, header, data)
    except _Interrupted as exc:
        return _save_interrupted(args, exc, scale, X_train)
    seconds = time.perf_counter() - start

    correct = int(np.sum(model.predict(X_test) == y_test))
    n_test = len(y_test)
    print(f"Accuracy: {correct / n_test:.4f} ({correct} / {n_test} test images)")
    tested = "" if args.early_stopping else ", testing included"
    print(f"Time: {seconds:.1f} s for {_plural(epochs, 'epoch')}{tested}")
    _warn_if_chance(correct / n_test, y_train, y_test, args)
    if args.save is not None:
        _save_model(args.save, _saved_pipeline(model, scale, X_train, args.data))
        print(f"Saved the network to {args.save}")
    return 0


def _expand_training(args, X_train, y_train):
    """Apply ``--expand`` to the training images, after holding out the rest.

    Return the training images and labels, ``fit``'s validation keywords
    and the header's words on the expansion.
    """
    if not args.expand:
        return X_train, y_train, {}, ""
    fit_params, held_out = {}, ""
    if args.early_stopping:
        # Held out as the estimator would, but before expanding: a shifted
        # copy of a training image would flatter the validation score.
        try:
            X_train, X_val, y_train, y_val = train_test_split(
                X_train,
                y_train,
                test_size=args.validation_fraction,
                stratify=y_train,
                random_state=args.seed,
            )
        except (TypeError, ValueError):
            pass  # a bad option, which the estimator names
        else:
            fit_params = {"X_val": X_val, "y_val": y_val}
            held_out = f", {len(y_val):,} validation images held out first"
    n_images = len(y_train)
    X_train, y_train = expand_images(X_train, y_train)
    words = f" images ({n_images:,} and their shifts by one pixel up, down, left "
    return X_train, y_train, fit_params, f"{words}and right{held_out})"


def _estimator_params(args):
    """Map train's options to the estimator's parameters, unchecked."""
    # Each option's value is its parameter's, but for these three.
    params = {
        name: getattr(args, option[2:].replace("-", "_"))
        for name, option in _OPTION_OF.items()
        if name not in ("hidden_layer_sizes", "shuffle", "tol")
    }
    params["hidden_layer_sizes"] = tuple(args.hidden)
    params["shuffle"] = not args.no_shuffle
    # fit prints each epoch's loss and validation accuracy.
    params["verbose"] = args.early_stopping
    # Without --tol the estimator keeps its own default, except where a
    # plateau rule is asked for and needs a threshold.
    if args.tol is not None:
        params["tol"] = args.tol
    elif args.early_stopping or args.learning_rate == "adaptive":
        params["tol"] = _PLATEAU_TOL
    return params


def _planned_architecture(args, X_train, y_train):
    sizes = [X_train.shape[1], *args.hidden, len(np.unique(y_train))]
    return "-".join(str(n) for n in sizes)


def _plural(n, word):
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _fit_epochs(model, args, header, data):
    """Fit one epoch at a time, printing the book's line after each.

    Each call to ``fit`` is warm-started and runs one epoch, so that the
    epochs together are one ``fit`` of ``--epochs`` epochs (``class_weight``
    included), and the model's parameters say so afterwards. ``header`` is
    printed once the first epoch has shown the options valid, so that a bad
    option gives its error alone. Return the number of epochs run. Stop
    early by fit's rule when ``--tol`` is given, computed from the public
    ``loss_curve_``. On Ctrl-C raise :class:`_Interrupted` with a copy of the
    model after its last whole epoch.
    """
    X_train, y_train, X_test, y_test = data
    n_test = len(y_test)
    stops = args.tol is not None and args.learning_rate != "adaptive"
    epoch, last = 0, None
    # Never more than one epoch a call, nor more than asked: a number of
    # epochs the estimator refuses is refused on the first call.
    model.set_params(warm_start=True, max_iter=min(args.epochs, 1))
    try:
        # The loop runs at least once, so that the estimator checks every
        # parameter, the number of epochs included.
        while epoch == 0 or epoch < args.epochs:
            with _estimator_errors():
                model.fit(X_train, y_train)
            last = (epoch + 1, _as_run(copy.deepcopy(model), args))
            epoch += 1
            if epoch == 1:
                print(header)
            correct = int(np.sum(model.predict(X_test) == y_test))
            print(f"Epoch {epoch}: {correct} / {n_test}", flush=True)
            if stops and _stalled(model.loss_curve_, args.tol, args.n_iter_no_change):
                print(
                    f"Training loss did not improve by tol={args.tol:g} for more "
                    f"than {_plural(args.n_iter_no_change, 'epoch')}: stopped."
                )
                break
    except KeyboardInterrupt as exc:
        raise _Interrupted(*(last or (0, None))) from exc
    _as_run(model, args)
    return epoch


def _as_run(model, args):
    """Give ``model`` back the parameters of the whole run; return it."""
    return model.set_params(warm_start=False, max_iter=args.epochs)


def _stalled(losses, tol, n_iter_no_change):
    """Tell whether fit's rule stops after ``losses``.

    It stops after more than ``n_iter_no_change`` epochs in a row whose loss
    was not ``tol`` below the best loss before them.
    """
    best, count = math.inf, 0
    for loss in losses:
        count = count + 1 if loss > best - tol else 0
        best = min(best, loss)
    return count > n_iter_no_change


def _fit_early_stopping(model, X_train, y_train, **fit_params):
    """Train by ``fit``, which holds out the validation set; return the epochs.

    On Ctrl-C raise :class:`_Interrupted` with the model if the estimator
    kept its best epoch so far, without one if it undid the fit.
    """
    # One call holds out the validation set once; fit prints each epoch's
    # loss and validation accuracy.
    try:
        with warnings.catch_warnings(record=True) as caught:
            with _estimator_errors(interrupts_are_errors=False):
                model.fit(X_train, y_train, **fit_params)
    except KeyboardInterrupt as exc:
        raise _Interrupted(0, None) from exc
    interrupted = False
    for warning in caught:
        if _is_interrupt_warning(warning.message):
            interrupted = True
        else:
            warnings.showwarning(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    if interrupted:
        raise _Interrupted(len(model.loss_curve_), model, best=True)
    return len(model.loss_curve_)


def _is_interrupt_warning(message):
    return isinstance(message, UserWarning) and "interrupted" in str(message)


@contextlib.contextmanager
def _estimator_errors(interrupts_are_errors=True):
    """Turn the estimator's refusals into user errors, its interrupts into Ctrl-C.

    A bad option value is reported as argparse reports a bad option. An
    interrupt that the estimator catches and warns about is raised again,
    unless ``interrupts_are_errors`` is False.
    """
    with warnings.catch_warnings():
        # Stopping at max_iter is the command's plan, not a failure.
        warnings.simplefilter("ignore", ConvergenceWarning)
        if interrupts_are_errors:
            warnings.filterwarnings("error", "Training interrupted", UserWarning)
        try:
            yield
        except UserWarning as exc:
            if not _is_interrupt_warning(exc):
                raise
            raise KeyboardInterrupt from exc
        except InvalidParameterError as exc:
            raise _usage_error(exc) from exc
        except ValueError as exc:
            # Such as divergence with too large an eta.
            raise _UserError(_with_options(str(exc))) from exc


def _usage_error(exc):
    match = _INVALID_PARAMETER.fullmatch(str(exc))
    if match is None or match["name"] not in _OPTION_OF:
        return _UserError(_with_options(str(exc)))
    return _UserError(
        f"argument {_OPTION_OF[match['name']]}: must be {match['rule']}; got "
        f"{match['value']} (see '{PROG} train --help')"
    )


def _with_options(message):
    """Name train's options in an estimator message instead of its parameters."""
    for name, option in _OPTION_OF.items():
        # Bare words such as "loss" also have their everyday meaning.
        bare = rf"|\b{name}\b" if "_" in name else ""
        message = re.sub(rf"'{name}'{bare}", option, message)
    return message


def _warn_if_chance(accuracy, y_train, y_test, args):
    """Warn when the accuracy is no better than always answering one label."""
    labels, counts = np.unique(y_train, return_counts=True)
    chance = float(np.mean(y_test == labels[np.argmax(counts)]))
    # Within a tenth of the way from chance to perfect: learnt nothing useful.
    if accuracy > chance + (1 - chance) / 10:
        return
    tries = [f"a smaller --eta (now {args.eta:g})"]
    if args.loss == "squared_error":
        tries.append("--loss cross_entropy")
    if args.weight_init == "gaussian":
        tries.append("--weight-init scaled")
    tries.append("more --epochs")
    warnings.warn(
        f"the accuracy {accuracy:.4f} is at or near chance: always answering "
        f"the most common label scores {chance:.4f}. Try {', '.join(tries[:-1])} "
        f"or {tries[-1]}."
    )


def _save_interrupted(args, interrupted, scale, X_train):
    if args.save is None:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return _INTERRUPTED_STATUS
    if interrupted.model is None:
        print(
            f"{PROG}: interrupted before a whole epoch was kept: nothing saved.",
            file=sys.stderr,
        )
        return _INTERRUPTED_STATUS
    pipeline = _saved_pipeline(interrupted.model, scale, X_train, args.data)
    _save_model(args.save, pipeline)
    if interrupted.best:
        what = (
            "its best epoch by validation accuracy "
            f"({_plural(interrupted.epochs, 'whole epoch')} run)"
        )
    else:
        what = f"epoch {interrupted.epochs}, the last whole epoch,"
    print(
        f"{PROG}: interrupted: saved the network of {what} to {args.save}",
        file=sys.stderr,
    )
    return _INTERRUPTED_STATUS


# --- evaluate and predict -----------------------------------------------------


def _evaluate(args):
    model, trained_on = _load_model(args.model)
    clf = _classifier(model)
    # A bare classifier records no data: the images of its size are MNIST's
    # or the 8x8 digits.
    data = args.data or trained_on or _data_of_size(clf.n_features_in_)
    (_, X_test, _, y_test), _, note = _load_data(data, args)
    if X_test.shape[1] != clf.n_features_in_:
        trained = "" if trained_on is None else f"; it was trained on {trained_on!r}"
        raise _UserError(
            f"the model in {args.model!r} takes {clf.n_features_in_} pixels "
            f"per image, but the images of {data!r} have {X_test.shape[1]}"
            f"{trained}."
        )
    # The test images are scaled to [0, 1] as the training images were.
    y_pred = clf.predict(X_test)
    correct = int(np.sum(y_pred == y_test))
    n_test = len(y_test)
    if note is not None:
        print(note)
    print(
        f"The {_architecture(clf)} network in {args.model} on "
        f"{_describe_data(data, X_test.shape[1])}, {n_test:,} test images"
    )
    print(f"Accuracy: {correct / n_test:.4f} ({correct} / {n_test})")
    print()
    print(classification_report(y_test, y_pred, digits=4, zero_division=0))
    _print_confusion_matrix(y_test, y_pred)
    return 0


def _data_of_size(n_features):
    return "digits" if n_features == 64 else "mnist"


def _print_confusion_matrix(y_test, y_pred):
    labels = np.union1d(y_test, y_pred)
    matrix = confusion_matrix(y_test, y_pred, labels=labels)
    width = max(len(str(matrix.max())), *(len(str(label)) for label in labels)) + 1
    print("Confusion matrix (row: true label, column: predicted label):")
    print(" " * width + "".join(f"{label!s:>{width}}" for label in labels))
    for label, row in zip(labels, matrix):
        print(f"{label!s:>{width}}" + "".join(f"{n:>{width}}" for n in row))


def _predict(args):
    model, _ = _load_model(args.model)
    trained_max = _grey_max(model)
    if args.grey_max is not None:
        if not args.grey_max > 0:
            raise _UserError(
                f"argument --grey-max: must be above 0; got {args.grey_max:g}"
            )
        model.set_params(**{f"{model.steps[0][0]}__grey_max": args.grey_max})
    # Every file is read before printing, so that a bad file gives only its
    # error; what is kept of a file is its labels, not its images.
    labels = [_predict_file(model, path, trained_max) for path in args.files]
    for path, file_labels in zip(args.files, labels):
        for i, label in enumerate(file_labels):
            print(f"{path}[{i}]: {label}")
    return 0


def _predict_file(model, path, trained_max):
    """Predict the images in ``path`` a chunk at a time; return their labels."""
    grey_max = _grey_max(model)
    labels, top = [], -math.inf
    try:
        for rows in _image_chunks(path, model.n_features_in_):
            _check_grey_levels(path, rows, grey_max)
            top = max(top, rows.max())
            labels.append(model.predict(rows))
    except MemoryError as exc:
        raise _UserError(f"not enough memory to read {path!r}.") from exc
    if grey_max == trained_max > 1 and top <= 1:
        warnings.warn(
            f"the grey levels of {path!r} all lie in [0, 1], but the model "
            f"learnt from grey levels 0 to {trained_max:g}: to it these images "
            "are nearly blank. If they are scaled to [0, 1] already, give "
            "--grey-max 1."
        )
    return np.concatenate(labels)


def _export(args):
    from ._onnx import to_onnx

    model, _ = _load_model(args.model)
    clf = _classifier(model)
    dtype = clf.coefs_[0].dtype
    try:
        onx = to_onnx(model, np.zeros((1, clf.n_features_in_), dtype=dtype))
    except ImportError as exc:
        raise _UserError(str(exc)) from exc
    try:
        with atomic_write(args.output) as f:
            f.write(onx.SerializeToString())
    except OSError as exc:
        raise _UserError(f"cannot write ONNX file {args.output!r}: {exc}") from exc
    print(
        f"Wrote the {_architecture(clf)} network to {args.output}: input 'X', "
        f"{dtype.name} rows of {clf.n_features_in_} grey levels from 0 to "
        f"{_grey_max(model):g}, as the training images; outputs 'label' and "
        "'probabilities'."
    )
    return 0


# --- main -----------------------------------------------------------------------


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
        130 when interrupted, 141 when the output pipe was closed (as by
        ``| head``), which ends the command quietly.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    # With no arguments: the book's experiment, and where to read more.
    first_run = not argv
    # With options but no command, the options are train's.
    if not argv or argv[0].startswith("-") and argv[0] not in _TOP_LEVEL_OPTIONS:
        argv = ["train", *argv]
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            status = _run(argv, first_run)
        # Flushed here, so that a closed pipe is met here and not at exit.
        sys.stdout.flush()
    except BrokenPipeError:
        _discard_stdout()
        return _CLOSED_PIPE_STATUS
    return status


def _discard_stdout():
    # What is still buffered would fail again at exit: send it nowhere.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass  # stdout is no file descriptor (captured): nothing to redirect


def _show_warning(message, category, filename, lineno, file=None, line=None):
    # One line, as the errors, without the source line that raised it.
    text = " ".join(str(message).split())
    print(f"{PROG}: warning: {text}", file=sys.stderr if file is None else file)


def _run(argv, first_run):
    try:
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as exc:
            # --help and --version
            return exc.code
        status = args.run(args)
        if first_run and status == 0:
            print(f"Run '{PROG} --help' for the commands and their options.")
        return status
    except _UserError as exc:
        message = " ".join(str(exc).split())
        print(f"{PROG}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return _INTERRUPTED_STATUS
