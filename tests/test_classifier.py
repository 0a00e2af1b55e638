"""Behaviour of SigmoidMLPClassifier, in the style of scikit-learn's test_mlp.py."""

import re
import subprocess
import sys
import textwrap
import warnings

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from conftest import quiet_fit
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

import skdigitnet._network
from skdigitnet import SigmoidMLPClassifier
from skdigitnet._network import feedforward, init_params, squared_error

X_digits, y_digits = load_digits(return_X_y=True)
X_digits = X_digits / 16

X_multi, y_multi = load_digits(n_class=3, return_X_y=True)
X_multi, y_multi = X_multi[:150] / 16, y_multi[:150]

X_binary, y_binary = load_digits(n_class=2, return_X_y=True)
X_binary, y_binary = X_binary[:100] / 16, y_binary[:100]

LOSSES = ["squared_error", "cross_entropy", "log_loss"]


# --- reproducibility ------------------------------------------------------


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("loss", LOSSES)
def test_fit_equals_partial_fit_epochs(loss, shuffle):
    # partial_fit keeps drawing from one generator, so each call shuffles anew
    # and k calls are exactly fit(max_iter=k), shuffled or not.
    params = dict(hidden_layer_sizes=8, loss=loss, shuffle=shuffle, random_state=3)
    fitted = quiet_fit(SigmoidMLPClassifier(max_iter=4, **params), X_multi, y_multi)

    partial = SigmoidMLPClassifier(**params)
    losses = []
    for _ in range(4):
        partial.partial_fit(X_multi, y_multi, classes=np.unique(y_multi))
        losses.append(partial.loss_)

    for a, b in zip(
        fitted.coefs_ + fitted.intercepts_, partial.coefs_ + partial.intercepts_
    ):
        assert_array_equal(a, b)
    assert_allclose(fitted.loss_curve_, losses, rtol=1e-12)
    assert fitted.t_ == partial.t_ == 4 * len(y_multi)
    assert fitted.n_iter_ == 4
    assert partial.n_iter_ == 1


def test_random_state_fixes_the_weights():
    def weights(seed):
        clf = SigmoidMLPClassifier(hidden_layer_sizes=8, max_iter=3, random_state=seed)
        quiet_fit(clf, X_multi, y_multi)
        return clf.coefs_ + clf.intercepts_

    first, again, other = weights(0), weights(0), weights(1)
    for a, b in zip(first, again):
        assert_array_equal(a, b)
    for a, b in zip(first, other):
        assert not np.allclose(a, b)

    # A shared RandomState advances between fits, so the weights differ.
    rs = np.random.RandomState(0)
    clf = SigmoidMLPClassifier(hidden_layer_sizes=8, max_iter=3, random_state=rs)
    w1 = [c.copy() for c in quiet_fit(clf, X_multi, y_multi).coefs_]
    w2 = quiet_fit(clf, X_multi, y_multi).coefs_
    assert not np.allclose(w1[0], w2[0])


def test_initial_weights_are_the_books_draws():
    # With max_iter=1 and one batch of all samples unshuffled, the first loss
    # is the mean cost of the network as init_params drew it.
    n = len(y_multi)
    clf = SigmoidMLPClassifier(
        hidden_layer_sizes=(7, 5), batch_size=n, max_iter=1, shuffle=False
    )
    quiet_fit(clf.set_params(random_state=4), X_multi, y_multi)
    coefs, intercepts = init_params([64, 7, 5, 3], np.random.RandomState(4))
    Y = np.eye(3)[y_multi]
    out = feedforward(X_multi, coefs, intercepts)
    expected = squared_error(Y, out) / n
    assert clf.loss_ == pytest.approx(expected, rel=1e-12)


# --- model selection ------------------------------------------------------


@pytest.mark.slow
def test_grid_search_over_a_pipeline():
    X, y = load_digits(return_X_y=True)
    X, y = X[:300], y[:300]
    pipe = make_pipeline(
        MinMaxScaler(), SigmoidMLPClassifier(max_iter=10, random_state=0)
    )
    grid = {
        "sigmoidmlpclassifier__hidden_layer_sizes": [(10,), (20,)],
        "sigmoidmlpclassifier__learning_rate_init": [1e-3, 3.0],
    }
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    searches = [
        GridSearchCV(pipe, grid, cv=cv, n_jobs=n_jobs, error_score="raise")
        for n_jobs in (2, 1)
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for search in searches:
            search.fit(X, y)

    search, sequential = searches
    # Worker processes train the same networks as this one.
    assert_array_equal(
        search.cv_results_["mean_test_score"],
        sequential.cv_results_["mean_test_score"],
    )
    # Ten epochs at eta = 0.001 barely move N(0, 1) weights.
    assert search.best_params_["sigmoidmlpclassifier__learning_rate_init"] == 3.0
    assert search.best_score_ > 0.7
    assert search.score(X, y) > 0.85


@pytest.mark.slow
def test_book_settings_reach_the_books_accuracy_on_digits():
    # Chapter 1's network: 30 hidden neurons, 30 epochs, batches of 10,
    # eta = 3.0 (the defaults). The digits are ordered by writer, so the
    # folds are shuffled.
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        scores = cross_val_score(
            SigmoidMLPClassifier(random_state=0), X_digits, y_digits, cv=cv
        )
    assert scores.mean() >= 0.92


# --- persistence ----------------------------------------------------------


@pytest.mark.slow
def test_joblib_round_trip_in_a_fresh_process(tmp_path):
    clf = quiet_fit(
        SigmoidMLPClassifier(hidden_layer_sizes=8, max_iter=3, random_state=0),
        X_multi,
        y_multi,
    )
    joblib.dump(clf, tmp_path / "model.joblib")
    np.save(tmp_path / "X.npy", X_multi)
    np.save(tmp_path / "y.npy", y_multi)

    script = textwrap.dedent(
        """
        import sys
        from pathlib import Path

        import joblib
        import numpy as np

        folder = Path(sys.argv[1])
        clf = joblib.load(folder / "model.joblib")
        X, y = np.load(folder / "X.npy"), np.load(folder / "y.npy")
        np.save(folder / "proba.npy", clf.predict_proba(X))
        clf.partial_fit(X, y)
        np.save(folder / "proba_after.npy", clf.predict_proba(X))
        joblib.dump(clf, folder / "model_after.joblib")
        """
    )
    subprocess.run([sys.executable, "-c", script, str(tmp_path)], check=True)

    assert_array_equal(np.load(tmp_path / "proba.npy"), clf.predict_proba(X_multi))
    continued = joblib.load(tmp_path / "model_after.joblib")
    assert not np.allclose(continued.coefs_[0], clf.coefs_[0])
    assert continued.t_ == clf.t_ + len(y_multi)
    assert_array_equal(
        np.load(tmp_path / "proba_after.npy"), continued.predict_proba(X_multi)
    )
    assert continued.score(X_multi, y_multi) > 0.5


# --- inputs and labels ----------------------------------------------------


def test_string_labels_follow_sorted_classes():
    names = np.array(["a", "b", "c"])
    params = dict(hidden_layer_sizes=8, max_iter=3, random_state=0)
    ints = quiet_fit(SigmoidMLPClassifier(**params), X_multi, y_multi)
    strings = quiet_fit(SigmoidMLPClassifier(**params), X_multi, names[y_multi])

    assert_array_equal(strings.classes_, names)
    assert_array_equal(strings.predict(X_multi), names[ints.predict(X_multi)])
    assert_allclose(strings.predict_proba(X_multi), ints.predict_proba(X_multi))
    assert strings.score(X_multi, names[y_multi]) > 0.8


@pytest.mark.parametrize("loss", LOSSES)
def test_binary_labels_have_two_output_neurons(loss):
    clf = SigmoidMLPClassifier(hidden_layer_sizes=6, loss=loss, random_state=0)
    quiet_fit(clf.set_params(max_iter=5), X_binary, y_binary)

    assert clf.n_outputs_ == 2
    assert clf.coefs_[-1].shape == (6, 2)
    assert clf.intercepts_[-1].shape == (2,)
    proba = clf.predict_proba(X_binary)
    assert proba.shape == (len(y_binary), 2)
    assert_allclose(proba.sum(axis=1), 1)
    assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X_binary))
    assert clf.score(X_binary, y_binary) > 0.95


def test_float32_input_is_kept_float32():
    params = dict(hidden_layer_sizes=8, max_iter=2, random_state=0)
    clf32 = quiet_fit(
        SigmoidMLPClassifier(**params), X_multi.astype(np.float32), y_multi
    )
    clf64 = quiet_fit(SigmoidMLPClassifier(**params), X_multi, y_multi)

    for p in clf32.coefs_ + clf32.intercepts_:
        assert p.dtype == np.float32
    for p in clf64.coefs_ + clf64.intercepts_:
        assert p.dtype == np.float64
    proba32 = clf32.predict_proba(X_multi.astype(np.float32))
    assert proba32.dtype == np.float32
    assert clf32.predict_proba(X_multi).dtype == np.float32
    assert_allclose(proba32, clf64.predict_proba(X_multi), atol=1e-3)
    # Later partial_fit calls continue in the dtype of the weights, and
    # refuse float input of the other precision.
    clf32.partial_fit(X_multi.astype(np.float32), y_multi)
    assert clf32.coefs_[0].dtype == np.float32
    with pytest.raises(ValueError, match="X of dtype float64"):
        clf32.partial_fit(X_multi, y_multi)


@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csr_array, sp.csc_matrix])
def test_sparse_input_matches_dense(container):
    params = dict(hidden_layer_sizes=8, max_iter=3, random_state=0)
    dense = quiet_fit(SigmoidMLPClassifier(**params), X_multi, y_multi)
    sparse = quiet_fit(SigmoidMLPClassifier(**params), container(X_multi), y_multi)

    for a, b in zip(
        dense.coefs_ + dense.intercepts_, sparse.coefs_ + sparse.intercepts_
    ):
        assert_allclose(a, b, rtol=1e-8, atol=1e-10)
    assert_allclose(
        sparse.predict_proba(container(X_multi)),
        dense.predict_proba(X_multi),
        rtol=1e-8,
    )


def test_dataframe_feature_names():
    pd = pytest.importorskip("pandas")
    columns = [f"pixel{i}" for i in range(X_multi.shape[1])]
    df = pd.DataFrame(X_multi, columns=columns)
    clf = quiet_fit(
        SigmoidMLPClassifier(hidden_layer_sizes=8, max_iter=2, random_state=0),
        df,
        y_multi,
    )
    assert_array_equal(clf.feature_names_in_, columns)
    assert clf.n_features_in_ == 64

    renamed = df.rename(columns={"pixel0": "other"})
    with pytest.raises(ValueError, match="feature names should match"):
        clf.predict(renamed)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        unnamed = clf.predict(X_multi)
    assert_array_equal(clf.predict(df), unnamed)


# --- the partial_fit contract and fitted attributes -----------------------


def test_partial_fit_needs_classes_on_the_first_call():
    clf = SigmoidMLPClassifier()
    with pytest.raises(
        ValueError, match="classes must be passed on the first call to partial_fit"
    ):
        clf.partial_fit(X_multi, y_multi)
    assert not hasattr(clf, "coefs_")


def test_partial_fit_rejects_unseen_labels():
    clf = SigmoidMLPClassifier(random_state=0)
    clf.partial_fit(X_multi, y_multi, classes=[0, 1, 2])
    coefs = [c.copy() for c in clf.coefs_]
    with pytest.raises(ValueError, match="has classes not in"):
        clf.partial_fit(X_multi, np.where(y_multi == 2, 5, y_multi))
    # The failed call leaves the model as it was.
    for a, b in zip(coefs, clf.coefs_):
        assert_array_equal(a, b)
    with pytest.raises(ValueError, match="has classes not in"):
        SigmoidMLPClassifier().partial_fit(X_multi, y_multi, classes=[0, 1])


def test_partial_fit_classes_may_be_a_superset():
    clf = SigmoidMLPClassifier(hidden_layer_sizes=4, random_state=0)
    mask = y_multi < 2
    clf.partial_fit(X_multi[mask], y_multi[mask], classes=[0, 1, 2])
    assert clf.n_outputs_ == 3
    assert clf.predict_proba(X_multi).shape == (len(y_multi), 3)
    clf.partial_fit(X_multi, y_multi)
    assert set(clf.predict(X_multi)) <= {0, 1, 2}


@pytest.mark.parametrize("loss", LOSSES)
def test_predict_proba_is_consistent_with_predict(loss):
    clf = quiet_fit(
        SigmoidMLPClassifier(
            hidden_layer_sizes=8, loss=loss, max_iter=5, random_state=0
        ),
        X_multi,
        y_multi,
    )
    proba = clf.predict_proba(X_multi)
    assert proba.shape == (len(y_multi), 3)
    assert np.all(proba >= 0)
    assert_allclose(proba.sum(axis=1), 1)
    assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X_multi))
    assert_allclose(clf.predict_log_proba(X_multi), np.log(proba))


@pytest.mark.parametrize(
    "loss, out_activation",
    [
        ("squared_error", "logistic"),
        ("cross_entropy", "logistic"),
        ("log_loss", "softmax"),
    ],
)
def test_fitted_attributes(loss, out_activation):
    clf = SigmoidMLPClassifier(
        hidden_layer_sizes=(7, 5), loss=loss, max_iter=4, tol=0, random_state=0
    )
    quiet_fit(clf, X_multi, y_multi)

    assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.n_features_in_ == 64
    assert [c.shape for c in clf.coefs_] == [(64, 7), (7, 5), (5, 3)]
    assert [b.shape for b in clf.intercepts_] == [(7,), (5,), (3,)]
    assert clf.n_layers_ == 4
    assert clf.n_outputs_ == 3
    assert clf.out_activation_ == out_activation
    assert clf.n_iter_ == 4
    assert clf.t_ == 4 * len(y_multi)
    assert len(clf.loss_curve_) == 4
    assert clf.loss_ == clf.loss_curve_[-1]
    assert clf.best_loss_ == min(clf.loss_curve_)
    assert np.all(np.isfinite(clf.loss_curve_))
    # Training lowers the loss.
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]


def test_max_iter_reached_warns():
    clf = SigmoidMLPClassifier(hidden_layer_sizes=4, max_iter=3, tol=0)
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(3\) reached"):
        clf.fit(X_multi, y_multi)
    assert clf.n_iter_ == 3


def test_training_loss_plateau_stops_early():
    # With a large tol no epoch improves enough: the count passes
    # n_iter_no_change at epoch n_iter_no_change + 2, as in MLPClassifier.
    clf = SigmoidMLPClassifier(
        hidden_layer_sizes=4, max_iter=50, tol=100, n_iter_no_change=3, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf.fit(X_multi, y_multi)
    assert clf.n_iter_ == 5
    assert len(clf.loss_curve_) == 5


def test_verbose_prints_one_line_per_epoch(capsys):
    clf = SigmoidMLPClassifier(hidden_layer_sizes=4, max_iter=3, verbose=True)
    quiet_fit(clf.set_params(random_state=0), X_multi, y_multi)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    for epoch, (line, loss) in enumerate(zip(lines, clf.loss_curve_), start=1):
        match = re.fullmatch(r"Epoch (\d+): loss = ([0-9.]+), ([0-9.]+) s", line)
        assert match, line
        assert int(match[1]) == epoch
        assert float(match[2]) == pytest.approx(loss, abs=1e-6)


def test_keyboard_interrupt_keeps_a_fitted_model(monkeypatch):
    sgd_epoch = skdigitnet._buffered.sgd_epoch
    calls = []

    def interrupted(*args, **kwargs):
        calls.append(None)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return sgd_epoch(*args, **kwargs)

    params = dict(hidden_layer_sizes=8, max_iter=10, random_state=0)
    monkeypatch.setattr(skdigitnet._buffered, "sgd_epoch", interrupted)
    clf = SigmoidMLPClassifier(**params)
    with pytest.warns(UserWarning, match="Training interrupted by user."):
        clf.fit(X_multi, y_multi)
    monkeypatch.undo()

    assert clf.n_iter_ == 2
    assert len(clf.loss_curve_) == 2
    # The model is the one of the two finished epochs, and usable.
    two_epochs = quiet_fit(
        SigmoidMLPClassifier(**params).set_params(max_iter=2), X_multi, y_multi
    )
    for a, b in zip(
        clf.coefs_ + clf.intercepts_, two_epochs.coefs_ + two_epochs.intercepts_
    ):
        assert_array_equal(a, b)
    assert clf.predict(X_multi).shape == y_multi.shape
    clf.partial_fit(X_multi, y_multi)
    assert clf.n_iter_ == 1


# --- sample weights -------------------------------------------------------


def test_integer_sample_weight_equals_repeated_rows_in_one_batch():
    # The case test_common.py's expected failures leave out: one mini-batch
    # holding every sample, unshuffled, sees a weight of 2 as a repeated row.
    rng = np.random.default_rng(0)
    weights = rng.integers(0, 3, size=len(y_multi))
    weights[:3] = 1  # every class keeps a sample
    repeat = np.repeat(np.arange(len(y_multi)), weights)
    params = dict(hidden_layer_sizes=6, max_iter=3, shuffle=False, random_state=0)

    weighted = SigmoidMLPClassifier(batch_size=len(y_multi), **params)
    repeated = SigmoidMLPClassifier(batch_size=len(repeat), **params)
    quiet_fit(weighted, X_multi, y_multi, sample_weight=weights)
    quiet_fit(repeated, X_multi[repeat], y_multi[repeat])

    for a, b in zip(
        weighted.coefs_ + weighted.intercepts_, repeated.coefs_ + repeated.intercepts_
    ):
        assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    assert_allclose(weighted.loss_curve_, repeated.loss_curve_, rtol=1e-10)
