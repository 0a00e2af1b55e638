"""The command line: ``skdigitnet`` and ``python -m skdigitnet``.

This module is the parser, its help and :func:`main`, and imports only
Python's standard library, so that ``--help`` prints at once; the commands,
which drive :class:`~skdigitnet.SigmoidMLPClassifier`, are in
``_commands.py``, imported once the arguments are read. Each option's type
judges its value in the option's words, as argparse does.

User errors print one line, ``skdigitnet: error: ...``, and exit with
status 2. Ctrl-C exits with status 130, a closed output pipe (``| head``)
quietly with status 141, as a Unix tool killed by SIGPIPE.
"""

import argparse
import math
import os
import sys
import textwrap
import warnings

from . import __version__

PROG = "skdigitnet"
_TOP_LEVEL_OPTIONS = ("-h", "--help", "--version")

# A write to a closed pipe ends Unix tools by SIGPIPE, status 128 + 13.
_CLOSED_PIPE_STATUS = 141
INTERRUPTED_STATUS = 130

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


class UserError(Exception):
    """A mistake of the user's: reported as one line, exit status 2."""


class _Formatter(argparse.HelpFormatter):
    """Wrap help text without breaking option names such as ``--hidden``."""

    def _split_lines(self, text, width):
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)

    def _fill_text(self, text, width, indent):
        lines = self._split_lines(text, width - len(indent))
        return "\n".join(indent + line for line in lines)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, as all user errors."""

    def __init__(self, *args, formatter_class=_Formatter, **kwargs):
        super().__init__(*args, formatter_class=formatter_class, **kwargs)

    def error(self, message):
        """Raise the parsing error as a user error instead of exiting."""
        raise UserError(f"{message} (see '{self.prog} --help')")


# --- option types: each option's range, said in the option's words --------


def _float(text):
    """Parse a finite number."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}")
    return value


def _number(kind, bounds):
    """Return an option type: a ``kind`` (int or float) in a range.

    ``bounds`` is the range as the error says it, "[1, inf)" or "(0.0, 1.0]".
    The estimator checks the value again; this says so before anything loads.
    """
    low, high = (float(bound) for bound in bounds[1:-1].split(","))
    article = "an int" if kind is int else "a float"

    def parse(text):
        value = _float(text) if kind is float else int(text)
        above = value >= low if bounds[0] == "[" else value > low
        below = value <= high if bounds[-1] == "]" else value < high
        if not (above and below):
            raise argparse.ArgumentTypeError(
                f"must be {article} in the range {bounds}; got {value!r}"
            )
        return value

    # argparse names the type in "invalid int value: 'x'".
    parse.__name__ = kind.__name__
    return parse


_POSITIVE_INT = _number(int, "[1, inf)")
_NON_NEGATIVE = _number(float, "[0.0, inf)")


def _grey_level(text):
    """Parse a grey level of full ink: a number above 0."""
    value = _float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0; got {value:g}")
    return value


# --- the parser: one function per command ---------------------------------


def build_parser():
    """Return the command line's argument parser.

    A new command is one more ``_add_*_parser`` function here, and the
    function that runs it in ``_commands.py``.

    Returns
    -------
    parser : argparse.ArgumentParser
        The parser of ``skdigitnet``, with the commands as subparsers. Its
        errors raise ``UserError`` instead of exiting; :func:`main` says them.
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
    _add_train_parser(commands)
    _add_evaluate_parser(commands)
    _add_predict_parser(commands)
    _add_export_parser(commands)
    return parser


def _add_train_parser(commands):
    train = commands.add_parser(
        "train",
        help="train the network, printing 'Epoch j: k / n' after each epoch",
        description="Train the book's sigmoid network epoch by epoch, printing after "
        "each epoch the book's line 'Epoch j: k / n' (k of the n test images "
        "recognised after epoch j, counted from 1), then the final accuracy and the "
        "time taken. The defaults are chapter 1's settings. Ctrl-C stops training; "
        "with --save, the network of the last whole epoch is saved.",
    )
    _add_data_options(train, "digits", "digits")
    _add_book_options(train)
    _add_chapter3_options(train)
    _add_stopping_options(train)
    train.add_argument(
        "--expand",
        action="store_true",
        help="chapter 3's expanded training data: train on each training "
        "image and four copies of it moved one pixel up, down, left and "
        "right, five times the images, epochs and memory. The test images, "
        "and with --early-stopping the validation images, held out first, "
        "are not expanded.",
    )
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


def _add_book_options(train):
    book = train.add_argument_group("the book's settings (chapter 1)")
    book.add_argument(
        "--hidden",
        type=_POSITIVE_INT,
        nargs="+",
        default=[30],
        metavar="N",
        help="the number of neurons of each hidden layer: '--hidden 30' is "
        "the book's [n_pixels, 30, 10] network, '--hidden 100 30' has two "
        "hidden layers (default: 30). hidden_layer_sizes in Python.",
    )
    book.add_argument(
        "--epochs",
        type=_POSITIVE_INT,
        default=30,
        help="the book's epochs: passes over the training images (default: "
        "30). max_iter in Python.",
    )
    book.add_argument(
        "--batch-size",
        type=_POSITIVE_INT,
        default=10,
        metavar="N",
        help="the book's mini_batch_size: images per gradient step "
        "(default: 10). batch_size in Python.",
    )
    book.add_argument(
        "--eta",
        type=_number(float, "(0.0, inf)"),
        default=3.0,
        help="the book's learning rate eta (default: 3.0). learning_rate_init "
        "in Python.",
    )
    book.add_argument(
        "--seed",
        type=_number(int, "[0, 4294967295]"),
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
        type=_NON_NEGATIVE,
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
        type=_NON_NEGATIVE,
        default=0.5,
        help="the exponent of the invscaling schedule (default: 0.5).",
    )
    more.add_argument(
        "--momentum",
        type=_number(float, "[0.0, 1.0]"),
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
        help="weigh each class by n_samples / (n_classes * its count).",
    )


def _add_stopping_options(train):
    stop = train.add_argument_group("stopping before --epochs")
    stop.add_argument(
        "--tol",
        type=_NON_NEGATIVE,
        help="stop when the training loss has not improved by tol for more "
        "than --n-iter-no-change epochs; with --early-stopping, the "
        "validation accuracy; with --learning-rate adaptive, divide eta by 5 "
        "instead of stopping. Without --tol every epoch runs, as in the book "
        "(--early-stopping and adaptive then use the estimator's default "
        "threshold, MLPClassifier's). With any of the three, train runs one fit and "
        "prints the estimator's lines instead of the book's.",
    )
    stop.add_argument(
        "--n-iter-no-change",
        type=_POSITIVE_INT,
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
        type=_number(float, "(0.0, 1.0)"),
        default=0.1,
        help="the fraction held out by --early-stopping (default: 0.1).",
    )


def _add_evaluate_parser(commands):
    evaluate = commands.add_parser(
        "evaluate",
        help="accuracy, per-digit report and confusion matrix of a saved model",
        description="Score a saved model on the held-out test images: the accuracy, "
        "scikit-learn's classification_report (precision, recall and F1 of each "
        "digit) and the confusion matrix.",
    )
    evaluate.add_argument("model", metavar="MODEL", help=_MODEL_HELP + ".")
    _add_data_options(evaluate, None, "the data the model was trained on")


def _add_predict_parser(commands):
    predict = commands.add_parser(
        "predict",
        help="read the digits of image files with a saved model",
        description="Print the digit a saved model reads in each image, one line "
        "'FILE[i]: label' per image. A FILE is an IDX file (raw or .gz, as MNIST's) "
        "or a .npy array holding one image, a stack of images, or images already "
        "flattened to rows. The images have the size the model was trained on (28x28 "
        "for MNIST, 8x8 for the digits) and hold grey levels as the training images "
        "did: 0 to 255 for 28x28 images, 0 to 16 for the 8x8 digits, unless "
        "--grey-max says otherwise. A file whose grey levels all lie in [0, 1], for a "
        "model that learnt from 0 to 16 or 255, is warned about.",
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
        type=_grey_level,
        metavar="G",
        help="the grey level of full ink in the FILEs: they are divided by G "
        "to lie in [0, 1] as the training images did; '--grey-max 1' for "
        "images already scaled to [0, 1] (default: that of the training "
        "images, 255 for 28x28 images, 16 for the 8x8 digits).",
    )


def _add_export_parser(commands):
    export = commands.add_parser(
        "export",
        help="write a saved model as ONNX, for onnxruntime",
        description="Write a saved model as an ONNX file, to serve it with "
        "onnxruntime from Python, C++, C#, Java or JavaScript without skdigitnet. Its "
        "input 'X' takes rows of pixels in [0, 1] (grey levels divided as in "
        "training), as float32 or float64 as the model was trained; its outputs are "
        "'label' and 'probabilities'. Needs the onnx extra: pip install "
        '"skdigitnet[onnx]".',
    )
    export.add_argument("model", metavar="MODEL", help=_MODEL_HELP + ".")
    export.add_argument("output", metavar="OUTPUT", help="the ONNX file to write.")


def _add_data_options(parser, default, default_said):
    said = f"{_DATA_HELP} (default: {default_said})."
    parser.add_argument("--data", default=default, help=said)
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
        args = build_parser().parse_args(argv)
        # The commands load numpy and scikit-learn: only once they are needed.
        from ._commands import run

        status = run(args)
        if first_run and status == 0:
            print(f"Run '{PROG} --help' for the commands and their options.")
        return status
    except SystemExit as exc:  # --help and --version
        return exc.code
    except UserError as exc:
        message = " ".join(str(exc).split())
        print(f"{PROG}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return INTERRUPTED_STATUS
