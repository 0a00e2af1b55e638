"""Fixtures shared by the test files.

- ``raw_digits``: scikit-learn's digits as loaded, grey levels 0 to 16,
  read-only.
- ``digits``: the digits scaled to [0, 1], the first ``DIGITS_ROWS`` rows
  of them, where ``DIGITS_ROWS`` is a constant of the test module (all
  1,797 rows without one), so that each file states the size it trains on.
- ``fail_epoch``: makes the buffered epoch fail at a chosen call.
- ``dask_client``: opens a quiet dask ``LocalCluster`` and its client.
- ``model_file``: a model file as ``skdigitnet train --save`` writes it.

Helpers the test files import (``from conftest import ...``):

- ``digits_arrays()``: ``raw_digits``'s arrays for plain functions, loaded
  once per session and read-only.
- ``cli(capsys, *args)``: run the command line in this process.
- ``assert_one_error_line(status, err, match)``: a user error, as the
  command line reports one.
- ``quiet_fit(clf, *args, **kwargs)``: ``fit`` without the
  ConvergenceWarning of short trainings.
- ``snapshot(clf)``: everything an estimator holds, as bytes: equal means
  unchanged.
- ``peak_bytes(fn, *args)``: the peak of the memory ``fn`` allocates, and
  its result.
- ``slow_checks_but(fast, parametrize)``: scikit-learn's checks with all but
  those named in ``fast`` marked slow, for the repetitions of the checks.
- ``every_pair_fast(**settings)``: every combination of some settings as
  test parameters, the fast suite running those that make every pair.

Tests that start processes or take over 2 s on their own carry the ``slow``
marker, and so do the repetitions of a fast test's code by other cases of a
grid: ``python -m pytest -m "not slow"`` runs the others. scikit-learn's
checks are made by ``parametrize_with_checks`` and take no decorator: those
named in ``SLOW_CHECKS`` are marked here, wherever they run. The checks run
in full once, on the default estimator; their repetitions (for the other
costs, with a callback) keep in the fast suite only the checks that run code
of their own, through ``slow_checks_but``. A grid of settings runs there the
few cases in which every two settings meet in each of their values, through
``every_pair_fast``; the full suite runs every case.
"""

import contextlib
import functools
import io
import itertools
import logging
import pickle
import re
import tracemalloc
import warnings

import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from skdigitnet import _buffered
from skdigitnet._cli import main

# scikit-learn's checks that train for seconds: class weights over several
# fits, and sparse input in every sparse format.
SLOW_CHECKS = [
    "check_class_weight_classifiers",
    "check_estimator_sparse_array",
    "check_estimator_sparse_matrix",
]
_SLOW_CHECK = re.compile("-(" + "|".join(SLOW_CHECKS) + r")[\](]")


def pytest_collection_modifyitems(items):
    """Mark the tests of the checks in ``SLOW_CHECKS`` as slow."""
    for item in items:
        if _SLOW_CHECK.search(item.name):
            item.add_marker(pytest.mark.slow)


@functools.cache
def digits_arrays():
    """Return the digits ``(X, y)``, ``X`` in grey levels 0 to 16, read-only.

    Loaded once (it takes tens of milliseconds), for the helpers that build
    a problem in each test; read-only, so that no test changes another's.
    """
    X, y = load_digits(return_X_y=True)
    X.flags.writeable = y.flags.writeable = False
    return X, y


@pytest.fixture(scope="module")
def raw_digits():
    """Return the digits ``(X, y)``, ``X`` in grey levels 0 to 16, read-only."""
    return digits_arrays()


@pytest.fixture(scope="module")
def digits(request, raw_digits):
    """Return the module's ``DIGITS_ROWS`` first digits, ``X`` divided by 16."""
    n = getattr(request.module, "DIGITS_ROWS", None)
    X, y = raw_digits
    return X[:n] / 16, y[:n]


@pytest.fixture
def fail_epoch(monkeypatch):
    """Return ``fail_at(n)``: the ``n``-th epoch from then raises.

    After ``fail_at(n)``, ``_buffered.sgd_epoch`` trains as before until its
    ``n``-th call, which raises ``RuntimeError("disk on fire")`` before
    taking a step.
    """

    def fail_at(n):
        epoch = _buffered.sgd_epoch
        calls = []

        def failing(*args):
            calls.append(None)
            if len(calls) == n:
                raise RuntimeError("disk on fire")
            return epoch(*args)

        monkeypatch.setattr(_buffered, "sgd_epoch", failing)

    return fail_at


@pytest.fixture
def dask_client():
    """Return ``open_client(**cluster_kwargs)``, a context manager.

    It starts a ``distributed.LocalCluster`` with the given workers, without
    dashboard or log lines below errors, and yields a ``Client`` of it. The
    test is skipped where dask's distributed is not installed.
    """
    distributed = pytest.importorskip(
        "distributed", reason="distributed is part of the dist extra"
    )

    @contextlib.contextmanager
    def open_client(**cluster_kwargs):
        with (
            distributed.LocalCluster(
                dashboard_address=None, silence_logs=logging.ERROR, **cluster_kwargs
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            yield client

    return open_client


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    """A model file as ``skdigitnet train --save`` writes it, in float32."""
    path = tmp_path_factory.mktemp("model") / "net.joblib"
    train = ["train", "--epochs", "1", "--hidden", "5", "--dtype", "float32"]
    with contextlib.redirect_stdout(io.StringIO()):
        assert main([*train, "--save", str(path)]) == 0
    return path


def cli(capsys, *args):
    """Run ``main(ARGS)`` in this process; return (status, stdout, stderr)."""
    status = main([str(arg) for arg in args])
    out, err = capsys.readouterr()
    return status, out, err


def assert_one_error_line(status, err, match):
    """Check a user error: status 2, one line on stderr that ``match`` finds.

    ``match`` is a regular expression, searched for in the line.
    """
    assert status == 2
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("skdigitnet: error: ")
    assert re.search(match, lines[0]), lines[0]


def quiet_fit(clf, *args, **kwargs):
    """Fit ignoring the ConvergenceWarning of short trainings; return ``clf``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return clf.fit(*args, **kwargs)


def snapshot(clf):
    """Everything the estimator holds, as bytes: equal means unchanged."""
    return {name: pickle.dumps(value) for name, value in vars(clf).items()}


def peak_bytes(fn, *args):
    """Return the peak memory allocated in ``fn(*args)``, and its result."""
    tracemalloc.start()
    try:
        result = fn(*args)
        return tracemalloc.get_traced_memory()[1], result
    finally:
        tracemalloc.stop()


def slow_checks_but(fast, parametrize):
    """Mark slow the checks of ``parametrize`` not named in ``fast``.

    ``parametrize`` is the decorator that scikit-learn's
    ``parametrize_with_checks`` returns; a check's name is its test id, such
    as ``"check_classifiers_train"`` or
    ``"check_estimators_pickle(readonly_memmap=True)"``. Marks that a check
    already has (an expected failure's) are kept. A name in ``fast`` that no
    check has is an error, so that a misspelt or renamed check cannot leave
    the fast suite unnoticed.
    """
    argnames, params = parametrize.args
    name = parametrize.kwargs["ids"]
    params = list(params)
    named = {name(getattr(param, "values", param)[1]) for param in params}
    if params and set(fast) - named:
        raise ValueError(f"No check is named {sorted(set(fast) - named)}.")

    def marked(param):
        values = getattr(param, "values", param)
        if name(values[1]) in fast:
            return param
        marks = [*getattr(param, "marks", ()), pytest.mark.slow]
        return pytest.param(*values, marks=marks)

    return pytest.mark.parametrize(
        argnames, [marked(param) for param in params], **parametrize.kwargs
    )


def every_pair_fast(**settings):
    """Every combination of ``settings``, as parameters; most of them slow.

    ``settings`` maps each argument name to a dict of its values by id, for
    ``@pytest.mark.parametrize(", ".join(settings), every_pair_fast(...))``.
    A test's id joins its values' ids in the order of ``settings``. The fast
    suite runs a few combinations in which every value of each setting meets
    every value of each other one, chosen greedily from the first; the
    others are marked slow, and the full suite runs them all.
    """
    if len(settings) < 2:
        raise ValueError("every_pair_fast takes two settings or more.")
    grids = [list(values.items()) for values in settings.values()]
    cases = list(itertools.product(*(range(len(grid)) for grid in grids)))

    def pairs(case):
        return set(itertools.combinations(enumerate(case), 2))

    uncovered = set().union(*map(pairs, cases))
    fast = set()
    while uncovered:
        best = max(cases, key=lambda case: len(pairs(case) & uncovered))
        fast.add(best)
        uncovered -= pairs(best)
    return [
        pytest.param(
            *(grid[k][1] for grid, k in zip(grids, case)),
            marks=() if case in fast else pytest.mark.slow,
            id="-".join(str(grid[k][0]) for grid, k in zip(grids, case)),
        )
        for case in cases
    ]
