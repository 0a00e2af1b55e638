"""The commands of the command line: ``train``, ``evaluate``, ``predict``, ``export``.

They drive :class:`~skdigitnet.SigmoidMLPClassifier` through its public
interface only; what it refuses is reported in its own words, with the
options that set the parameters it names.

A saved model is a :func:`joblib.dump` of a scikit-learn
:class:`~sklearn.pipeline.Pipeline`: a :class:`~skdigitnet.GreyLevelScaler`
that divides raw grey levels by that of full ink (16 for the 8x8 digits,
255 for images in MNIST's layout), then the fitted classifier. Files of the
older form, a dict of ``"model"``, ``"scale"`` and ``"data"``, are still
read. Every file is written whole or not at all.
"""

import contextlib
import math
import numbers
import os
import pickle
import struct
import sys
import time
import warnings
import zlib

import joblib
import numpy as np
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.metrics import classification_report, confusion_matrix
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.utils.validation import check_is_fitted

from . import GreyLevelScaler, SigmoidMLPClassifier
from ._cli import INTERRUPTED_STATUS, PROG, UserError
from ._persistence import atomic_write
from ._stopping import StoppingRule
from .datasets import (
    DIGITS_GREY_MAX,
    IDX_GREY_MAX,
    MNIST_URL,
    MissingFilesError,
    data_folder,
    expand_images,
    idx_chunks,
    load_train_test,
    only_test_files,
)

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


# predict reads and predicts images about this many bytes of float64 pixels
# at a time: its memory stays within a few such chunks whatever the files.
_CHUNK_BYTES = 2**23

# Unpickling a file that is not what it claims fails in many ways, all of
# them meaning "not a readable model file".
_UNPICKLING_ERRORS = (EOFError, ValueError, TypeError, LookupError, AttributeError)
_UNPICKLING_ERRORS += (ImportError, struct.error, zlib.error, pickle.UnpicklingError)


def run(args):
    """Run the command that ``args``, parsed by the command line, name.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed arguments; ``args.command`` names the command.

    Returns
    -------
    status : int
        The exit status: 0, or 130 when training was interrupted.
    """
    commands = dict(train=_train, evaluate=_evaluate, predict=_predict, export=_export)
    return commands[args.command](args)


# --- data and model files ---------------------------------------------------


def _load_data(data, args):
    """Load ``--data``: the four arrays, the grey-level maximum, a note or None.

    The note says how a folder with only the ``t10k`` files was split.
    """
    if data == "digits":
        return load_train_test("digits"), DIGITS_GREY_MAX, None
    folder = data_folder(data, args.data_home)
    if data != "mnist" and not args.download and not os.path.isdir(folder):
        raise UserError(
            f"--data {data}: no such folder; give digits, mnist or a folder "
            "in MNIST's layout."
        )
    split = not args.download and only_test_files(folder)
    try:
        arrays = load_train_test(
            data, data_home=args.data_home, download_if_missing=args.download
        )
    except MissingFilesError as exc:
        raise UserError(_missing_files_message(exc, data)) from exc
    except (OSError, ValueError) as exc:
        raise UserError(str(exc)) from exc
    if not split:
        return arrays, IDX_GREY_MAX, None
    n_train, n_test = len(arrays[2]), len(arrays[3])
    note = (
        f"Only the t10k files are in {folder}: their {n_train + n_test:,} "
        f"images are split 80/20 (stratified, always the same split) into "
        f"{n_train:,} training and {n_test:,} test images."
    )
    return arrays, IDX_GREY_MAX, note


def _missing_files_message(exc, data):
    """Word a missing-files error for the command line: the cause first."""
    names = ", ".join(exc.missing)
    if exc.reason is not None:
        return (
            f"downloading MNIST failed: {exc.reason}. The folder "
            f"{exc.folder!r} still lacks {names}: run --download again when "
            f"online, or copy MNIST's files there from {MNIST_URL}."
        )
    where = "" if os.path.isdir(exc.folder) else " (no such folder)"
    fetch = ", or add --download to fetch MNIST" if data == "mnist" else ""
    return (
        f"files missing from {exc.folder!r}{where}: {names} (each may end in "
        f".gz). Copy MNIST's IDX files there from {MNIST_URL}{fetch}."
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
        raise UserError(
            f"cannot save to {path!r}: it is a folder; give a file name, such "
            f"as {os.path.join(path, 'net.joblib')!r}."
        )
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UserError(f"cannot save to {path!r}: no folder {folder!r}.")
    if not os.access(folder, os.W_OK):
        raise UserError(f"cannot save to {path!r}: folder {folder!r} not writable.")


def _saved_pipeline(model, scale, data=None):
    """Return what ``train --save`` writes: raw grey levels in, labels out.

    The pipeline keeps the ``--data`` it learnt from as ``trained_on_``, a
    string, for ``evaluate`` to default to: a folder as an absolute path.
    """
    scaler = GreyLevelScaler(grey_max=scale).fit(np.zeros((1, model.n_features_in_)))
    pipeline = make_pipeline(scaler, model)
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
        raise UserError(f"cannot write model file {path!r}: {exc}") from exc


def _load_model(path):
    """Load a model file as a pipeline, and the data an older file records.

    ``train --save`` writes a :class:`~sklearn.pipeline.Pipeline` of a
    :class:`GreyLevelScaler` and the classifier. Older files, a dict of
    ``"model"``, ``"scale"`` and ``"data"``, and a bare classifier dumped
    from Python are accepted too, and put in the same pipeline.
    """
    content = _unpickle(path)
    # Read from the instance: a crafted file may hold anything as its steps.
    steps = vars(content).get("steps") if isinstance(content, Pipeline) else None
    kinds = (GreyLevelScaler, SigmoidMLPClassifier)
    if (
        isinstance(steps, list)
        and len(steps) == 2
        and all(isinstance(step, tuple) and len(step) == 2 for step in steps)
        and all(isinstance(step[1], kind) for step, kind in zip(steps, kinds))
    ):
        _check_trained(path, content[-1], content[0])
        _check_scale(path, content[0].grey_max)
        data = getattr(content, "trained_on_", None)
        return content, data if isinstance(data, str) else None
    older = content if isinstance(content, dict) else {"model": content}
    model, scale, data = (older.get(key) for key in ("model", "scale", "data"))
    if not isinstance(model, SigmoidMLPClassifier):
        raise UserError(
            f"{path!r} holds a {type(content).__name__}, not a model written by "
            "'skdigitnet train --save'."
        )
    _check_trained(path, model)
    if scale is None:
        # Its scale follows from its input size, as in training.
        scale = DIGITS_GREY_MAX if model.n_features_in_ == 64 else IDX_GREY_MAX
    _check_scale(path, scale)
    if isinstance(content, dict):
        print(
            f"{PROG}: note: {path!r} is a model file of an older form, a dict of "
            "model, scale and data; 'train --save' now writes a scikit-learn "
            "pipeline.",
            file=sys.stderr,
        )
    return _saved_pipeline(model, float(scale)), data if isinstance(data, str) else None


def _check_scale(path, scale):
    real = isinstance(scale, numbers.Real) and not isinstance(scale, bool)
    if not (real and 0 < scale < math.inf):
        raise UserError(
            f"{path!r} holds a bad grey-level scale {scale!r}: expected a finite "
            "number above 0."
        )


def _check_trained(path, *estimators):
    try:
        for estimator in estimators:
            check_is_fitted(estimator)
    except NotFittedError as exc:
        raise UserError(f"{path!r} holds a network that was never trained.") from exc


def _unpickle(path):
    try:
        if os.path.isfile(path) and os.path.getsize(path) == 0:
            raise UserError(f"cannot read model file {path!r}: the file is empty.")
        return joblib.load(path)
    except OSError as exc:
        raise UserError(f"cannot read model file {path!r}: {exc}") from exc
    except _UNPICKLING_ERRORS as exc:
        cause = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        raise UserError(
            f"{path!r} is not a readable model file (it may be truncated or "
            f"corrupt): {cause}"
        ) from exc


def _image_chunks(path, n_features):
    """Yield the images in ``path`` as rows of grey levels, a chunk at a time.

    A chunk holds about ``_CHUNK_BYTES`` of float64 pixels. The header is
    read and the shape checked first; the data is mapped (raw IDX, .npy) or
    decompressed (gzip IDX) as the chunks are taken.
    """
    npy = path.endswith(".npy")
    what = "a .npy array" if npy else "an IDX file"
    side = math.isqrt(n_features)
    image = (side, side) if side * side == n_features else None
    try:
        dtype, shape, chunks = (_npy_chunks if npy else idx_chunks)(path)
        if dtype.kind not in "biuf":
            raise UserError(f"{path!r} holds {dtype} values, not grey levels.")
        if shape in (image, (n_features,)):
            per_chunk = shape[0]  # one image, read whole
        elif shape[1:] in (image, (n_features,)):
            per_chunk = max(1, _CHUNK_BYTES // (8 * n_features))
        else:
            shapes = f"({n_features},) or (n, {n_features})"
            if image:
                shapes = f"({side}, {side}), (n, {side}, {side}), {shapes}"
            raise UserError(
                f"{path!r} holds an array of shape {shape}, but the model "
                f"takes images of {n_features} pixels: expected shape {shapes}."
            )
        if shape[0] == 0:
            raise UserError(f"{path!r} holds no images.")
        for chunk in chunks(per_chunk):
            yield chunk.reshape(-1, n_features)
    except OSError as exc:
        raise UserError(f"cannot read {path!r}: {exc}") from exc
    except (ValueError, EOFError) as exc:
        raise UserError(f"cannot read {path!r} as {what}: {exc}") from exc


def _npy_chunks(path):
    """Read the header of the .npy file ``path``: dtype, shape, chunks(k).

    ``chunks(k)`` yields up to ``k`` rows at a time from the mapped file.
    A header that claims more bytes than the file holds is refused here.
    """
    with open(path, "rb") as f:
        if f.read(4) == b"PK\x03\x04":
            raise UserError(f"{path!r} is an .npz archive, not a .npy array.")
        f.seek(0)
        fmt = np.lib.format
        v1 = fmt.read_magic(f) == (1, 0)
        read_header = fmt.read_array_header_1_0 if v1 else fmt.read_array_header_2_0
        shape, _, dtype = read_header(f)
        size = os.fstat(f.fileno()).st_size - f.tell()
    n_bytes = math.prod(shape) * dtype.itemsize
    if min(shape, default=0) < 0:
        raise ValueError(f"its header claims shape {shape}, of a negative size")
    if size < n_bytes:
        raise ValueError(
            f"its header claims shape {shape} of {dtype}, {n_bytes:,} bytes, "
            f"but only {size:,} bytes follow it"
        )

    def chunks(k):
        array = np.load(path, mmap_mode="r")
        for start in range(0, len(array), k):
            yield array[start : start + k]

    return dtype, shape, chunks


# --- train ---------------------------------------------------------------------


def _train(args):
    if args.save is not None:
        _check_save_path(args.save)
    (X_train, X_test, y_train, y_test), scale, note = _load_data(args.data, args)
    X_train, X_test = X_train.astype(args.dtype), X_test.astype(args.dtype)
    X_train, y_train, fit_params, expanded = _expand_training(args, X_train, y_train)
    if args.batch_size > len(y_train):
        # Said once here: the estimator would say it on every epoch.
        warnings.warn(
            f"--batch-size {args.batch_size} is more than the {len(y_train)} "
            f"training images: mini-batches of {len(y_train)}."
        )
        args.batch_size = len(y_train)
    model = SigmoidMLPClassifier(**_estimator_params(args))
    # A stopping rule may stop, or change eta, before --epochs: such a run is
    # one verbose fit, which prints each epoch's loss.
    rule = StoppingRule(model).active
    model.set_params(verbose=rule)
    if note is not None:
        print(note)
    sizes = [X_train.shape[1], *args.hidden, len(np.unique(y_train))]
    header = (
        f"Training a {'-'.join(map(str, sizes))} sigmoid network on "
        f"{_describe_data(args.data, X_train.shape[1])}: "
        f"{len(y_train):,} training{expanded} and {len(y_test):,} test images; "
        f"{_plural(args.epochs, 'epoch')}, mini-batches of {args.batch_size}, "
        f"eta {args.eta}, seed {args.seed}."
    )

    start = time.perf_counter()
    if rule:
        print(header, flush=True)
    try:
        if rule:
            _fit_with_rule(model, X_train, y_train, fit_params)
        else:
            _fit_epochs(model, args, header, (X_train, y_train, X_test, y_test))
    except KeyboardInterrupt:
        return _save_interrupted(args, model, scale)
    seconds = time.perf_counter() - start
    epochs = len(model.loss_curve_)

    correct = int(np.sum(model.predict(X_test) == y_test))
    n_test = len(y_test)
    print(f"Accuracy: {correct / n_test:.4f} ({correct} / {n_test} test images)")
    tested = "" if rule else ", testing included"
    print(f"Time: {seconds:.1f} s for {_plural(epochs, 'epoch')}{tested}")
    _warn_if_chance(correct / n_test, y_train, y_test, args)
    if args.save is not None:
        _save_model(args.save, _saved_pipeline(model, scale, args.data))
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
        split = {"test_size": args.validation_fraction, "random_state": args.seed}
        try:
            X_train, X_val, y_train, y_val = train_test_split(
                X_train, y_train, stratify=y_train, **split
            )
        except (TypeError, ValueError):
            pass  # too few images to split: the estimator's split judges it
        else:
            fit_params = {"X_val": X_val, "y_val": y_val}
            held_out = f", {len(y_val):,} validation images held out first"
    n_images = len(y_train)
    X_train, y_train = expand_images(X_train, y_train)
    words = f" images ({n_images:,} and their shifts by one pixel up, down, left "
    return X_train, y_train, fit_params, f"{words}and right{held_out})"


def _estimator_params(args):
    """Map train's options to the estimator's parameters, unchecked."""
    params = {
        name: getattr(args, option[2:].replace("-", "_"))
        for name, option in _OPTION_OF.items()
    }
    return params | {  # each option's value is its parameter's, but for two
        "hidden_layer_sizes": tuple(args.hidden),
        "shuffle": not args.no_shuffle,
    }


def _plural(n, word):
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _fit_epochs(model, args, header, data):
    """Fit one epoch at a time, printing the book's line after each.

    Warm-started fits of one epoch each, so that the epochs together are one
    ``fit`` of ``--epochs`` epochs (``class_weight`` included), as the model's
    parameters then say. ``header`` follows the first epoch, which checks options.
    """
    X_train, y_train, X_test, y_test = data
    model.set_params(warm_start=True, max_iter=1)
    try:
        for epoch in range(1, args.epochs + 1):
            with _refusals():
                model.fit(X_train, y_train)
            if epoch == 1:
                print(header)
            correct = int(np.sum(model.predict(X_test) == y_test))
            print(f"Epoch {epoch}: {correct} / {len(y_test)}", flush=True)
    finally:
        model.set_params(warm_start=False, max_iter=args.epochs)


def _fit_with_rule(model, X_train, y_train, fit_params):
    """Train by one ``fit``, which applies its stopping rule.

    Reaching ``--epochs`` is the plan, not a failure: ConvergenceWarning is
    not shown. Ctrl-C raises KeyboardInterrupt, epochs kept (fit warns) or not.
    """
    with warnings.catch_warnings(record=True) as caught, _refusals():
        model.fit(X_train, y_train, **fit_params)
    interrupted = False
    for warning in caught:
        message, category = warning.message, warning.category
        # The estimator's own warning on keeping whole epochs after Ctrl-C.
        if isinstance(message, UserWarning) and "interrupted" in str(message):
            interrupted = True
        elif not issubclass(category, ConvergenceWarning):
            warnings.showwarning(message, category, warning.filename, warning.lineno)
    if interrupted:
        raise KeyboardInterrupt


@contextlib.contextmanager
def _refusals():
    """Report what the estimator refuses in its words, naming the options."""
    try:
        yield
    except ValueError as exc:
        message = str(exc)
        named = "; ".join(
            f"{option} sets {name}"
            for name, option in _OPTION_OF.items()
            # Bare words such as "loss" also have their everyday meaning.
            if f"'{name}'" in message or ("_" in name and name in message)
        )
        raise UserError(f"{message} ({named})" if named else message) from exc


def _warn_if_chance(accuracy, y_train, y_test, args):
    """Warn when the accuracy is no better than always answering one label."""
    labels, counts = np.unique(y_train, return_counts=True)
    chance = float(np.mean(y_test == labels[np.argmax(counts)]))
    # Within a tenth of the way from chance to perfect: learnt nothing useful.
    if accuracy > chance + (1 - chance) / 10:
        return
    tries = [f"a smaller --eta (now {args.eta:g})"]
    tries += ["--loss cross_entropy"] if args.loss == "squared_error" else []
    tries += ["--weight-init scaled"] if args.weight_init == "gaussian" else []
    warnings.warn(
        f"the accuracy {accuracy:.4f} is at or near chance: always answering "
        f"the most common label scores {chance:.4f}. Try {', '.join(tries)} "
        "or more --epochs."
    )


def _save_interrupted(args, model, scale):
    """With ``--save``, save what ``model`` kept after Ctrl-C, if anything."""
    if args.save is None:
        said = ""
    elif not hasattr(model, "loss_curve_"):
        said = " before a whole epoch was kept: nothing saved."
    else:
        _save_model(args.save, _saved_pipeline(model, scale, args.data))
        epochs = len(model.loss_curve_)
        what = f"epoch {epochs}, the last whole epoch,"
        if args.early_stopping:
            what = "its best epoch by validation accuracy "
            what += f"({_plural(epochs, 'whole epoch')} run)"
        said = f": saved the network of {what} to {args.save}"
    print(f"{PROG}: interrupted{said}", file=sys.stderr)
    return INTERRUPTED_STATUS


# --- evaluate and predict -----------------------------------------------------


def _evaluate(args):
    model, trained_on = _load_model(args.model)
    clf = model[-1]
    # A bare classifier records no data: its size tells MNIST from the digits.
    by_size = "digits" if clf.n_features_in_ == 64 else "mnist"
    data = args.data or trained_on or by_size
    (_, X_test, _, y_test), _, note = _load_data(data, args)
    if X_test.shape[1] != clf.n_features_in_:
        trained = "" if trained_on is None else f"; it was trained on {trained_on!r}"
        raise UserError(
            f"the model in {args.model!r} takes {clf.n_features_in_} pixels "
            f"per image, but the images of {data!r} have {X_test.shape[1]}"
            f"{trained}."
        )
    y_pred = clf.predict(X_test)  # scaled to [0, 1] as the training images
    correct = int(np.sum(y_pred == y_test))
    n_test = len(y_test)
    if note is not None:
        print(note)
    print(
        f"The {_architecture(clf)} network in {args.model} on "
        f"{_describe_data(data, X_test.shape[1])}, {n_test:,} test images"
    )
    print(f"Accuracy: {correct / n_test:.4f} ({correct} / {n_test})\n")
    print(classification_report(y_test, y_pred, digits=4, zero_division=0))
    _print_confusion_matrix(y_test, y_pred)
    return 0


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
    trained_max = model[0].grey_max
    if args.grey_max is not None:
        model[0].set_params(grey_max=args.grey_max)
    # Every file is read before printing, so that a bad file gives only its
    # error; what is kept of a file is its labels, not its images.
    labels = [_predict_file(model, path, trained_max) for path in args.files]
    for path, file_labels in zip(args.files, labels):
        for i, label in enumerate(file_labels):
            print(f"{path}[{i}]: {label}")
    return 0


def _predict_file(model, path, trained_max):
    """Predict the images in ``path`` a chunk at a time; return their labels."""
    grey_max = model[0].grey_max
    labels, top = [], -math.inf
    try:
        for rows in _image_chunks(path, model.n_features_in_):
            if not np.all((rows >= 0) & (rows <= grey_max)):
                raise UserError(
                    f"{path!r} holds values outside [0, {grey_max:g}]: the model "
                    f"takes grey levels from 0 to {grey_max:g}; give the grey level "
                    "of full ink of these images with --grey-max."
                )
            top = max(top, rows.max())
            labels.append(model.predict(rows))
    except MemoryError as exc:
        raise UserError(f"not enough memory to read {path!r}.") from exc
    if grey_max == trained_max > 1 and top <= 1:
        warnings.warn(
            f"the grey levels of {path!r} all lie in [0, 1], but the model "
            f"learnt from grey levels 0 to {trained_max:g}: to it these images "
            "are nearly blank. If they are scaled to [0, 1] already, give "
            "--grey-max 1."
        )
    return np.concatenate(labels)


def _export(args):
    from . import to_onnx

    model, _ = _load_model(args.model)
    clf = model[-1]
    dtype = clf.coefs_[0].dtype
    try:
        onx = to_onnx(model, np.zeros((1, clf.n_features_in_), dtype=dtype))
    except ImportError as exc:
        raise UserError(str(exc)) from exc
    try:
        with atomic_write(args.output) as f:
            f.write(onx.SerializeToString())
    except OSError as exc:
        raise UserError(f"cannot write ONNX file {args.output!r}: {exc}") from exc
    print(
        f"Wrote the {_architecture(clf)} network to {args.output}: input 'X', "
        f"{dtype.name} rows of {clf.n_features_in_} grey levels from 0 to "
        f"{model[0].grey_max:g}, as the training images; outputs 'label' and "
        "'probabilities'."
    )
    return 0
