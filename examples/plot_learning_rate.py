"""
==============================================
The learning rate: too small, right, too large
==============================================

Chapter 1 of the book tries its network with η = 3.0, then with η = 0.001,
far too small, and η = 100, far too large. This example does the same on
scikit-learn's 8x8 digits, scoring the held-out digits after every epoch.
"""

# %%
# One epoch at a time
# -------------------
# :meth:`~skdigitnet.SigmoidMLPClassifier.partial_fit` runs one epoch per
# call (as ``warm_start=True`` with ``max_iter=1`` would), so the held-out
# accuracy can be read after each, like the book's ``Epoch j: k / n`` lines.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skdigitnet import SigmoidMLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X / 16, y, test_size=0.25, stratify=y, random_state=0
)
classes = np.unique(y)

etas = {
    "η = 0.001 (too small)": 0.001,
    "η = 3.0 (the book's)": 3.0,
    "η = 100 (too large)": 100.0,
}
n_epochs = 30
curves = {}
for name, eta in etas.items():
    clf = SigmoidMLPClassifier(learning_rate_init=eta, random_state=0)
    accuracy = []
    for epoch in range(n_epochs):
        clf.partial_fit(X_train, y_train, classes=classes)
        accuracy.append(clf.score(X_test, y_test))
    curves[name] = accuracy
    print(f"{name}: {accuracy[-1]:.3f} after {n_epochs} epochs")

# %%
# Accuracy per epoch
# ------------------
# With η = 0.001 each step changes the weights so little that after 30
# epochs the network is still close to its random start. With η = 100 the
# steps overshoot: the weights grow large, the sigmoid neurons saturate, and
# their gradients, which carry σ'(z), vanish, so learning stops at a poor
# accuracy. η = 3.0 learns within a few epochs.
epochs = np.arange(1, n_epochs + 1)
fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
for name, accuracy in curves.items():
    ax.plot(epochs, accuracy, marker=".", label=name)
ax.axhline(0.1, color="grey", linestyle=":", label="guessing (0.1)")
ax.set(xlabel="epoch", ylabel="held-out accuracy", ylim=(0, 1))
ax.set_title("64-30-10 network, quadratic cost, mini-batches of 10")
ax.legend(loc="center right")
plt.show()
