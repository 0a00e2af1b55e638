"""The epoch's floating-point error state is its own.

Training sets every class of ``np.errstate`` that it relies on, so that the
user's ``np.seterr`` or ``np.errstate`` neither turns a good fit into a
"diverged" one (an underflow rounds to its right value, 0) nor hides a real
divergence; the user's settings are left as they were.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal

from skdigitnet import SigmoidMLPClassifier

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning",
    "ignore::skdigitnet.SaturationWarning",
)

USER_STATES = [
    {"all": "raise"},
    {"under": "raise"},
    {"all": "warn"},
    {"all": "ignore"},
]


@pytest.fixture(scope="module")
def bright_digits(raw_digits):
    X, y = raw_digits
    # Pixels up to 256: the neurons saturate, and their errors underflow in
    # (BP2).
    return X[:300] * 16.0, y[:300]


def fit(X, y, **params):
    params = {"loss": "cross_entropy", "max_iter": 2, "random_state": 0, **params}
    return SigmoidMLPClassifier(**params).fit(X, y)


@pytest.mark.parametrize("container", [np.asarray, sp.csr_matrix])
@pytest.mark.parametrize("user_state", USER_STATES, ids=str)
def test_user_error_state_changes_nothing_in_training(
    bright_digits, container, user_state
):
    X, y = bright_digits
    X = container(X)
    want = fit(X, y, monitor="learning_speed")
    before = np.geterr()
    with np.errstate(**user_state):
        inside = np.geterr()
        got = fit(X, y, monitor="learning_speed")
        assert np.geterr() == inside
    assert np.geterr() == before
    for a, b in zip(got.coefs_ + got.intercepts_, want.coefs_ + want.intercepts_):
        assert_array_equal(a, b)
    assert got.history_[-1]["learning_speed"] == want.history_[-1]["learning_speed"]


def test_underflow_in_training_is_not_reported_as_divergence(bright_digits):
    # The case that read "Training diverged": chapter 3's cost, large inputs.
    X, y = bright_digits
    with np.errstate(under="raise"):
        clf = fit(X, y, loss="cross_entropy", max_iter=1)
    assert np.all([np.isfinite(c).all() for c in clf.coefs_])


@pytest.mark.parametrize("user_state", USER_STATES, ids=str)
def test_real_divergence_is_reported_whatever_the_user_state(bright_digits, user_state):
    X, y = bright_digits
    clf = SigmoidMLPClassifier(learning_rate_init=1e308, alpha=1.0, max_iter=1)
    with np.errstate(**user_state), pytest.raises(ValueError, match="diverged"):
        clf.fit(X / 256, y)
