"""Saving and loading fitted models: version stamps, pickle and skops."""

import errno
import io
import os
import pickle
import stat
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import skdigitnet
import skdigitnet._persistence
from skdigitnet import (
    SKOPS_TRUSTED_TYPES,
    InconsistentVersionWarning,
    SigmoidMLPClassifier,
)

DIGITS_ROWS = 300  # the digits fixture's size (conftest.py)


def fitted(X, y, **params):
    params = {"max_iter": 2, "random_state": 0, **params}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning after 2 epochs
        return SigmoidMLPClassifier(**params).fit(X, y)


def saved_by(version, save, monkeypatch):
    """Run ``save()`` as if skdigitnet ``version`` were installed."""
    with monkeypatch.context() as m:
        m.setattr(skdigitnet, "__version__", version)
        return save()


def test_pickle_stores_the_version_outside_the_model(digits):
    clf = fitted(*digits)
    assert clf.__getstate__()["_skdigitnet_version"] == skdigitnet.__version__
    data = pickle.dumps(clf)
    assert "_skdigitnet_version" not in clf.__dict__

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the same version loads silently
        loaded = pickle.loads(data)
    assert "_skdigitnet_version" not in loaded.__dict__
    assert_array_equal(loaded.predict_proba(digits[0]), clf.predict_proba(digits[0]))


def test_unpickling_another_version_warns_naming_both(digits, monkeypatch):
    clf = fitted(*digits)
    data = saved_by("0.0.1", lambda: pickle.dumps(clf), monkeypatch)

    msg = (
        rf"from skdigitnet version 0\.0\.1 when using version {skdigitnet.__version__}"
    )
    with pytest.warns(InconsistentVersionWarning, match=msg) as record:
        loaded = pickle.loads(data)
    warning = record[0].message
    assert isinstance(warning, UserWarning)
    assert warning.estimator_name == "SigmoidMLPClassifier"
    assert warning.original_version == "0.0.1"
    assert warning.current_version == skdigitnet.__version__
    assert_array_equal(loaded.predict(digits[0]), clf.predict(digits[0]))


def test_a_state_without_stamp_warns_as_unknown(digits):
    clf = fitted(*digits)
    state = clf.__getstate__()
    del state["_skdigitnet_version"]
    with pytest.warns(InconsistentVersionWarning, match="version unknown"):
        SigmoidMLPClassifier().__setstate__(state)


# Fitted states that hold different things: velocities, early-stopping copies
# of the weights, a multilabel binarizer, float32 arrays, feature names.
SKOPS_CASES = {
    "defaults": {},
    "momentum": {"momentum": 0.9, "nesterovs_momentum": True},
    "early_stopping": {"early_stopping": True, "validation_fraction": 0.2},
    "class_weight": {"class_weight": {0: 2.0}, "loss": "log_loss"},
    "multilabel": {"loss": "cross_entropy"},
    "float32": {"hidden_layer_sizes": (8, 6)},
    "dataframe": {"warm_start": True},
}


@pytest.mark.parametrize("case", SKOPS_CASES)
def test_skops_round_trip_trusts_only_listed_types(digits, tmp_path, case):
    sio = pytest.importorskip("skops.io")
    X, y = digits
    if case == "multilabel":
        y = np.column_stack([y % 2, y < 5, y == 7]).astype(int)
    if case == "float32":
        X = X.astype(np.float32)
    if case == "dataframe":
        pd = pytest.importorskip("pandas")
        X = pd.DataFrame(X, columns=[f"pixel{i}" for i in range(X.shape[1])])
    clf = fitted(X, y, **SKOPS_CASES[case])
    path = tmp_path / "model.skops"
    sio.dump(clf, path)

    untrusted = sio.get_untrusted_types(file=path)
    assert untrusted == [
        "skdigitnet._classifier.SigmoidMLPClassifier",
        "skdigitnet._optimizer.SGDOptimizer",
    ]
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException):
        sio.load(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = sio.load(path, trusted=SKOPS_TRUSTED_TYPES)

    assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    for a, b in zip(loaded.coefs_ + loaded.intercepts_, clf.coefs_ + clf.intercepts_):
        assert a.dtype == b.dtype
        assert_array_equal(a, b)
    assert loaded.get_params() == clf.get_params()


def test_skops_loading_another_version_warns(digits, monkeypatch):
    sio = pytest.importorskip("skops.io")
    clf = fitted(*digits)
    data = saved_by("0.0.1", lambda: sio.dumps(clf), monkeypatch)
    with pytest.warns(InconsistentVersionWarning, match=r"version 0\.0\.1"):
        sio.loads(data, trusted=SKOPS_TRUSTED_TYPES)


def test_skops_loaded_model_keeps_training(digits):
    # partial_fit after loading continues from the saved weights, velocities
    # and random state, exactly as the model that was saved.
    sio = pytest.importorskip("skops.io")
    X, y = digits
    clf = fitted(X, y, momentum=0.5)
    loaded = sio.loads(sio.dumps(clf), trusted=SKOPS_TRUSTED_TYPES)
    clf.partial_fit(X, y)
    loaded.partial_fit(X, y)
    for a, b in zip(loaded.coefs_, clf.coefs_):
        assert_array_equal(a, b)


# --- every file written whole or not at all ---------------------------------


class _FullDisk(io.FileIO):
    """A new file on a disk that fills up after ``room`` bytes."""

    room = 300

    def write(self, b):
        size = memoryview(b).nbytes
        written = getattr(self, "written", 0)
        if written + size > self.room:
            super().write(memoryview(b).cast("B")[: self.room - written])
            self.written = self.room
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.written = written + size
        return super().write(b)


def _no_space(*args):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _interrupt(*args):
    raise KeyboardInterrupt


# Each failure, at one step of a write: mid-file, when flushing to disk,
# just before the rename.
FAILURES = {
    "no space mid-write": ("_open_new", lambda path: _FullDisk(path, "xb")),
    "no space at fsync": ("os.fsync", _no_space),
    "interrupt before rename": ("os.replace", _interrupt),
}


def _writers(model_file):
    from skdigitnet._cli import main
    from skdigitnet.datasets import write_idx

    images = np.arange(4000, dtype=np.uint8).reshape(10, 20, 20)

    def train(path):
        return main(["train", "--epochs", "1", "--hidden", "5", "--save", str(path)])

    def export(path):
        pytest.importorskip("skl2onnx")
        return main(["export", str(model_file), str(path)])

    return {
        "train --save": train,
        "export": export,
        "write_idx": lambda path: write_idx(path, images),
        "write_idx .gz": lambda path: write_idx(path.with_suffix(".gz"), images),
    }


WRITERS = ["train --save", "export", "write_idx", "write_idx .gz"]


def _fail(monkeypatch, failure):
    name, replacement = FAILURES[failure]
    if name == "_open_new":
        monkeypatch.setattr(skdigitnet._persistence, "_open_new", replacement)
    else:
        monkeypatch.setattr(os, name.split(".")[1], replacement)


@pytest.mark.parametrize("failure", FAILURES)
@pytest.mark.parametrize("writer", WRITERS)
def test_a_failed_write_leaves_the_old_file_and_nothing_else(
    tmp_path, monkeypatch, capsys, model_file, writer, failure
):
    write = _writers(model_file)[writer]
    target = tmp_path / "out file é"
    if writer.endswith(".gz"):
        target = target.with_suffix(".gz")
    old = b"the previous file, whole\n" * 40
    target.write_bytes(old)
    with monkeypatch.context() as m:
        _fail(m, failure)
        try:
            status = write(target)
        except (OSError, KeyboardInterrupt):
            status = None
    # The command line reports the failure as an error or an interrupt.
    assert status in (None, 2, 130)
    assert target.read_bytes() == old
    assert sorted(os.listdir(tmp_path)) == [target.name]
    capsys.readouterr()


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
@pytest.mark.parametrize("writer", WRITERS)
def test_a_new_file_has_the_mode_the_umask_gives(
    tmp_path, capsys, model_file, writer, umask
):
    write = _writers(model_file)[writer]
    target = tmp_path / "new"
    previous = os.umask(umask)
    try:
        status = write(target)
    finally:
        os.umask(previous)
    assert status in (None, 0)
    (name,) = os.listdir(tmp_path)
    assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o666 & ~umask
    capsys.readouterr()


def test_atomic_write_replaces_whole(tmp_path):
    target = tmp_path / "f"
    target.write_bytes(b"old")
    with skdigitnet._persistence.atomic_write(target) as f:
        f.write(b"new")
        # Until the block ends, the old file is what others read.
        assert target.read_bytes() == b"old"
    assert target.read_bytes() == b"new"
    assert os.listdir(tmp_path) == ["f"]


def test_a_train_save_file_loads_with_skops_and_our_trusted_types(
    model_file, raw_digits
):
    import joblib

    sio = pytest.importorskip("skops.io")
    pipeline = joblib.load(model_file)
    data = sio.dumps(pipeline)
    assert set(sio.get_untrusted_types(data=data)) <= set(SKOPS_TRUSTED_TYPES)
    loaded = sio.loads(data, trusted=SKOPS_TRUSTED_TYPES)
    X = raw_digits[0]
    assert_array_equal(loaded.predict(X), pipeline.predict(X))
    assert loaded.trained_on_ == "digits"
