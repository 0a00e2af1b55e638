"""Crafted inputs and model files that the command line refuses in one line."""

import re
import struct
from copy import deepcopy

import joblib
import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.pipeline import make_pipeline

from skdigitnet import GreyLevelScaler, SigmoidMLPClassifier
from skdigitnet._cli import main

# test_cli's two helpers, copied so that this file needs no shared fixture.


def cli(capsys, *args):
    """Run ``main(ARGS)`` in this process; return (status, stdout, stderr)."""
    status = main([str(arg) for arg in args])
    out, err = capsys.readouterr()
    return status, out, err


def assert_one_error_line(status, err, match):
    """Check a user error: status 2, and one line on stderr that ``match`` finds."""
    assert status == 2
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("skdigitnet: error: ")
    assert re.search(match, lines[0]), lines[0]


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    """A pipeline as ``train --save`` writes it, trained for one epoch."""
    X, y = load_digits(return_X_y=True)
    clf = SigmoidMLPClassifier(max_iter=1, random_state=0).fit(X / 16, y)
    pipeline = make_pipeline(GreyLevelScaler(grey_max=16.0).fit(X[:1]), clf)
    path = tmp_path_factory.mktemp("model") / "digits.joblib"
    joblib.dump(pipeline, path)
    return path, pipeline


def npy_with_shape(path, shape):
    """Write a .npy file whose version 1.0 header claims ``shape`` of float64."""
    header = f"{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}"
    header = header.ljust(117).encode("latin1") + b"\n"
    data = b"\0" * 64 * 8
    path.write_bytes(
        b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + data
    )
    return path


def test_a_npy_header_of_negative_size_is_refused(capsys, tmp_path, saved_model):
    path = npy_with_shape(tmp_path / "negative.npy", (-5, 64))
    status, out, err = cli(capsys, "predict", saved_model[0], path)
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
    case, command, capsys, tmp_path, saved_model
):
    change, match = CRAFTED_PIPELINES[case]
    path = crafted(saved_model[1], tmp_path, "crafted.joblib", change)
    image = tmp_path / "image.npy"
    np.save(image, np.zeros((8, 8)))
    extra = {"evaluate": [], "predict": [image], "export": [tmp_path / "m.onnx"]}
    status, out, err = cli(capsys, command, path, *extra[command])
    assert_one_error_line(status, err, match)
    assert out == ""


# What a user must learn from help(): each parameter's constraint, the errors
# and warnings it leads to, and what its values mean.
PARAMETER_DOCS = {
    "loss": ["Multilabel", '"log_loss"', "cross-entropy"],
    "learning_rate": ['"invscaling"', "power_t", '"adaptive"', "5", "1e-6"],
    "tol": ["n_iter_no_change", "None", "max_iter", "1e-4"],
    "warm_start": ["hidden_layer_sizes", "loss", "precision", "ValueError"],
    "batch_size": ["warning", '"auto"', "min(200, n_samples)"],
    "early_stopping": ["validation_fraction", "X_val", "stratified"],
    "n_iter_no_change": ["np.inf", "early_stopping"],
    "class_weight": ["non-negative", "np.bincount(y)", "partial_fit", "Multilabel"],
    "monitor": ["X_val", "held-out"],
}


@pytest.mark.parametrize("name", PARAMETER_DOCS)
def test_parameter_docs_say_what_help_must_say(name):
    from numpydoc.docscrape import ClassDoc

    (param,) = [
        p for p in ClassDoc(SigmoidMLPClassifier)["Parameters"] if p.name == name
    ]
    text = " ".join(" ".join(param.desc).split())
    for words in PARAMETER_DOCS[name]:
        assert words in text, f"{name}: {words!r} not in {text!r}"


def test_fit_and_predict_proba_docs_say_their_warning_and_outputs():
    from numpydoc.docscrape import FunctionDoc

    fit = FunctionDoc(SigmoidMLPClassifier.fit)
    (x_val,) = [p for p in fit["Parameters"] if p.name == "X_val"]
    assert 'transform_input=["X_val"]' in " ".join(x_val.desc)
    assert "UserWarning" in " ".join(x_val.desc)
    proba = " ".join(SigmoidMLPClassifier.predict_proba.__doc__.split())
    assert "Softmax outputs" in proba and "multilabel" in proba


def test_class_notes_say_what_ctrl_c_does():
    from numpydoc.docscrape import ClassDoc

    notes = " ".join(" ".join(ClassDoc(SigmoidMLPClassifier)["Notes"]).split())
    assert "Ctrl-C" in notes and "warning" in notes and "re-raises" in notes
