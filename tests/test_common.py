"""scikit-learn's estimator checks, for every cost."""

import pytest
from conftest import slow_checks_but
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

ESTIMATORS = [SigmoidMLPClassifier(), GreyLevelScaler()]
OTHER_COSTS = [
    SigmoidMLPClassifier(loss=loss) for loss in ("cross_entropy", "log_loss")
]

# What the network learns and outputs, which each cost computes its own way:
# cross_entropy its output error, log_loss softmax outputs too (and the
# cross-entropy for multilabel targets). The other checks run the same
# validation, parameter and state code whatever the cost; for the other
# costs they are slow.
COST_CHECKS = [
    "check_classifiers_train",
    "check_classifiers_classes",
    "check_classifiers_one_label",
    "check_decision_proba_consistency",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_classifiers_multilabel_output_format_predict",
    "check_classifiers_multilabel_output_format_predict_proba",
    "check_classifiers_multilabel_output_format_decision_function",
]


@parametrize_with_checks(
    ESTIMATORS, expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@slow_checks_but(
    COST_CHECKS,
    parametrize_with_checks(
        OTHER_COSTS, expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS
    ),
)
def test_sklearn_compatible_estimator_other_costs(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS + OTHER_COSTS, ids=repr)
def test_param_validation(estimator):
    check_param_validation(type(estimator).__name__, estimator)
