"""Saving and loading fitted models: version stamps, pickle and skops."""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import skdigitnet
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
    assert untrusted == [t for t in SKOPS_TRUSTED_TYPES if t.startswith("skdigitnet")]
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
