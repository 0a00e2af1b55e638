"""The book's chapter-1 ``network.py``, ported to Python 3 and numpy.

This is Nielsen's per-example algorithm, kept as close to the original as
Python 3 allows: column vectors, ``weights[l]`` of shape ``(fan_out, fan_in)``
and a Python loop over the examples of each mini-batch. It is the reference
the benchmarks compare ``SigmoidMLPClassifier`` against.

Two changes from the book: randomness comes from a ``numpy.random.Generator``
passed in (the book uses numpy's global generator), and initial ``weights``
and ``biases`` may be given. ``training_data`` and ``test_data`` are lists of
``(x, y)`` tuples as in the book: ``x`` has shape ``(784, 1)``; ``y`` is a
one-hot ``(10, 1)`` vector for training data and an ``int`` for test data.
"""

import numpy as np


class Network:
    def __init__(self, sizes, rng=None, weights=None, biases=None):
        """``sizes`` lists the neurons per layer, e.g. ``[784, 30, 10]``.

        Biases and weights are drawn from N(0, 1) unless given; the input
        layer has no biases.
        """
        self.rng = np.random.default_rng() if rng is None else rng
        self.num_layers = len(sizes)
        self.sizes = sizes
        if biases is None:
            biases = [self.rng.standard_normal((y, 1)) for y in sizes[1:]]
        if weights is None:
            weights = [
                self.rng.standard_normal((y, x)) for x, y in zip(sizes[:-1], sizes[1:])
            ]
        self.biases = [np.array(b, dtype=float) for b in biases]
        self.weights = [np.array(w, dtype=float) for w in weights]

    def feedforward(self, a):
        """Return the output of the network if ``a`` is input."""
        for b, w in zip(self.biases, self.weights):
            a = sigmoid(np.dot(w, a) + b)
        return a

    def SGD(self, training_data, epochs, mini_batch_size, eta, test_data=None):
        """Train by mini-batch stochastic gradient descent.

        With ``test_data``, evaluate after each epoch and print progress
        (useful for tracking, but slows things down).
        """
        training_data = list(training_data)
        n = len(training_data)
        if test_data:
            test_data = list(test_data)
            n_test = len(test_data)
        for j in range(epochs):
            self.rng.shuffle(training_data)
            mini_batches = [
                training_data[k : k + mini_batch_size]
                for k in range(0, n, mini_batch_size)
            ]
            for mini_batch in mini_batches:
                self.update_mini_batch(mini_batch, eta)
            if test_data:
                print(f"Epoch {j}: {self.evaluate(test_data)} / {n_test}")
            else:
                print(f"Epoch {j} complete")

    def update_mini_batch(self, mini_batch, eta):
        """Apply one gradient descent step, by backprop, to one mini-batch."""
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
        self.weights = [
            w - (eta / len(mini_batch)) * nw for w, nw in zip(self.weights, nabla_w)
        ]
        self.biases = [
            b - (eta / len(mini_batch)) * nb for b, nb in zip(self.biases, nabla_b)
        ]

    def backprop(self, x, y):
        """Return ``(nabla_b, nabla_w)``, the gradient of the cost for ``x``.

        Layer by layer lists like ``self.biases`` and ``self.weights``.
        """
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        # feedforward
        activation = x
        activations = [x]  # all the activations, layer by layer
        zs = []  # all the z vectors, layer by layer
        for b, w in zip(self.biases, self.weights):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        # backward pass
        delta = self.cost_derivative(activations[-1], y) * sigmoid_prime(zs[-1])
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        # l counts layers from the end, unlike the book's text: l = 1 is the
        # last layer, l = 2 the second-last, and so on (Python's negative
        # indices).
        for l in range(2, self.num_layers):  # noqa: E741 (the book's symbol)
            z = zs[-l]
            sp = sigmoid_prime(z)
            delta = np.dot(self.weights[-l + 1].transpose(), delta) * sp
            nabla_b[-l] = delta
            nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())
        return (nabla_b, nabla_w)

    def evaluate(self, test_data):
        """Return how many test inputs the network classifies correctly.

        The output is the index of the neuron with the highest activation.
        """
        test_results = [(np.argmax(self.feedforward(x)), y) for (x, y) in test_data]
        return sum(int(x == y) for (x, y) in test_results)

    def cost_derivative(self, output_activations, y):
        """Return the vector of partial derivatives dC_x/da for the output."""
        return output_activations - y


def sigmoid(z):
    """The sigmoid function."""
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    """Derivative of the sigmoid function."""
    return sigmoid(z) * (1 - sigmoid(z))
