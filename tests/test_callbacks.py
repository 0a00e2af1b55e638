"""scikit-learn's callbacks: one task per fit, one subtask per epoch."""

import importlib.util
import pickle
import sys
import warnings

import numpy as np
import pytest
from conftest import slow_checks_but
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import parametrize_with_checks
from test_common import EXPECTED_FAILED_CHECKS

from skdigitnet import SigmoidMLPClassifier, _callbacks

try:
    from sklearn import callback
except ImportError:  # scikit-learn < 1.9: only the stand-in is tested
    callback = None

needs_callbacks = pytest.mark.skipif(callback is None, reason="no sklearn.callback")
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


class Recorder:
    """A callback that records its hooks and the fitted estimator's state."""

    def __init__(self, stop_at_epoch=None):
        self.stop_at_epoch = stop_at_epoch
        self.events = []
        self.epochs = []
        self.final_prediction = None

    def setup(self, estimator, context):
        self.events.append(("setup", context.task_name))

    def teardown(self, estimator, context):
        self.events.append(("teardown", context.task_name))

    def on_fit_task_begin(self, estimator, context, *, X=None, y=None, metadata=None):
        self.events.append(("begin", context.task_name))

    def on_fit_task_end(
        self,
        estimator,
        context,
        *,
        X=None,
        y=None,
        metadata=None,
        fitted_estimator=None,
    ):
        self.events.append(("end", context.task_name))
        if context.task_name == "epoch":
            self.epochs.append(
                {
                    "task_id": context.task_id,
                    "n_iter_": fitted_estimator.n_iter_,
                    "coefs_": fitted_estimator.coefs_,
                    "score": fitted_estimator.score(X, y, **metadata),
                }
            )
            return fitted_estimator.n_iter_ == self.stop_at_epoch
        self.final_prediction = fitted_estimator.predict(X)

    def count(self, hook, task_name=None):
        return sum(
            e == hook and (task_name is None or name == task_name)
            for e, name in self.events
        )


DIGITS_ROWS = 500  # the digits fixture's size (conftest.py)


@needs_callbacks
def test_one_task_per_epoch(digits):
    X, y = digits
    recorder = Recorder()
    clf = SigmoidMLPClassifier(max_iter=4, random_state=0).set_callbacks(recorder)
    clf.fit(X, y)
    assert recorder.count("setup") == recorder.count("teardown") == 1
    assert recorder.count("begin", "fit") == recorder.count("end", "fit") == 1
    assert recorder.count("begin", "epoch") == recorder.count("end", "epoch") == 4
    assert recorder.events[:3] == [
        ("setup", "fit"),
        ("begin", "fit"),
        ("begin", "epoch"),
    ]
    assert recorder.events[-2:] == [("end", "fit"), ("teardown", "fit")]
    assert [e["task_id"] for e in recorder.epochs] == [0, 1, 2, 3]
    assert [e["n_iter_"] for e in recorder.epochs] == [1, 2, 3, 4]
    # The estimator handed to an epoch's end has that epoch's weights, kept
    # while training goes on; the fit's end sees the final model.
    assert_array_equal(recorder.epochs[-1]["coefs_"][0], clf.coefs_[0])
    assert not np.array_equal(recorder.epochs[0]["coefs_"][0], clf.coefs_[0])
    assert recorder.epochs[-1]["score"] == clf.score(X, y)
    assert_array_equal(recorder.final_prediction, clf.predict(X))
    # Nothing of the callbacks' bookkeeping is left on the estimator.
    assert not hasattr(clf, "_callback_fit_ctx")


@needs_callbacks
def test_early_stopping_ends_fewer_epoch_tasks(digits):
    X, y = digits
    recorder = Recorder()
    clf = SigmoidMLPClassifier(
        early_stopping=True, n_iter_no_change=1, tol=0.5, max_iter=30, random_state=0
    ).set_callbacks(recorder)
    clf.fit(X, y)
    assert clf.n_iter_ < 30
    assert recorder.count("end", "epoch") == clf.n_iter_


@needs_callbacks
def test_partial_fit_is_a_task_of_one_epoch(digits):
    X, y = digits
    recorder = Recorder()
    clf = SigmoidMLPClassifier(random_state=0).set_callbacks(recorder)
    for _ in range(3):
        clf.partial_fit(X, y, classes=np.arange(10))
    assert recorder.count("setup") == recorder.count("teardown") == 3
    assert recorder.count("end", "partial_fit") == 3
    assert recorder.count("end", "epoch") == 3


@needs_callbacks
def test_a_callback_can_stop_training(digits):
    X, y = digits
    recorder = Recorder(stop_at_epoch=3)
    clf = SigmoidMLPClassifier(max_iter=10, random_state=0).set_callbacks(recorder)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf.fit(X, y)
    assert clf.n_iter_ == 3
    assert recorder.count("end", "epoch") == 3


@needs_callbacks
def test_failed_fit_tears_callbacks_down(digits):
    X, y = digits
    recorder = Recorder()
    clf = SigmoidMLPClassifier(max_iter=2, random_state=0).set_callbacks(recorder)
    with pytest.raises(ValueError, match="greater than one"):
        clf.fit(X, np.zeros_like(y))
    assert recorder.count("setup") == recorder.count("teardown") == 1
    assert not hasattr(clf, "_callback_fit_ctx")
    assert not hasattr(clf, "coefs_")


@needs_callbacks
def test_metadata_carries_sample_weight(digits):
    X, y = digits
    sample_weight = np.where(y == 3, 5.0, 1.0)
    recorder = Recorder()
    clf = SigmoidMLPClassifier(max_iter=1, random_state=0).set_callbacks(recorder)
    clf.fit(X, y, sample_weight=sample_weight)
    assert recorder.epochs[0]["score"] == clf.score(X, y, sample_weight=sample_weight)


@needs_callbacks
def test_scoring_monitor_records_a_score_per_epoch(digits):
    X, y = digits
    monitor = callback.ScoringMonitor(scoring="accuracy")
    clf = SigmoidMLPClassifier(max_iter=5, random_state=0).set_callbacks(monitor)
    clf.fit(X, y)
    rows = monitor.get_logs().data
    epochs = [row for row in rows if row["task_name"] == "epoch"]
    assert [row["task_id"] for row in epochs] == list(range(5))
    scores = [row["accuracy"] for row in epochs]
    assert scores[-1] == pytest.approx(clf.score(X, y))
    assert scores[-1] > scores[0]
    (fit_row,) = [row for row in rows if row["task_name"] == "fit"]
    assert fit_row["accuracy"] == pytest.approx(clf.score(X, y))


@needs_callbacks
def test_progress_bar(digits, capsys):
    pytest.importorskip("rich")
    X, y = digits
    clf = SigmoidMLPClassifier(max_iter=3, random_state=0)
    clf.set_callbacks(callback.ProgressBar()).fit(X, y)
    out = capsys.readouterr().out
    assert "SigmoidMLPClassifier - fit" in out
    assert "100%" in out


@needs_callbacks
def test_clone_and_pickle_keep_the_callbacks(digits):
    X, y = digits
    recorder = Recorder()
    clf = SigmoidMLPClassifier(max_iter=2, random_state=0).set_callbacks(recorder)
    assert clone(clf)._skl_callbacks == [recorder]
    clf.fit(X, y)
    restored = pickle.loads(pickle.dumps(clf))
    assert_array_equal(restored.predict(X), clf.predict(X))
    (copy,) = restored._skl_callbacks
    restored.fit(X, y)
    assert copy.count("end", "epoch") == recorder.count("end", "epoch") + 2
    assert_allclose(restored.coefs_[0], clf.coefs_[0])


def test_stand_in_without_sklearn_callback(digits, monkeypatch):
    # Load a second copy of the module as an older scikit-learn would see it.
    spec = importlib.util.spec_from_file_location(
        "_callbacks_without_sklearn_callback", _callbacks.__file__
    )
    stand_in = importlib.util.module_from_spec(spec)
    with monkeypatch.context() as m:
        m.setitem(sys.modules, "sklearn.callback", None)
        spec.loader.exec_module(stand_in)
    assert not hasattr(stand_in.CallbackSupportMixin, "set_callbacks")

    class Classifier(stand_in.CallbackSupportMixin, SigmoidMLPClassifier):
        pass

    X, y = digits
    clf = Classifier(max_iter=2, random_state=0).fit(X, y)
    expected = SigmoidMLPClassifier(max_iter=2, random_state=0).fit(X, y)
    assert_array_equal(clf.coefs_[0], expected.coefs_[0])
    assert not hasattr(clf, "_callback_fit_ctx")
    tasks = stand_in.FitTasks(clf, "fit", max_epochs=2, X=X, y=y, sample_weight=None)
    tasks.begin()
    tasks.begin_epoch()
    assert tasks.end_epoch() is False
    tasks.end()


class EpochCounter:
    """The lightest callback: it counts the epochs it sees end."""

    def __init__(self):
        self.n_epochs = 0

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context):
        self.n_epochs += context.task_name == "epoch"


COUNTER = EpochCounter()


# What a callback meets: a fit, a partial fit and a failing fit, clones,
# pickles, the parameters and the fitted state. The other checks fit other
# layouts, dtypes and containers of data through the same callback code, as
# test_common.py does without one: with a callback they are slow.
CALLBACK_CHECKS = [
    "check_estimator_cloneable",
    "check_estimator_repr",
    "check_no_attributes_set_in_init",
    "check_do_not_raise_errors_in_init_or_set_params",
    "check_get_params_invariance",
    "check_set_params",
    "check_estimators_overwrite_params",
    "check_dont_overwrite_parameters",
    "check_estimators_fit_returns_self",
    "check_estimators_unfitted",
    "check_fit_check_is_fitted",
    "check_n_features_in_after_fitting",
    "check_dict_unchanged",
    "check_fit_idempotent",
    "check_estimators_pickle",
    "check_estimators_partial_fit_n_features",
    "check_estimators_empty_data_messages",
    "check_estimators_nan_inf",
    "check_classifiers_train",
]


# As in test_common.py: the checks' data saturates the network, rightly.
@pytest.mark.filterwarnings("ignore::skdigitnet.SaturationWarning")
@slow_checks_but(
    CALLBACK_CHECKS,
    parametrize_with_checks(
        [] if callback is None else [SigmoidMLPClassifier().set_callbacks(COUNTER)],
        expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS,
    ),
)
def test_common_checks_with_a_callback(estimator, check):
    # The checks clone the estimator, and clones share its callbacks.
    check(estimator)


# --- a saved model names no endpoint: loading and fitting connect nowhere ---


class _Listener:
    """A server the test controls, that counts the connections made to it.

    It accepts and never answers: a client that connected to it would wait
    for the handshake, so a test that connects hangs, and its timeout fails.
    """

    def __init__(self, family, address):
        import socket
        import threading

        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.bind(address)
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.address = self.sock.getsockname()
        self.connections = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections.append(conn)

    def close(self):
        self._stop.set()
        self._thread.join(5)
        for conn in self.connections:
            conn.close()
        self.sock.close()


@pytest.fixture(params=["unix", "tcp"])
def listener(request, tmp_path):
    import socket

    if request.param == "unix":
        if not hasattr(socket, "AF_UNIX"):
            pytest.skip("no Unix sockets")
        server = _Listener(socket.AF_UNIX, str(tmp_path / "listener.sock"))
    else:
        server = _Listener(socket.AF_INET, ("127.0.0.1", 0))
    yield server
    server.close()


def _pointing_at(listener):
    """A ScoringMonitor whose handle names ``listener`` and a key of ours."""
    from sklearn.callback._transport import ListenerHandle

    monitor = callback.ScoringMonitor(scoring="accuracy")
    monitor._listener_handle = ListenerHandle(listener.address, b"k" * 32)
    return monitor


def _within(seconds, function):
    """Run ``function`` in a thread; fail if it does not return in time."""
    import threading

    result = {}

    def run():
        try:
            result["value"] = function()
        except BaseException as exc:  # handed back to the test
            result["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"did not return within {seconds} s"
    if "error" in result:
        raise result["error"]
    return result["value"]


@needs_callbacks
def test_a_saved_monitor_connects_nowhere_on_load_or_fit(digits, listener):
    sio = pytest.importorskip("skops.io")
    from skdigitnet import SKOPS_TRUSTED_TYPES

    X, y = digits
    clf = SigmoidMLPClassifier(max_iter=2, random_state=0)
    clf.set_callbacks(_pointing_at(listener))
    data = sio.dumps(clf)

    loaded = _within(30, lambda: sio.loads(data, trusted=SKOPS_TRUSTED_TYPES))
    (monitor,) = loaded._skl_callbacks
    assert monitor._listener_handle.address != listener.address
    _within(60, lambda: loaded.fit(X, y))
    assert len(monitor.get_logs().data) == 3  # two epochs and the fit
    assert listener.connections == []


@needs_callbacks
def test_a_file_that_holds_a_listener_handle_is_refused(digits, listener):
    sio = pytest.importorskip("skops.io")
    from skdigitnet import SKOPS_TRUSTED_TYPES

    # A file as it was written before callbacks were saved as settings, or
    # as anyone can write it: the monitor itself, with the handle.
    clf = SigmoidMLPClassifier(max_iter=2, random_state=0)
    clf.set_callbacks(_pointing_at(listener))
    state = SigmoidMLPClassifier.__getstate__

    def as_is(self):
        return {**state(self), "_skl_callbacks": self._skl_callbacks}

    try:
        SigmoidMLPClassifier.__getstate__ = as_is
        data = sio.dumps(clf)
    finally:
        SigmoidMLPClassifier.__getstate__ = state
    untrusted = sio.get_untrusted_types(data=data)
    assert "sklearn.callback._transport.ListenerHandle" in untrusted

    with pytest.raises(sio.exceptions.UntrustedTypesFoundException):
        _within(30, lambda: sio.loads(data, trusted=SKOPS_TRUSTED_TYPES))
    assert listener.connections == []


@needs_callbacks
def test_every_callback_shipped_is_saved_as_trusted_settings(digits):
    sio = pytest.importorskip("skops.io")
    pytest.importorskip("rich")
    from skdigitnet import SKOPS_TRUSTED_TYPES

    X, y = digits
    clf = SigmoidMLPClassifier(max_iter=2, random_state=0)
    clf.set_callbacks(
        callback.ProgressBar(max_propagation_depth=2),
        callback.ScoringMonitor(scoring=["accuracy", "neg_log_loss"]),
    )
    clf.fit(X, y)
    data = sio.dumps(clf)
    assert set(sio.get_untrusted_types(data=data)) <= set(SKOPS_TRUSTED_TYPES)

    loaded = sio.loads(data, trusted=SKOPS_TRUSTED_TYPES)
    bar, monitor = loaded._skl_callbacks
    assert bar.max_propagation_depth == 2
    assert monitor._scoring == ["accuracy", "neg_log_loss"]
    assert set(vars(bar)) == set(vars(callback.ProgressBar()))


@pytest.mark.parametrize(
    "saved",
    [
        ("Popen", {"args": ["true"]}),
        ("ScoringMonitor", {"scoring": "accuracy", "_listener_handle": None}),
        ("ProgressBar",),
    ],
    ids=["unknown kind", "extra setting", "no settings"],
)
def test_callback_settings_other_than_ours_are_refused(saved):
    state = {"_skl_callbacks": [saved]}
    with pytest.raises(ValueError, match="Cannot load a callback saved as"):
        _callbacks.restored_state(state)
