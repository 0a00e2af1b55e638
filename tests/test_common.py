"""scikit-learn's estimator checks, for every cost."""

import pytest
from sklearn.utils.estimator_checks import (
    check_param_validation,
    parametrize_with_checks,
)

from skdigitnet import GreyLevelScaler, SigmoidMLPClassifier

# scikit-learn's checks feed data on any scale, which saturates the book's
# N(0, 1) network; fit's SaturationWarning is then right, and is tested in
# test_first_contact.py.
pytestmark = pytest.mark.filterwarnings("ignore::skdigitnet.SaturationWarning")

# Mini-batch SGD visits a repeated row once per copy, in a different batch, so
# an integer sample_weight equals repeating rows only when one batch covers
# all samples without shuffling (tests/test_classifier.py shows that case).
SAMPLE_WEIGHT_REASON = (
    "mini-batch SGD with shuffling: a weight of 2 is not the same step as a "
    "repeated row in another mini-batch"
)
EXPECTED_FAILED_CHECKS = {
    "check_sample_weight_equivalence_on_dense_data": SAMPLE_WEIGHT_REASON,
    "check_sample_weight_equivalence_on_sparse_data": SAMPLE_WEIGHT_REASON,
}

ESTIMATORS = [
    SigmoidMLPClassifier(loss=loss)
    for loss in ("squared_error", "cross_entropy", "log_loss")
] + [GreyLevelScaler()]


@parametrize_with_checks(
    ESTIMATORS, expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_param_validation(estimator):
    check_param_validation(type(estimator).__name__, estimator)
