"""Threads, read-only memory maps, and a dask.distributed cluster."""

import warnings
from concurrent.futures import ThreadPoolExecutor

import joblib
import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from threadpoolctl import threadpool_info

from skdigitnet import SigmoidMLPClassifier

# ConvergenceWarning after a few epochs is expected in every fit here.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# Seeded, so that every run of the search gives the same scores.
GRID = {"hidden_layer_sizes": [(8,), (16,)], "learning_rate_init": [0.5, 3.0]}


DIGITS_ROWS = 400  # the digits fixture's size (conftest.py)


@pytest.fixture(scope="module")
def fitted(digits):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return SigmoidMLPClassifier(max_iter=3, random_state=0).fit(*digits)


def search():
    return GridSearchCV(SigmoidMLPClassifier(max_iter=3, random_state=0), GRID, cv=2)


@pytest.fixture(scope="module")
def serial_scores(digits):
    return search().fit(*digits).cv_results_["mean_test_score"]


def blas_threads():
    return [(i["filepath"], i["num_threads"]) for i in threadpool_info()]


@pytest.mark.slow
def test_predict_from_8_threads_equals_one_thread(fitted, digits):
    X = digits[0]
    # Many short calls on slices of several sizes, so that calls interleave,
    # and a few long ones. (A slice is compared with the same slice: BLAS may
    # round a row differently within a block of another size.)
    slices = [slice(i % 50, i % 50 + 1 + i % 7) for i in range(400)] * 2
    slices += [slice(None)] * 16

    def predict(rows):
        return fitted.predict_proba(X[rows]), fitted.predict(X[rows])

    expected = [predict(rows) for rows in slices]
    blas_before = blas_threads()
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(predict, slices))
    for (proba, pred), (proba_1, pred_1) in zip(results, expected):
        assert_array_equal(proba, proba_1)
        assert_array_equal(pred, pred_1)
    # And the threads leave the process's BLAS thread counts as they were.
    assert blas_threads() == blas_before


def test_fit_in_threads_equals_fit_in_turn(digits, serial_scores):
    blas_before = blas_threads()
    with joblib.parallel_config(backend="threading", n_jobs=2):
        scores = search().fit(*digits).cv_results_["mean_test_score"]
    assert_array_equal(scores, serial_scores)
    assert blas_threads() == blas_before


@pytest.mark.slow
def test_grid_search_on_read_only_memory_map(digits, serial_scores, tmp_path):
    X, y = digits
    joblib.dump((X, y), tmp_path / "digits.joblib")
    X_map, y_map = joblib.load(tmp_path / "digits.joblib", mmap_mode="r")
    assert isinstance(X_map, np.memmap) and not X_map.flags.writeable

    gs = GridSearchCV(
        SigmoidMLPClassifier(max_iter=3, random_state=0), GRID, cv=2, n_jobs=2
    )
    gs.fit(X_map, y_map)
    assert_array_equal(gs.cv_results_["mean_test_score"], serial_scores)
    assert gs.score(X_map, y_map) > 0.5


@pytest.mark.slow
def test_grid_search_on_a_dask_distributed_cluster(digits, serial_scores, dask_client):
    distributed = pytest.importorskip("distributed")
    X, y = digits
    with dask_client(n_workers=2, threads_per_worker=1, processes=True) as client:
        workers = client.scheduler_info()["workers"]
        assert len(workers) == 2
        with (
            distributed.get_task_stream(client) as tasks,
            joblib.parallel_config(backend="dask"),
        ):
            gs = search().set_params(n_jobs=-1).fit(X, y)
    # The fits ran as tasks on the cluster's worker processes.
    assert {task["worker"] for task in tasks.data} <= set(workers)
    assert len(tasks.data) > 0
    assert_array_equal(gs.cv_results_["mean_test_score"], serial_scores)
    assert gs.best_estimator_.score(X, y) > 0.5
