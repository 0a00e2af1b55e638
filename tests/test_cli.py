import re
import signal
import struct
import subprocess
import sys
import warnings
from copy import deepcopy
from urllib.error import URLError

import joblib
import numpy as np
import pytest
from conftest import assert_one_error_line, cli
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import Pipeline

from skdigitnet import SigmoidMLPClassifier, _buffered, _datasets
from skdigitnet._cli import build_parser, main
from skdigitnet.datasets import load_train_test, write_idx

COMMANDS = ["train", "evaluate", "predict", "export"]
EPOCH_LINE = re.compile(r"^Epoch (\d+): (\d+) / (\d+)$", re.MULTILINE)
ACCURACY_LINE = re.compile(r"^Accuracy: ([0-9.]+) \((\d+) / (\d+)", re.MULTILINE)


def run_module(*args, cwd=None):
    """Run ``python -m skdigitnet ARGS`` in a fresh process."""
    return subprocess.run(
        [sys.executable, "-m", "skdigitnet", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def epochs(out):
    return [tuple(map(int, match)) for match in EPOCH_LINE.findall(out)]


def accuracy(out):
    (match,) = ACCURACY_LINE.findall(out)
    return float(match[0]), int(match[1]), int(match[2])


def load_model_file(path):
    """Load what ``train --save`` wrote: the classifier, and the pipeline."""
    pipeline = joblib.load(path)
    assert isinstance(pipeline, Pipeline)
    return pipeline[-1], pipeline


def write_mnist_folder(folder, n_train=60, n_test=20, seed=0):
    """Small random files in MNIST's layout; return the test images."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    images = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images[prefix] = rng.integers(256, size=(n, 28, 28), dtype=np.uint8)
        labels = (np.arange(n) % 10).astype(np.uint8)
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", images[prefix])
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", labels)
    return images["t10k"]


@pytest.fixture(scope="module")
def digits_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("digits") / "digits.joblib"
    assert main(["train", "--epochs", "5", "--save", str(path)]) == 0
    return path


@pytest.fixture(scope="module")
def mnist_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mnist-layout")
    write_mnist_folder(folder)
    return folder


@pytest.fixture(scope="module")
def mnist_model(tmp_path_factory, mnist_folder):
    path = tmp_path_factory.mktemp("mnist-model") / "mnist.joblib"
    args = ["train", "--data", str(mnist_folder), "--hidden", "6", "--epochs", "2"]
    assert main([*args, "--save", str(path)]) == 0
    return path


# --- the main job, in a real process --------------------------------------


@pytest.mark.slow
def test_no_arguments_run_the_books_experiment_on_digits():
    result = run_module()

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    # The book's lines: epochs 1 to 30 (counted from 1, as verbose=True
    # counts), each scored on the 360 test digits.
    assert [(j, n) for j, _, n in epochs(result.stdout)] == [
        (j, 360) for j in range(1, 31)
    ]
    score, correct, n_test = accuracy(result.stdout)
    assert n_test == 360
    assert score >= 0.95
    assert correct == epochs(result.stdout)[-1][1]
    assert re.search(r"^Time: [0-9.]+ s", result.stdout, re.MULTILINE)
    assert "64-30-10" in result.stdout
    assert "skdigitnet --help" in result.stdout


@pytest.mark.slow
def test_save_evaluate_predict_in_real_processes(tmp_path):
    model = tmp_path / "net.joblib"
    train = run_module("train", "--epochs", "3", "--save", model, cwd=tmp_path)
    assert train.returncode == 0, train.stderr
    assert len(epochs(train.stdout)) == 3

    evaluate = run_module("evaluate", model)
    assert evaluate.returncode == 0, evaluate.stderr
    assert accuracy(evaluate.stdout) == accuracy(train.stdout)

    np.save(tmp_path / "digit.npy", load_digits().images[0])
    predict = run_module("predict", model, tmp_path / "digit.npy")
    assert predict.returncode == 0, predict.stderr
    assert re.fullmatch(r".*digit\.npy\[0\]: \d\n", predict.stdout)


@pytest.mark.slow
def test_user_error_in_a_real_process(tmp_path):
    result = run_module("evaluate", tmp_path / "missing.joblib")
    assert_one_error_line(result.returncode, result.stderr, "missing.joblib")
    assert result.stdout == ""


def start_module(*args):
    """Start ``python -m skdigitnet ARGS`` with its output in pipes."""
    return subprocess.Popen(
        [sys.executable, "-m", "skdigitnet", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture(scope="module")
def many_digits(tmp_path_factory):
    """An IDX file of 20,000 8x8 digits: far more output than a pipe holds."""
    path = tmp_path_factory.mktemp("many") / "digits-idx3-ubyte"
    images = load_digits().images.astype(np.uint8)
    write_idx(path, np.resize(images, (20_000, 8, 8)))
    return path


@pytest.mark.parametrize("command", ["predict | head -2", "| head -1", "evaluate"])
@pytest.mark.slow
def test_a_closed_pipe_ends_quietly(command, digits_model, many_digits):
    # As "skdigitnet ... | head -N": read N lines, then close the pipe while
    # the command still writes. evaluate writes all at the end, so its pipe
    # is closed before it writes anything.
    args, n_read = {
        "predict | head -2": (["predict", digits_model, many_digits], 2),
        "| head -1": ([], 1),
        "evaluate": (["evaluate", digits_model], 0),
    }[command]
    process = start_module(*args)
    lines = [process.stdout.readline() for _ in range(n_read)]
    process.stdout.close()
    err = process.stderr.read()
    process.wait(timeout=300)

    assert all(lines)
    assert err == ""
    assert process.returncode in (0, 141)


@pytest.mark.slow
def test_ctrl_c_in_a_real_process_saves_the_last_whole_epoch(tmp_path):
    path = tmp_path / "net.joblib"
    process = start_module("train", "--epochs", 100_000, "--hidden", 5, "--save", path)
    for line in process.stdout:
        if line.startswith("Epoch 1:"):
            break
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)

    assert process.returncode == 130, err
    match = re.fullmatch(
        r"skdigitnet: interrupted: saved the network of epoch (\d+), the last "
        r"whole epoch, to (.+)\n",
        err,
    )
    assert match, err
    assert match[2] == str(path)
    model, _ = load_model_file(path)
    assert len(model.loss_curve_) == int(match[1]) >= 1
    # The last line printed is that epoch's, or the one before if the
    # interrupt came between the epoch's end and its line.
    printed = [1] + [j for j, _, _ in epochs(out)]
    assert printed[-1] in (int(match[1]) - 1, int(match[1]))


@pytest.mark.slow
def test_ctrl_c_with_early_stopping_keeps_what_the_estimator_keeps(tmp_path):
    # fit either keeps its best epoch so far or undoes itself: the file and
    # the message say which, with no traceback either way.
    path = tmp_path / "net.joblib"
    process = start_module(
        *("train", "--early-stopping", "--epochs", 100_000, "--hidden", 5),
        *("--n-iter-no-change", 100_000, "--save", path),
    )
    for line in process.stdout:
        if line.startswith("Validation score"):
            break
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)

    assert process.returncode == 130, err
    saved = re.fullmatch(
        r"skdigitnet: interrupted: saved the network of its best epoch by "
        r"validation accuracy \((\d+) whole epochs? run\) to (.+)\n",
        err,
    )
    if saved:
        model, _ = load_model_file(path)
        assert len(model.validation_scores_) == int(saved[1]) >= 1
    else:
        assert (
            err
            == "skdigitnet: interrupted before a whole epoch was kept: nothing saved.\n"
        )
        assert not path.exists()


# --- help -----------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [["--help"], ["--version"], *([c, "--help"] for c in COMMANDS)],
    ids=" ".join,
)
def test_help_imports_neither_sklearn_nor_scipy(args):
    # -X importtime lists every module the process imports, one a line.
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "skdigitnet", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(("usage: skdigitnet", "skdigitnet "))
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines()}
    assert "skdigitnet._cli" in imported
    for library in ("sklearn", "scipy", "numpy", "joblib"):
        assert not [name for name in imported if name.split(".")[0] == library]


def test_help_explains_the_network_and_the_books_names(capsys):
    status, out, _ = cli(capsys, "--help")
    assert status == 0
    for words in ("Nielsen", "sigmoid", "Epoch j: k / n", "train", "predict"):
        assert words in out

    status, out, _ = cli(capsys, "train", "--help")
    assert status == 0
    for words in ("eta", "mini_batch_size", "epochs", "--download", "--dtype"):
        assert words in out


# --- train ----------------------------------------------------------------


def test_train_options_reach_the_estimator(capsys, tmp_path):
    path = tmp_path / "net.joblib"
    status, out, err = cli(
        capsys,
        "train",
        *("--hidden", "20", "10", "--epochs", "3", "--batch-size", "20"),
        *("--eta", "1.0", "--seed", "1", "--loss", "cross_entropy"),
        *("--weight-init", "scaled", "--alpha", "0.001", "--momentum", "0.5"),
        *("--learning-rate", "invscaling", "--save", path),
    )
    assert status == 0, err
    assert err == ""
    assert [j for j, _, _ in epochs(out)] == [1, 2, 3]
    assert "64-20-10-10" in out

    model, pipeline = load_model_file(path)
    assert pipeline[0].grey_max == 16
    assert pipeline.trained_on_ == "digits"
    params = model.get_params()
    assert params["hidden_layer_sizes"] == (20, 10)
    assert params["max_iter"] == 3
    assert params["batch_size"] == 20
    assert params["learning_rate_init"] == 1.0
    assert params["random_state"] == 1
    assert params["loss"] == "cross_entropy"
    assert params["weight_init"] == "scaled"
    assert params["alpha"] == 0.001
    assert params["momentum"] == 0.5
    assert params["learning_rate"] == "invscaling"
    assert [c.shape for c in model.coefs_] == [(64, 20), (20, 10), (10, 10)]
    assert len(model.loss_curve_) == 3


def test_one_epoch_is_said_in_the_singular(capsys):
    status, out, _ = cli(capsys, "train", "--epochs", "1", "--hidden", "5")
    assert status == 0
    assert "1 epochs" not in out
    assert "; 1 epoch, mini-batches" in out
    assert re.search(r"^Time: [0-9.]+ s for 1 epoch, testing", out, re.MULTILINE)


def test_training_at_chance_is_warned_with_what_to_try(capsys):
    status, out, err = cli(capsys, "train", "--eta", "1e6", "--epochs", "2")
    assert status == 0
    assert accuracy(out)[0] < 0.15
    (line,) = err.splitlines()
    assert line.startswith("skdigitnet: warning: the accuracy 0.1")
    assert "chance" in line
    for option in ("--eta", "--loss cross_entropy", "--weight-init scaled"):
        assert option in line


def test_ctrl_c_with_save_saves_the_last_whole_epoch(capsys, tmp_path, monkeypatch):
    # The third epoch is interrupted: the file holds the network of two.
    real_fit = SigmoidMLPClassifier.fit
    calls = []

    def interrupted_third(self, *args, **kwargs):
        calls.append(None)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_fit(self, *args, **kwargs)

    monkeypatch.setattr(SigmoidMLPClassifier, "fit", interrupted_third)
    path = tmp_path / "net.joblib"
    args = ["--hidden", "9", "--epochs", "5", "--save", path]
    status, out, err = cli(capsys, "train", *args)

    assert status == 130
    assert [j for j, _, _ in epochs(out)] == [1, 2]
    assert err == (
        "skdigitnet: interrupted: saved the network of epoch 2, the last whole "
        f"epoch, to {path}\n"
    )
    model, _ = load_model_file(path)
    X_train, _, y_train, _ = load_train_test("digits")
    fitted = SigmoidMLPClassifier(hidden_layer_sizes=(9,), max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted.fit(X_train, y_train)
    assert model.loss_curve_ == fitted.loss_curve_
    for a, b in zip(model.coefs_, fitted.coefs_):
        assert_array_equal(a, b)


def test_ctrl_c_in_a_run_with_tol_saves_the_last_whole_epoch(
    capsys, tmp_path, monkeypatch
):
    # One fit; its third epoch is interrupted, and fit keeps the first two.
    epoch = _buffered.sgd_epoch
    calls = []

    def interrupted_third(*args):
        calls.append(None)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return epoch(*args)

    monkeypatch.setattr(_buffered, "sgd_epoch", interrupted_third)
    path = tmp_path / "net.joblib"
    args = ["--hidden", "9", "--epochs", "5", "--tol", "0", "--save", path]
    status, out, err = cli(capsys, "train", *args)

    assert status == 130
    assert out.count("\nEpoch ") == 2
    assert err == (
        "skdigitnet: interrupted: saved the network of epoch 2, the last whole "
        f"epoch, to {path}\n"
    )
    model, _ = load_model_file(path)
    assert len(model.loss_curve_) == model.n_iter_ == 2


def test_ctrl_c_before_an_epoch_ends_saves_nothing(capsys, tmp_path, monkeypatch):
    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(SigmoidMLPClassifier, "fit", interrupted)
    path = tmp_path / "net.joblib"
    status, _, err = cli(capsys, "train", "--save", path)
    assert status == 130
    assert (
        err == "skdigitnet: interrupted before a whole epoch was kept: nothing saved.\n"
    )
    assert not path.exists()


def test_build_parser_is_the_command_lines_parser():
    parser = build_parser()
    assert parser.prog == "skdigitnet"
    args = parser.parse_args(["train", "--eta", "0.5", "--hidden", "20", "10"])
    assert (args.command, args.eta, args.hidden) == ("train", 0.5, [20, 10])
    args = parser.parse_args(["predict", "net.joblib", "a.npy", "--grey-max", "1"])
    assert (args.command, args.files, args.grey_max) == ("predict", ["a.npy"], 1.0)


def test_options_without_a_command_are_trains(capsys):
    status, out, _ = cli(capsys, "--epochs", "2", "--hidden", "8")
    assert status == 0
    assert len(epochs(out)) == 2
    assert "64-8-10" in out


@pytest.mark.parametrize(
    "shuffle", [[], ["--no-shuffle"]], ids=["shuffled", "in order"]
)
def test_train_equals_fit(capsys, tmp_path, shuffle):
    path = tmp_path / "net.joblib"
    args = ["--epochs", "4", "--hidden", "9", "--seed", "2", *shuffle]
    assert cli(capsys, "train", *args, "--save", path)[0] == 0
    model, _ = load_model_file(path)

    X_train, _, y_train, _ = load_train_test("digits")
    fitted = SigmoidMLPClassifier(
        hidden_layer_sizes=(9,),
        max_iter=4,
        shuffle=not shuffle,
        random_state=2,
        tol=model.tol,  # the command's default, which the estimator's may not be
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted.fit(X_train, y_train)
    for a, b in zip(
        model.coefs_ + model.intercepts_, fitted.coefs_ + fitted.intercepts_
    ):
        assert_array_equal(a, b)
    assert model.loss_curve_ == fitted.loss_curve_
    assert len(model.loss_curve_) == fitted.n_iter_ == 4
    assert model.t_ == fitted.t_
    assert model.get_params() == fitted.get_params()


def test_train_stops_where_fit_stops(capsys, tmp_path):
    # No epoch after the first improves the loss by tol = 10: with
    # n_iter_no_change = 1, fit stops after the third.
    path = tmp_path / "net.joblib"
    args = ["--no-shuffle", "--tol", "10", "--n-iter-no-change", "1", "--save", path]
    status, out, _ = cli(capsys, "train", "--hidden", "5", *args)
    assert status == 0
    # One fit, which prints its own line for each epoch and why it stopped.
    assert out.count("\nEpoch ") == 3
    assert "did not improve" in out and "Stopping" in out
    model, _ = load_model_file(path)

    X_train, _, y_train, _ = load_train_test("digits")
    fitted = SigmoidMLPClassifier(
        hidden_layer_sizes=5, shuffle=False, random_state=0, tol=10, n_iter_no_change=1
    ).fit(X_train, y_train)
    assert len(model.loss_curve_) == fitted.n_iter_ == 3
    assert model.loss_curve_ == fitted.loss_curve_
    assert_array_equal(model.coefs_[0], fitted.coefs_[0])


def test_train_on_a_folder_in_mnist_layout(capsys, mnist_model, mnist_folder):
    model, pipeline = load_model_file(mnist_model)
    assert model.n_features_in_ == 784
    assert pipeline[0].grey_max == 255
    assert pipeline.trained_on_ == str(mnist_folder)

    status, out, _ = cli(capsys, "train", "--data", mnist_folder, "--epochs", "2")
    assert status == 0
    assert [(j, n) for j, _, n in epochs(out)] == [(1, 20), (2, 20)]
    assert "784-30-10" in out


def test_a_relative_folder_is_saved_as_absolute(capsys, tmp_path, monkeypatch):
    write_mnist_folder(tmp_path / "data" / "fashion")
    monkeypatch.chdir(tmp_path / "data")
    args = ["--data", "fashion", "--epochs", "1", "--save", tmp_path / "net.joblib"]
    assert cli(capsys, "train", *args)[0] == 0

    monkeypatch.chdir(tmp_path)
    status, out, err = cli(capsys, "evaluate", "net.joblib")
    assert status == 0, err
    assert accuracy(out)[2] == 20


def test_early_stopping_trains_with_fit_and_no_warning(capsys, tmp_path):
    path = tmp_path / "net.joblib"
    args = ["--early-stopping", "--epochs", "3", "--hidden", "10", "--save", path]
    status, out, err = cli(capsys, "train", *args)
    assert status == 0
    assert err == ""  # no ConvergenceWarning at max_iter
    assert out.count("Validation score") == 3
    model, _ = load_model_file(path)
    assert model.early_stopping
    assert len(model.validation_scores_) == 3


def test_float32_training(capsys, tmp_path):
    path = tmp_path / "net.joblib"
    args = ["--dtype", "float32", "--epochs", "2", "--save", path]
    assert cli(capsys, "train", *args)[0] == 0
    model, _ = load_model_file(path)
    assert all(c.dtype == np.float32 for c in model.coefs_ + model.intercepts_)


def test_too_large_a_batch_is_said_once_in_one_line(capsys):
    status, out, err = cli(capsys, "train", "--epochs", "3", "--batch-size", "5000")
    assert status == 0
    assert len(epochs(out)) == 3
    # Three full-batch steps also leave the network near chance, said too.
    lines = err.splitlines()
    assert all(line.startswith("skdigitnet: warning: ") for line in lines)
    (batch_line,) = [line for line in lines if "--batch-size" in line]
    assert batch_line.startswith("skdigitnet: warning: --batch-size 5000")


def test_a_folder_of_only_t10k_files_is_split_and_says_so(capsys, tmp_path):
    folder = tmp_path / "t10k-only"
    write_mnist_folder(folder, n_test=50)
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
        (folder / name).unlink()
    path = tmp_path / "net.joblib"
    args = ["--data", folder, "--epochs", "1", "--hidden", "5", "--save", path]
    status, out, _ = cli(capsys, "train", *args)
    assert status == 0
    said = " ".join(out.split())
    assert f"Only the t10k files are in {folder}" in said
    assert "50 images are split 80/20" in said
    assert "into 40 training and 10 test images" in said

    status, out, _ = cli(capsys, "evaluate", path)
    assert status == 0
    assert "into 40 training and 10 test images" in " ".join(out.split())
    assert accuracy(out)[2] == 10

    status, out, _ = cli(capsys, "train", "--help")
    assert "only the two t10k files" in " ".join(out.split())


@pytest.mark.parametrize("download", [False, True], ids=["offline", "failed"])
def test_missing_mnist_says_the_cause_first_in_command_line_words(
    capsys, tmp_path, monkeypatch, download
):
    def offline(data_home):
        raise URLError(OSError(101, "Network is unreachable"))

    monkeypatch.setattr(_datasets, "_fetch_openml_mnist", offline)
    args = ["train", "--data", "mnist", "--data-home", tmp_path]
    status, out, err = cli(capsys, *args, *(["--download"] if download else []))
    cause = (
        r"downloading MNIST failed: <urlopen error .*Network is unreachable"
        if download
        else "files missing from"
    )
    assert_one_error_line(status, err, f"^skdigitnet: error: {cause}")
    assert "train-images-idx3-ubyte" in err
    # Only the command line's words: no Python parameter, nothing from pip.
    assert "download_if_missing" not in err
    assert "=True" not in err
    assert out == ""


# --- evaluate -------------------------------------------------------------


def test_evaluate_reports_accuracy_report_and_confusion_matrix(capsys, digits_model):
    model, _ = load_model_file(digits_model)
    _, X_test, _, y_test = load_train_test("digits")

    status, out, err = cli(capsys, "evaluate", digits_model)
    assert status == 0
    assert err == ""
    score, correct, n_test = accuracy(out)
    assert n_test == 360
    assert correct == int(np.sum(model.predict(X_test) == y_test))
    assert score == pytest.approx(correct / n_test, abs=1e-4)
    assert "precision" in out and "recall" in out and "macro avg" in out

    matrix_text = out.split("Confusion matrix")[1].splitlines()[2:]
    matrix = np.array([row.split()[1:] for row in matrix_text], dtype=int)
    assert matrix.shape == (10, 10)
    assert matrix.sum() == 360
    assert np.trace(matrix) == correct


def test_evaluate_defaults_to_the_training_data(capsys, mnist_model, mnist_folder):
    status, out, _ = cli(capsys, "evaluate", mnist_model)
    assert status == 0
    assert accuracy(out)[2] == 20

    status, out2, _ = cli(capsys, "evaluate", mnist_model, "--data", mnist_folder)
    assert status == 0
    assert accuracy(out2) == accuracy(out)


def old_form(pipeline, path, data):
    """Write ``pipeline`` as a model file of the older form, a dict."""
    joblib.dump(
        {"model": pipeline[-1], "scale": pipeline[0].grey_max, "data": data}, path
    )
    return path


def test_an_older_dict_file_evaluates_on_its_recorded_data(
    capsys, tmp_path, mnist_model, mnist_folder
):
    _, pipeline = load_model_file(mnist_model)
    old = old_form(pipeline, tmp_path / "old.joblib", str(mnist_folder))
    status, out, err = cli(capsys, "evaluate", old)
    assert status == 0
    (note,) = err.splitlines()
    assert note.startswith("skdigitnet: note: ") and "older form" in note
    status, new_out, _ = cli(capsys, "evaluate", mnist_model, "--data", mnist_folder)
    assert accuracy(out) == accuracy(new_out)


def test_an_older_dict_file_predicts_as_the_new_one(capsys, tmp_path, digits_model):
    _, pipeline = load_model_file(digits_model)
    old = old_form(pipeline, tmp_path / "old.joblib", "digits")
    images = npy(tmp_path, load_digits().images[:7])
    status, new_out, _ = cli(capsys, "predict", digits_model, images)
    assert status == 0
    status, old_out, err = cli(capsys, "predict", old, images)
    assert status == 0
    assert "older form" in err and len(err.splitlines()) == 1
    assert old_out == new_out


@pytest.mark.parametrize("scale", [float("inf"), float("nan"), 0, -16, "16", True])
def test_an_older_file_with_a_bad_scale_is_refused(
    capsys, tmp_path, digits_model, scale
):
    model, _ = load_model_file(digits_model)
    path = tmp_path / "bad.joblib"
    joblib.dump({"model": model, "scale": scale, "data": "digits"}, path)
    images = npy(tmp_path, load_digits().images[:2])
    status, _, err = cli(capsys, "predict", path, images)
    assert_one_error_line(status, err, "bad grey-level scale")


def test_a_saved_model_is_a_scikit_learn_estimator(digits_model):
    model, pipeline = load_model_file(digits_model)
    X, y = load_digits(return_X_y=True)
    # Raw grey levels in, as the command line reads them.
    assert_array_equal(pipeline.predict(X), model.predict(X / 16))
    assert pipeline.score(X, y) > 0.5
    scores = cross_val_score(
        clone(pipeline).set_params(sigmoidmlpclassifier__max_iter=2), X, y, cv=2
    )
    assert scores.shape == (2,) and np.all(scores > 0.2)


# --- predict --------------------------------------------------------------


def predictions(out):
    return {
        name: int(label)
        for name, label in re.findall(r"^(.+): (\d+)$", out, re.MULTILINE)
    }


def test_predict_digits_from_npy_and_idx(capsys, tmp_path, digits_model):
    model, _ = load_model_file(digits_model)
    digits = load_digits()
    expected = model.predict(digits.data[:5] / 16)

    one, stack, rows = (
        tmp_path / "one.npy",
        tmp_path / "stack.npy",
        tmp_path / "rows.npy",
    )
    np.save(one, digits.images[0])  # float grey levels 0-16
    np.save(stack, digits.images[:3].astype(np.uint8))
    np.save(rows, digits.data[3:5])
    idx = tmp_path / "digits-idx3-ubyte.gz"
    write_idx(idx, digits.images[:2].astype(np.uint8))

    status, out, err = cli(capsys, "predict", digits_model, one, stack, rows, idx)
    assert status == 0, err
    assert predictions(out) == {
        f"{one}[0]": expected[0],
        f"{stack}[0]": expected[0],
        f"{stack}[1]": expected[1],
        f"{stack}[2]": expected[2],
        f"{rows}[0]": expected[3],
        f"{rows}[1]": expected[4],
        f"{idx}[0]": expected[0],
        f"{idx}[1]": expected[1],
    }
    assert len(out.splitlines()) == 8


def test_predict_28x28_images_scaled_by_255(capsys, tmp_path, mnist_model):
    model, _ = load_model_file(mnist_model)
    images = np.random.default_rng(1).integers(256, size=(4, 28, 28), dtype=np.uint8)
    expected = model.predict(images.reshape(4, -1) / 255)

    single, raw_idx = tmp_path / "single.npy", tmp_path / "images-idx3-ubyte"
    np.save(single, images[0])
    write_idx(raw_idx, images)

    status, out, _ = cli(capsys, "predict", mnist_model, single, raw_idx)
    assert status == 0
    assert predictions(out) == {
        f"{single}[0]": expected[0],
        **{f"{raw_idx}[{i}]": expected[i] for i in range(4)},
    }


def test_predict_warns_of_images_in_unit_range_and_rescales(
    capsys, tmp_path, digits_model
):
    model, _ = load_model_file(digits_model)
    digits = load_digits()
    expected = list(model.predict(digits.data[:5] / 16))
    unit = npy(tmp_path, digits.images[:5] / 16, "unit.npy")

    status, out, err = cli(capsys, "predict", digits_model, unit)
    assert status == 0
    (line,) = err.splitlines()
    assert line.startswith("skdigitnet: warning: the grey levels of ")
    assert "[0, 1]" in line and "0 to 16" in line and "--grey-max 1" in line
    assert len(predictions(out)) == 5

    status, out, err = cli(capsys, "predict", digits_model, unit, "--grey-max", "1")
    assert status == 0
    assert err == ""
    assert list(predictions(out).values()) == expected

    # 8x8 images in 0-255, as an image editor writes them.
    bytes_ = npy(tmp_path, digits.images[:5] * 255 / 16, "bytes.npy")
    status, out, err = cli(capsys, "predict", digits_model, bytes_, "--grey-max", 255)
    assert status == 0
    assert err == ""
    assert list(predictions(out).values()) == expected


def test_a_bare_estimator_is_accepted_as_a_model(capsys, tmp_path):
    X, y = load_digits(return_X_y=True)
    clf = SigmoidMLPClassifier(max_iter=2, random_state=0).fit(X / 16, y)
    joblib.dump(clf, tmp_path / "bare.joblib")
    np.save(tmp_path / "x.npy", X[:3])

    status, out, _ = cli(
        capsys, "predict", tmp_path / "bare.joblib", tmp_path / "x.npy"
    )
    assert status == 0
    assert list(predictions(out).values()) == list(clf.predict(X[:3] / 16))


# --- user errors: one line on stderr, exit status 2 ------------------------


def write_bytes(path, data):
    path.write_bytes(data)
    return path


def truncated(path, tmp_path):
    return write_bytes(tmp_path / "truncated.joblib", path.read_bytes()[:1000])


def not_a_model(tmp_path):
    joblib.dump([1, 2, 3], tmp_path / "list.joblib")
    return tmp_path / "list.joblib"


def unfitted(tmp_path):
    joblib.dump({"model": SigmoidMLPClassifier(), "scale": 16}, tmp_path / "u.joblib")
    return tmp_path / "u.joblib"


def npy(tmp_path, array, name="image.npy"):
    np.save(tmp_path / name, array)
    return tmp_path / name


def corrupt_data_folder(tmp_path):
    folder = tmp_path / "corrupt"
    write_mnist_folder(folder)
    images = folder / "train-images-idx3-ubyte.gz"
    images.write_bytes(images.read_bytes()[:-30])
    return folder


USER_ERRORS = {
    "missing data folder": (
        lambda t, d, m: ["train", "--data", t / "nowhere"],
        "no such folder",
    ),
    "missing MNIST": (
        lambda t, d, m: ["train", "--data", "mnist", "--data-home", t],
        "^skdigitnet: error: files missing from .*add --download",
    ),
    "corrupt data file": (
        lambda t, d, m: ["train", "--data", corrupt_data_folder(t)],
        "train-images-idx3-ubyte.gz",
    ),
    "missing model": (
        lambda t, d, m: ["evaluate", t / "missing.joblib"],
        "No such file",
    ),
    "model is a folder": (lambda t, d, m: ["evaluate", t], "cannot read model"),
    "truncated model": (
        lambda t, d, m: ["evaluate", truncated(d, t)],
        "not a readable model file",
    ),
    "empty model": (
        lambda t, d, m: ["predict", write_bytes(t / "e.joblib", b""), d],
        r"e\.joblib': the file is empty\.$",
    ),
    "random bytes as model": (
        lambda t, d, m: ["evaluate", write_bytes(t / "r", bytes(range(256)) * 4)],
        "not a readable model file",
    ),
    "text as model": (
        lambda t, d, m: ["evaluate", write_bytes(t / "t.txt", b"hello\n")],
        "not a readable model file",
    ),
    "npy as model": (
        lambda t, d, m: ["evaluate", npy(t, np.zeros(3))],
        "not a readable model file",
    ),
    "not a model": (lambda t, d, m: ["evaluate", not_a_model(t)], "holds a list"),
    "unfitted model": (lambda t, d, m: ["evaluate", unfitted(t)], "never trained"),
    "model of other features": (
        lambda t, d, m: ["evaluate", d, "--data", m],
        "takes 64 pixels",
    ),
    "image of the wrong size": (
        lambda t, d, m: ["predict", d, npy(t, np.zeros((28, 28), np.uint8))],
        r"shape \(28, 28\).*\(8, 8\)",
    ),
    "grey levels beyond the scale": (
        lambda t, d, m: ["predict", d, npy(t, np.full((8, 8), 255, np.uint8))],
        r"outside \[0, 16\].*--grey-max",
    ),
    "grey-max 0": (
        lambda t, d, m: ["predict", d, npy(t, np.zeros((8, 8))), "--grey-max", "0"],
        "argument --grey-max: must be above 0",
    ),
    "missing image": (
        lambda t, d, m: ["predict", d, t / "missing.npy"],
        "No such file",
    ),
    "truncated npy": (
        lambda t, d, m: [
            "predict",
            d,
            write_bytes(t / "cut.npy", npy(t, np.zeros((8, 8))).read_bytes()[:100]),
        ],
        r"cut\.npy.*\.npy array",
    ),
    "not an IDX file": (
        lambda t, d, m: ["predict", d, write_bytes(t / "img.png", b"\x89PNG....")],
        "as an IDX file: .*magic number",
    ),
    # Refused before training: no "Epoch" line is printed.
    "save into a missing folder": (
        lambda t, d, m: ["train", "--save", t / "no" / "net.joblib"],
        "cannot save .*: no folder",
    ),
    "save to a folder": (
        lambda t, d, m: ["train", "--save", t],
        "cannot save .*: it is a folder",
    ),
    # Values are judged by the options' types, as argparse reports them.
    "epochs 0": (
        lambda t, d, m: ["train", "--epochs", "0"],
        r"argument --epochs: must be an int in the range \[1, inf\); got 0",
    ),
    "negative eta": (
        lambda t, d, m: ["train", "--eta", "-1"],
        r"argument --eta: must be a float in the range \(0.0, inf\); got -1",
    ),
    "batch size 0": (
        lambda t, d, m: ["train", "--batch-size", "0"],
        r"argument --batch-size: must be .*an int in the range \[1, inf\)",
    ),
    "seed below 0": (
        lambda t, d, m: ["train", "--seed", "-1"],
        r"argument --seed: must be an int in the range \[0, 4294967295\]",
    ),
    "n-iter-no-change 0": (
        lambda t, d, m: ["train", "--tol", "0.1", "--n-iter-no-change", "0"],
        r"argument --n-iter-no-change: must be an int",
    ),
    "validation fraction 1": (
        lambda t, d, m: ["train", "--early-stopping", "--validation-fraction", "1"],
        r"argument --validation-fraction: must be a float in the range \(0.0, 1.0\)",
    ),
    "hidden layer of 0": (
        lambda t, d, m: ["train", "--hidden", "0"],
        r"argument --hidden: must be an int in the range \[1, inf\); got 0",
    ),
    # What only the estimator judges: its words, and the option named.
    "validation set too small": (
        lambda t, d, m: ["train", "--early-stopping", "--validation-fraction", "1e-3"],
        r"error: The validation set is too small: .*"
        r"\(--validation-fraction sets validation_fraction\)$",
    ),
    "eta nan": (lambda t, d, m: ["train", "--eta", "nan"], "expected a number"),
    "hidden not a number": (lambda t, d, m: ["train", "--hidden", "x"], "--hidden"),
    "momentum above 1": (
        lambda t, d, m: ["train", "--momentum", "2"],
        r"argument --momentum: must be a float in the range \[0.0, 1.0\]; got 2.0",
    ),
    "unknown loss": (lambda t, d, m: ["train", "--loss", "hinge"], "invalid choice"),
    "unknown option": (lambda t, d, m: ["train", "--frobnicate"], "unrecognized"),
    "unknown command": (lambda t, d, m: ["fit"], "invalid choice"),
    "evaluate without model": (lambda t, d, m: ["evaluate"], "MODEL"),
    "predict without file": (lambda t, d, m: ["predict", d], "FILE"),
}


@pytest.mark.parametrize("case", USER_ERRORS)
def test_user_errors_are_one_line_and_status_2(
    case, capsys, tmp_path, digits_model, mnist_folder
):
    make_args, match = USER_ERRORS[case]
    args = make_args(tmp_path, digits_model, mnist_folder)
    capsys.readouterr()
    status, out, err = cli(capsys, *args)
    assert_one_error_line(status, err, match)
    # A bad option or file is refused before any training; with
    # --early-stopping only the header precedes fit, which checks the options.
    assert "Epoch" not in out and "Validation" not in out
    if "--early-stopping" not in args:
        assert out == ""


@pytest.mark.parametrize("early_stopping", [False, True], ids=["epochs", "early"])
def test_class_weight_balanced_trains_as_fit_does(capsys, tmp_path, early_stopping):
    path = tmp_path / "net.joblib"
    extra = ["--early-stopping"] if early_stopping else []
    args = ["--hidden", "9", "--epochs", "3", "--class-weight", "balanced", *extra]
    status, out, err = cli(capsys, "train", *args, "--save", path)
    assert status == 0, err
    assert "dict" not in out + err

    model, _ = load_model_file(path)
    X_train, _, y_train, _ = load_train_test("digits")
    params = {"hidden_layer_sizes": (9,), "max_iter": 3, "random_state": 0}
    if early_stopping:
        params.update(early_stopping=True, verbose=True)
    fitted = SigmoidMLPClassifier(class_weight="balanced", **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted.fit(X_train, y_train)
    capsys.readouterr()
    assert model.get_params() == fitted.get_params()
    assert model.loss_curve_ == fitted.loss_curve_
    for a, b in zip(
        model.coefs_ + model.intercepts_, fitted.coefs_ + fitted.intercepts_
    ):
        assert_array_equal(a, b)


# --- crafted model and image files ---------------------------------------


def npy_with_shape(path, shape):
    """Write a .npy file whose version 1.0 header claims ``shape`` of float64."""
    header = f"{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}"
    header = header.ljust(117).encode("latin1") + b"\n"
    data = b"\0" * 64 * 8
    path.write_bytes(
        b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + data
    )
    return path


def test_a_npy_header_of_negative_size_is_refused(capsys, tmp_path, digits_model):
    path = npy_with_shape(tmp_path / "negative.npy", (-5, 64))
    status, out, err = cli(capsys, "predict", digits_model, path)
    assert_one_error_line(status, err, r"negative\.npy.*shape \(-5, 64\).*negative")
    assert out == ""


def crafted(pipeline, tmp_path, name, change):
    """Save a copy of ``pipeline`` after ``change(copy)``, as a crafted file."""
    copy = deepcopy(pipeline)
    change(copy)
    joblib.dump(copy, tmp_path / name)
    return tmp_path / name


def set_steps(value):
    return lambda pipeline: setattr(pipeline, "steps", value)


def set_grey_max(value):
    return lambda pipeline: setattr(pipeline[0], "grey_max", value)


CRAFTED_PIPELINES = {
    "steps not a list": (set_steps("xx"), "holds a Pipeline, not a model"),
    "steps not pairs": (set_steps([1, 2]), "holds a Pipeline, not a model"),
    "steps None": (set_steps(None), "holds a Pipeline, not a model"),
    "negative grey_max": (set_grey_max(-1.0), "bad grey-level scale -1.0"),
    "grey_max nan": (set_grey_max(float("nan")), "bad grey-level scale nan"),
    "grey_max a string": (set_grey_max("16"), "bad grey-level scale '16'"),
}


@pytest.mark.parametrize("case", CRAFTED_PIPELINES)
@pytest.mark.parametrize("command", ["evaluate", "predict", "export"])
def test_a_crafted_pipeline_is_refused_in_one_line(
    case, command, capsys, tmp_path, digits_model
):
    change, match = CRAFTED_PIPELINES[case]
    path = crafted(joblib.load(digits_model), tmp_path, "crafted.joblib", change)
    image = tmp_path / "image.npy"
    np.save(image, np.zeros((8, 8)))
    extra = {"evaluate": [], "predict": [image], "export": [tmp_path / "m.onnx"]}
    status, out, err = cli(capsys, command, path, *extra[command])
    assert_one_error_line(status, err, match)
    assert out == ""
