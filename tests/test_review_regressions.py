"""Crafted inputs and model files that the command line refuses in one line."""

import struct

import joblib
import pytest
from conftest import assert_one_error_line, cli
from sklearn.datasets import load_digits
from sklearn.pipeline import make_pipeline

from skdigitnet import GreyLevelScaler, SigmoidMLPClassifier


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
