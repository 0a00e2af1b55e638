"""Stochastic gradient descent: the update rule and its schedules, in one place.

In the spirit of scikit-learn's ``neural_network/_stochastic_optimizers.py``:
an object that holds the learning rate, the momentum velocities and the
L2 strength, applies the update rule to parameters given their gradients
(:meth:`SGDOptimizer.update_params`), changes the learning rate at the end
of each epoch (:meth:`SGDOptimizer.iteration_ends`) and when training
stalls (:meth:`SGDOptimizer.trigger_stopping`). Both training paths, the
book's :func:`skdigitnet._network.update_mini_batch` and the buffered dense
epoch, step through :meth:`SGDOptimizer.step`; the buffered epoch alone folds
the plain rule, ``p -= eta * grad``, into the BLAS call that computes
``grad``, when :meth:`SGDOptimizer.folded_rate` says it may. The buffered
epoch asks these methods and reads none of the attributes, so that the rule
can change here alone.
"""

import numpy as np

# Below this learning rate the "adaptive" schedule gives up, as scikit-learn's.
_MIN_ADAPTIVE_RATE = 1e-6


class SGDOptimizer:
    """Mini-batch SGD with optional L2, momentum, Nesterov and schedules.

    Parameters
    ----------
    params : list of ndarray
        The parameters to train, ``coefs + intercepts``: velocities are
        made in their shapes when ``momentum > 0``.
    learning_rate_init : float
        The book's ``eta``.
    lr_schedule : {"constant", "invscaling", "adaptive"}
        How the learning rate changes (see :meth:`iteration_ends` and
        :meth:`trigger_stopping`).
    momentum : float
        The momentum ``mu`` in [0, 1]; 0 is the book's plain rule.
    nesterov : bool
        Whether to take Nesterov's step.
    power_t : float
        The exponent of ``"invscaling"``.
    alpha : float
        The L2 strength: the weights' gradient of a batch of ``m`` samples
        gains ``alpha * w / m``. The gradient's computation adds it; it is
        kept here with the rest of the rule's settings.

    Attributes
    ----------
    learning_rate : float
        The learning rate in use now.
    velocities : list of ndarray or None
        One per parameter, ``None`` without momentum.
    """

    def __init__(
        self,
        params,
        learning_rate_init=3.0,
        lr_schedule="constant",
        momentum=0.0,
        nesterov=False,
        power_t=0.5,
        alpha=0.0,
    ):
        self.learning_rate_init = float(learning_rate_init)
        self.learning_rate = float(learning_rate_init)
        self.lr_schedule = lr_schedule
        self.momentum = momentum
        self.nesterov = nesterov
        self.power_t = power_t
        self.alpha = alpha
        self.velocities = None
        if momentum > 0:
            self.velocities = [np.zeros_like(p) for p in params]

    def settings(self):
        """Return the settings the optimizer was made with, as keywords."""
        names = ["learning_rate_init", "lr_schedule", "momentum", "nesterov"]
        return {name: getattr(self, name) for name in names + ["power_t", "alpha"]}

    def folded_rate(self):
        """Return ``eta`` if a step is the book's plain rule, else ``None``.

        Without momentum and L2 a step is ``p -= eta * grad``, which a
        caller may fold into the product that computes ``grad`` instead of
        calling :meth:`step`.
        """
        if self.velocities is None and not self.alpha:
            return self.learning_rate
        return None

    def add_l2_gradient(self, grad, weights, scale):
        """Add the L2 term ``scale * alpha * weights`` to ``grad``, in place.

        ``scale`` is ``1 / m`` for a batch of ``m`` samples; biases take no
        L2 term. Does nothing when ``alpha`` is 0.
        """
        if self.alpha:
            grad += (scale * self.alpha) * weights

    def layer_velocities(self):
        """Pair the velocities of each layer's weights and biases.

        The parameters are ``coefs + intercepts``, so are the velocities.

        Returns
        -------
        pairs : list of (ndarray, ndarray) or None
            ``(velocity of coefs[l], velocity of intercepts[l])`` for each
            layer ``l``, the optimizer's own arrays, to update in place;
            ``None`` without momentum.
        """
        if self.velocities is None:
            return None
        n = len(self.velocities) // 2
        return list(zip(self.velocities[:n], self.velocities[n:]))

    def update_params(self, params, grads):
        """Take one step of every parameter, in place, given its gradient.

        ``grads`` are the gradients of the batch's mean cost, shaped as
        ``params``; they are overwritten.
        """
        velocities = self.velocities or [None] * len(params)
        for param, grad, velocity in zip(params, grads, velocities):
            self.step(param, grad, velocity)

    def step(self, param, grad, velocity=None):
        """Apply the update rule to one array of parameters, in place.

        Plain SGD, the book's rule: ``p -> p - eta * grad``. With momentum
        ``mu``: ``v -> mu * v - eta * grad``, then ``p -> p + v``, or, with
        Nesterov's momentum, ``p -> p + mu * v - eta * grad`` with the new
        ``v``. ``grad`` is overwritten by ``eta * grad``.
        """
        step = np.multiply(grad, self.learning_rate, out=grad)
        if velocity is None:
            param -= step
            return
        velocity *= self.momentum
        velocity -= step
        if self.nesterov:
            param += self.momentum * velocity
            param -= step
        else:
            param += velocity

    def iteration_ends(self, time_step):
        """Update the learning rate after an epoch, ``time_step`` samples in.

        ``"invscaling"`` sets ``eta = learning_rate_init / (t + 1) **
        power_t``; the other schedules keep it.
        """
        if self.lr_schedule == "invscaling":
            self.learning_rate = (
                self.learning_rate_init / (time_step + 1) ** self.power_t
            )

    def trigger_stopping(self, msg, verbose):
        """Decide what training does when it has stopped improving.

        ``"adaptive"`` divides the learning rate by 5 and goes on, until it
        falls below 1e-6; any other schedule stops.

        Returns
        -------
        stop : bool
            Whether training should stop.
        """
        if self.lr_schedule != "adaptive" or (self.learning_rate <= _MIN_ADAPTIVE_RATE):
            if verbose:
                print(msg + " Stopping.")
            return True
        self.learning_rate /= 5.0
        if verbose:
            print(msg + f" Setting learning rate to {self.learning_rate:f}")
        return False
