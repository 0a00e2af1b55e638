"""Each update rule and schedule of SGDOptimizer against steps worked by hand.

The numbers are powers of two and their sums, so that every step below is
exact in floating point and the expected values are written out in full.
"""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from skdigitnet._optimizer import SGDOptimizer

P0 = [1.0, -2.0]
G1 = [0.5, -0.25]
G2 = [1.0, 1.0]


def two_steps(**settings):
    """Take steps G1 then G2 from P0 at eta = 0.5; return p after each."""
    p = np.array(P0)
    optimizer = SGDOptimizer([p], 0.5, **settings)
    velocity = None if optimizer.velocities is None else optimizer.velocities[0]
    after = []
    for g in (G1, G2):
        optimizer.step(p, np.array(g), velocity)
        after.append(p.copy())
    return after, optimizer


def test_plain_rule_is_the_books():
    # p -> p - eta * grad: [1 - 0.25, -2 + 0.125], then [0.75 - 0.5, ...].
    (p1, p2), optimizer = two_steps()
    assert_array_equal(p1, [0.75, -1.875])
    assert_array_equal(p2, [0.25, -2.375])
    assert optimizer.velocities is None


def test_momentum():
    # v -> mu v - eta g, p -> p + v with mu = 0.5:
    # v1 = [-0.25, 0.125], p1 = [0.75, -1.875];
    # v2 = [-0.125 - 0.5, 0.0625 - 0.5] = [-0.625, -0.4375], p2 = p1 + v2.
    (p1, p2), optimizer = two_steps(momentum=0.5)
    assert_array_equal(p1, [0.75, -1.875])
    assert_array_equal(p2, [0.125, -2.3125])
    assert_array_equal(optimizer.velocities[0], [-0.625, -0.4375])


def test_nesterov():
    # p -> p + mu v - eta g with the new v (v as for momentum):
    # p1 = [1 - 0.125 - 0.25, -2 + 0.0625 + 0.125] = [0.625, -1.8125];
    # p2 = [0.625 - 0.3125 - 0.5, -1.8125 - 0.21875 - 0.5].
    (p1, p2), optimizer = two_steps(momentum=0.5, nesterov=True)
    assert_array_equal(p1, [0.625, -1.8125])
    assert_array_equal(p2, [-0.1875, -2.53125])
    assert_array_equal(optimizer.velocities[0], [-0.625, -0.4375])


def test_l2_term_then_plain_step():
    # A batch of m = 4: grad + alpha * w / m = [1 + 0.25, 1 - 0.5] for
    # alpha = 0.5, w = [2, -4]; then w -> w - 0.5 * grad.
    w = np.array([2.0, -4.0])
    grad = np.array([1.0, 1.0])
    optimizer = SGDOptimizer([w], 0.5, alpha=0.5)
    optimizer.add_l2_gradient(grad, w, 1 / 4)
    assert_array_equal(grad, [1.25, 0.5])
    optimizer.step(w, grad)
    assert_array_equal(w, [1.375, -4.25])


def test_no_l2_term_without_alpha():
    grad = np.array([1.0, 1.0])
    SGDOptimizer([], 0.5).add_l2_gradient(grad, np.array([2.0, -4.0]), 1 / 4)
    assert_array_equal(grad, [1.0, 1.0])


def test_update_params_steps_each_array_with_its_velocity():
    w, b = np.array([[1.0, -2.0]]), np.array([0.5])
    optimizer = SGDOptimizer([w, b], 0.5, momentum=0.5)
    optimizer.update_params([w, b], [np.array([[0.5, -0.25]]), np.array([1.0])])
    assert_array_equal(w, [[0.75, -1.875]])
    assert_array_equal(b, [0.0])
    assert_array_equal(optimizer.velocities[1], [-0.5])


@pytest.mark.parametrize(
    "settings, rate",
    [
        (dict(), 0.5),
        (dict(momentum=0.5), None),
        (dict(alpha=0.5), None),
        (dict(momentum=0.5, nesterov=True), None),
    ],
    ids=str,
)
def test_folded_rate_only_for_the_plain_rule(settings, rate):
    assert SGDOptimizer([np.zeros(2)], 0.5, **settings).folded_rate() == rate


def test_folded_rate_follows_the_schedule():
    optimizer = SGDOptimizer([], 1.0, lr_schedule="invscaling", power_t=0.5)
    optimizer.iteration_ends(3)
    assert optimizer.folded_rate() == 0.5


def test_layer_velocities_pair_coefs_with_intercepts():
    coefs = [np.zeros((3, 2)), np.zeros((2, 1))]
    intercepts = [np.zeros(2), np.zeros(1)]
    optimizer = SGDOptimizer(coefs + intercepts, 0.5, momentum=0.5)
    pairs = optimizer.layer_velocities()
    v = optimizer.velocities
    assert len(pairs) == 2
    for (vw, vb), w, b, want_w, want_b in zip(pairs, coefs, intercepts, v, v[2:]):
        assert vw is want_w and vb is want_b
        assert vw.shape == w.shape and vb.shape == b.shape
    assert SGDOptimizer(coefs + intercepts, 0.5).layer_velocities() is None


@pytest.mark.parametrize("schedule", ["constant", "adaptive"])
def test_constant_and_adaptive_keep_the_rate_after_an_epoch(schedule):
    optimizer = SGDOptimizer([], 0.5, lr_schedule=schedule)
    optimizer.iteration_ends(100)
    assert optimizer.learning_rate == 0.5


def test_invscaling():
    # eta = 1 / (t + 1) ** 0.5: 1/2 after 3 samples, 1/4 after 15.
    optimizer = SGDOptimizer([], 1.0, lr_schedule="invscaling", power_t=0.5)
    optimizer.iteration_ends(3)
    assert optimizer.learning_rate == 0.5
    optimizer.iteration_ends(15)
    assert optimizer.learning_rate == 0.25
    assert optimizer.learning_rate_init == 1.0


@pytest.mark.parametrize("schedule", ["constant", "invscaling"])
def test_a_stall_stops_constant_and_invscaling(schedule, capsys):
    optimizer = SGDOptimizer([], 0.5, lr_schedule=schedule)
    assert optimizer.trigger_stopping("No improvement.", verbose=True)
    assert optimizer.learning_rate == 0.5
    assert capsys.readouterr().out == "No improvement. Stopping.\n"


def test_adaptive_divides_by_five_until_below_1e_6(capsys):
    optimizer = SGDOptimizer([], 1.0, lr_schedule="adaptive")
    rates = []
    while not optimizer.trigger_stopping("Stalled.", verbose=False):
        rates.append(optimizer.learning_rate)
    # 5 ** -9 = 5.12e-7 is the first rate at or below 1e-6.
    assert rates == pytest.approx([5.0**-k for k in range(1, 10)], rel=1e-12)
    assert optimizer.learning_rate == rates[-1]
    assert capsys.readouterr().out == ""


def test_adaptive_says_its_new_rate(capsys):
    optimizer = SGDOptimizer([], 0.5, lr_schedule="adaptive")
    assert not optimizer.trigger_stopping("Stalled.", verbose=True)
    assert capsys.readouterr().out == "Stalled. Setting learning rate to 0.100000\n"


def test_settings_give_back_the_constructor_keywords():
    settings = dict(
        learning_rate_init=0.25,
        lr_schedule="invscaling",
        momentum=0.5,
        nesterov=True,
        power_t=0.25,
        alpha=1e-3,
    )
    assert SGDOptimizer([np.zeros(2)], **settings).settings() == settings
