"""ONNX export: onnxruntime's outputs against predict and predict_proba."""

import re
import subprocess
import sys

import joblib
import numpy as np
import pytest
from conftest import assert_one_error_line, cli, digits_arrays, every_pair_fast
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from skdigitnet import (
    GreyLevelScaler,
    SigmoidMLPClassifier,
    register_onnx_converter,
    to_onnx,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

EXTRA = 'the onnx extra (pip install "skdigitnet[onnx]")'

# Probabilities agree to these absolute differences: float32 and float64.
ATOL = {np.float32: 1e-5, np.float64: 1e-9}


@pytest.fixture(scope="module")
def ort():
    pytest.importorskip("skl2onnx", reason=f"skl2onnx is part of {EXTRA}")
    pytest.importorskip("onnx", reason=f"onnx is part of {EXTRA}")
    return pytest.importorskip("onnxruntime", reason=f"onnxruntime is part of {EXTRA}")


def session(ort, onx):
    return ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )


def run(sess, X):
    (name,) = (i.name for i in sess.get_inputs())
    return sess.run(["label", "probabilities"], {name: X})


def digits_targets(kind):
    """600 digits (grey levels 0-16) and a target of the given kind."""
    X, y = digits_arrays()
    X, y = X[:600], y[:600]
    if kind == "multiclass":
        return X, y
    if kind == "binary":
        # Labels other than 0 and 1, so that classes_ is used.
        return X, np.where(y % 2 == 0, 2, 7)
    # multilabel: odd, above 4, a closed loop
    return X, np.column_stack([y % 2, y > 4, np.isin(y, [0, 6, 8, 9])]).astype(int)


def assert_same_as_model(sess, model, X, dtype):
    label, proba = run(sess, X)
    predicted = model.predict(X)
    assert_array_equal(label, predicted)
    # onnxruntime gives strings as objects; other labels keep their dtype.
    assert label.dtype == (object if predicted.dtype.kind == "U" else predicted.dtype)
    expected = model.predict_proba(X)
    assert proba.dtype == expected.dtype == dtype
    assert_allclose(proba, expected, rtol=0, atol=ATOL[dtype])


# The fast suite runs 11 of the 72 cases, in which every two settings meet
# in each of their values; the full suite runs all.
@pytest.mark.parametrize(
    "in_pipeline, kind, loss, hidden, dtype",
    every_pair_fast(
        in_pipeline={False: False, True: True},
        kind={kind: kind for kind in ("multiclass", "binary", "multilabel")},
        loss={loss: loss for loss in ("squared_error", "cross_entropy", "log_loss")},
        hidden={"hidden0": (7,), "hidden1": (9, 6)},
        dtype={"float32": np.float32, "float64": np.float64},
    ),
)
def test_onnxruntime_matches_predict(ort, in_pipeline, kind, loss, hidden, dtype):
    X, y = digits_targets(kind)
    X = X.astype(dtype)
    clf = SigmoidMLPClassifier(
        hidden_layer_sizes=hidden, loss=loss, max_iter=10, random_state=0
    )
    if in_pipeline:
        model = make_pipeline(MinMaxScaler(), clf).fit(X, y)
    else:
        X = X / dtype(16)
        model = clf.fit(X, y)
    assert clf.coefs_[0].dtype == dtype

    sess = session(ort, to_onnx(model, X[:1]))
    assert_same_as_model(sess, model, X, dtype)
    # The test must see more than one predicted class to mean anything.
    assert len(np.unique(model.predict(X), axis=0)) > 1


@pytest.mark.parametrize("kind", ["multiclass", "multilabel"])
def test_export_reads_the_target_type_not_predict(ort, kind, monkeypatch):
    # Labels 0 to n-1 and a multilabel matrix give the same classes_; the
    # export tells them apart by target_type_, without predicting.
    X, y = digits_targets(kind)
    X = X / 16
    clf = SigmoidMLPClassifier(hidden_layer_sizes=(7,), max_iter=5, random_state=0)
    clf.fit(X, y)
    expected = clf.predict(X), clf.predict_proba(X)
    assert clf.target_type_ == {"multiclass": "multiclass"}.get(
        kind, "multilabel-indicator"
    )

    def no_predict(*args, **kwargs):
        raise AssertionError("the export predicted")

    monkeypatch.setattr(SigmoidMLPClassifier, "predict", no_predict)
    label, proba = run(session(ort, to_onnx(clf, X[:1])), X)
    assert_array_equal(label, expected[0])
    assert_allclose(proba, expected[1], rtol=0, atol=ATOL[np.float64])


def test_model_pickled_without_target_type_gets_it_back():
    # Pickles from before target_type_ existed: their binarizer knows it.
    X, y = digits_targets("multilabel")
    clf = SigmoidMLPClassifier(max_iter=1, random_state=0).fit(X / 16, y)
    state = clf.__getstate__()
    del state["target_type_"]
    old = SigmoidMLPClassifier.__new__(SigmoidMLPClassifier)
    old.__setstate__(state)
    assert old.target_type_ == "multilabel-indicator"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_model_loaded_from_file(ort, tmp_path, dtype):
    import onnx

    X, y = digits_targets("multiclass")
    X = (X / 16).astype(dtype)
    model = make_pipeline(
        MinMaxScaler(), SigmoidMLPClassifier(max_iter=5, random_state=0)
    ).fit(X, y)
    path = tmp_path / "model.onnx"
    onnx.save(to_onnx(model, X[:1]), path)

    onx = onnx.load(path)
    onnx.checker.check_model(onx)
    assert_same_as_model(session(ort, onx), model, X, dtype)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert_same_as_model(sess, model, X, dtype)


def test_skl2onnx_to_onnx_after_registering(ort):
    import skl2onnx

    X, y = digits_targets("multiclass")
    model = make_pipeline(
        MinMaxScaler(), SigmoidMLPClassifier(max_iter=5, random_state=0)
    ).fit(X, y)
    register_onnx_converter()
    register_onnx_converter()  # a second call changes nothing
    onx = skl2onnx.to_onnx(model, X[:1], options={"zipmap": False})
    assert_same_as_model(session(ort, onx), model, X, np.float64)


def test_input_of_another_dtype_is_cast_to_the_weights(ort):
    # Trained in float32, given float64 rows: predict casts them, so does ONNX.
    X, y = digits_targets("multiclass")
    X = X / 16
    model = SigmoidMLPClassifier(max_iter=5, random_state=0)
    model.fit(X.astype(np.float32), y)
    sess = session(ort, to_onnx(model, X[:1]))
    assert sess.get_inputs()[0].type == "tensor(double)"
    assert_same_as_model(sess, model, X, np.float32)


@pytest.mark.parametrize(
    "names",
    [
        np.array(["zero", "one", "two"]),
        np.array([-1.0, 2.0, 5.0]),
        np.array([True, False, True]),
    ],
)
def test_string_float_and_boolean_labels(ort, names):
    X, y = digits_targets("multiclass")
    X, y = X / 16, names[y % 3]
    model = SigmoidMLPClassifier(max_iter=5, random_state=0).fit(X, y)
    sess = session(ort, to_onnx(model, X[:1]))
    assert_same_as_model(sess, model, X, np.float64)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_all_outputs_zero_give_uniform_probabilities(ort, dtype):
    X, y = digits_targets("multiclass")
    X = (X / 16).astype(dtype)
    model = SigmoidMLPClassifier(max_iter=5, random_state=0).fit(X, y)
    # Outputs of sigmoid(-1e4), which underflow to 0 in both dtypes.
    model.intercepts_[-1][:] = -1e4
    proba = model.predict_proba(X)
    assert_allclose(proba, 0.1)
    assert_same_as_model(session(ort, to_onnx(model, X[:1])), model, X, dtype)


def test_small_float32_outputs_keep_their_relative_precision(ort):
    # Normalising sigmoid outputs of order 1e-6 divides by their small sum:
    # their absolute errors must be small relative to them, not to 1.
    X, y = digits_targets("multiclass")
    X = (X / 16).astype(np.float32)
    model = SigmoidMLPClassifier(max_iter=5, random_state=0).fit(X, y)
    model.intercepts_[-1] -= 14
    assert model.predict_proba(X).dtype == np.float32
    assert_same_as_model(session(ort, to_onnx(model, X[:1])), model, X, np.float32)


def test_old_opset_is_refused(ort):
    X, y = digits_targets("binary")
    model = SigmoidMLPClassifier(max_iter=2, random_state=0).fit(X / 16, y)
    with pytest.raises(RuntimeError, match="needs opset 13 or later"):
        to_onnx(model, X[:1], target_opset=12)


def test_unsupported_class_labels(ort):
    X, y = digits_targets("binary")
    model = SigmoidMLPClassifier(max_iter=2, random_state=0).fit(X / 16, y)
    model.classes_ = np.array([2, "seven"], dtype=object)
    with pytest.raises(TypeError, match="class labels that are all integers"):
        to_onnx(model, X[:1])


def test_missing_extra_names_the_install_command(monkeypatch):
    # A None entry in sys.modules makes the import fail, installed or not.
    monkeypatch.setitem(sys.modules, "skl2onnx", None)
    X, y = digits_targets("binary")
    model = SigmoidMLPClassifier(max_iter=2, random_state=0).fit(X / 16, y)
    with pytest.raises(ImportError, match=r'pip install "skdigitnet\[onnx\]"'):
        to_onnx(model, X[:1])
    with pytest.raises(ImportError, match=r'pip install "skdigitnet\[onnx\]"'):
        register_onnx_converter()


@pytest.mark.slow
def test_package_imports_without_the_optional_extras():
    blocked = ["skl2onnx", "onnx", "onnxruntime", "dask", "dask_ml", "distributed"]
    code = (
        "import sys\n"
        f"for name in {blocked!r}: sys.modules[name] = None\n"
        "import skdigitnet, skdigitnet.datasets\n"
        "print(skdigitnet.__version__)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == __import__("skdigitnet").__version__


# --- skdigitnet export -------------------------------------------------------


def test_cli_export(ort, capsys, tmp_path, model_file):
    output = tmp_path / "net.onnx"
    status, out, err = cli(capsys, "export", model_file, output)
    assert status == 0, err
    assert "input 'X', float32 rows of 64 grey levels from 0 to 16" in out
    # The file is the pipeline train wrote: raw grey levels in.
    model = joblib.load(model_file)
    X = digits_arrays()[0].astype(np.float32)
    sess = ort.InferenceSession(str(output), providers=["CPUExecutionProvider"])
    assert_same_as_model(sess, model, X, np.float32)
    assert_array_equal(run(sess, X)[0], model[-1].predict(X / 16))


def test_cli_export_without_the_extra(capsys, monkeypatch, tmp_path, model_file):
    monkeypatch.setitem(sys.modules, "skl2onnx", None)
    status, _, err = cli(capsys, "export", model_file, tmp_path / "net.onnx")
    assert_one_error_line(status, err, re.escape('pip install "skdigitnet[onnx]"'))
    assert not (tmp_path / "net.onnx").exists()


def test_cli_export_bad_files(ort, capsys, tmp_path, model_file):
    not_a_model = tmp_path / "notes.txt"
    not_a_model.write_text("hello")
    status, _, err = cli(capsys, "export", not_a_model, tmp_path / "a.onnx")
    assert_one_error_line(status, err, "is not a readable model file")
    output = tmp_path / "missing-folder" / "a.onnx"
    status, _, err = cli(capsys, "export", model_file, output)
    assert_one_error_line(status, err, "cannot write ONNX file")


# --- what cannot be converted faithfully is refused -------------------------


def test_an_unfitted_model_is_refused(ort):
    X = np.zeros((1, 4))
    with pytest.raises(NotFittedError):
        to_onnx(SigmoidMLPClassifier(), X)
    with pytest.raises(NotFittedError):
        to_onnx(make_pipeline(GreyLevelScaler(), SigmoidMLPClassifier()), X)


@pytest.mark.parametrize("in_pipeline", [False, True])
@pytest.mark.parametrize("width", [3, 5])
def test_a_sample_of_another_width_is_refused_naming_both(ort, in_pipeline, width):
    rng = np.random.default_rng(0)
    X, y = rng.random((20, 4)), [0, 1] * 10
    model = SigmoidMLPClassifier(max_iter=2, random_state=0)
    if in_pipeline:
        model = make_pipeline(GreyLevelScaler(grey_max=1), model)
    model.fit(X, y)
    with pytest.raises(ValueError, match=f"X_sample has {width} features.*4 features"):
        to_onnx(model, rng.random((1, width)))
    with pytest.raises(ValueError, match="2-d array"):
        to_onnx(model, rng.random(4))


@pytest.mark.parametrize("input_dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_grey_level_scaler_converts_as_it_transforms(ort, dtype, input_dtype):
    X, y = digits_arrays()
    model = make_pipeline(
        GreyLevelScaler(grey_max=16), SigmoidMLPClassifier(max_iter=2, random_state=0)
    ).fit(X.astype(dtype), y)
    sess = session(ort, to_onnx(model, X[:1].astype(input_dtype)))
    assert_same_as_model(sess, model, X.astype(input_dtype), dtype)
