"""
=========================================
Learning curves: the book and chapter 3
=========================================

Train the network of chapter 1 on scikit-learn's 8x8 digits one epoch at a
time, and record after each epoch the training loss and the accuracy on
held-out digits, the book's ``Epoch j: k / n`` lines. The same network is then
trained with chapter 3's two improvements: the cross-entropy cost, and
cross-entropy together with weights drawn from N(0, 1/n_in).
"""

# %%
# The data
# --------
# The book's MNIST pixels lie in [0, 1]; the digits' pixels are integers
# from 0 to 16, so they are divided by 16.
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

# %%
# Three networks, 30 epochs each
# ------------------------------
# Every network is 64-30-10 with mini-batches of 10. The book uses η = 3.0
# with the quadratic cost and η = 0.5 with the cross-entropy, whose gradient
# lacks the small factor σ'(z) of the output layer.
# :meth:`~skdigitnet.SigmoidMLPClassifier.partial_fit` runs one epoch per
# call, and 30 calls train the network exactly as
# :meth:`~skdigitnet.SigmoidMLPClassifier.fit` with ``max_iter=30`` would.
settings = {
    "book: quadratic cost, N(0, 1), η = 3.0": dict(
        loss="squared_error", weight_init="gaussian", learning_rate_init=3.0
    ),
    "cross-entropy, N(0, 1), η = 0.5": dict(
        loss="cross_entropy", weight_init="gaussian", learning_rate_init=0.5
    ),
    "cross-entropy, N(0, 1/n_in), η = 0.5": dict(
        loss="cross_entropy", weight_init="scaled", learning_rate_init=0.5
    ),
}
n_epochs = 30
curves = {}
for name, params in settings.items():
    clf = SigmoidMLPClassifier(random_state=0, **params)
    accuracy = []
    for epoch in range(n_epochs):
        clf.partial_fit(X_train, y_train, classes=classes)
        accuracy.append(clf.score(X_test, y_test))
    curves[name] = clf.loss_curve_, accuracy
    print(f"{name}: {accuracy[-1]:.3f} held-out accuracy after {n_epochs} epochs")

# %%
# The curves
# ----------
# ``loss_curve_`` holds each epoch's training loss, measured in the network's
# own cost: the quadratic and the cross-entropy losses are on different
# scales, so only their shapes compare. Held-out accuracy compares directly.
epochs = np.arange(1, n_epochs + 1)
fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
for name, (loss_curve, accuracy) in curves.items():
    ax_loss.plot(epochs, loss_curve, label=name)
    ax_acc.plot(epochs, accuracy, label=name)
ax_loss.set(xlabel="epoch", ylabel="training loss (own cost)", yscale="log")
ax_loss.set_title("loss_curve_")
ax_acc.set(xlabel="epoch", ylabel="accuracy", ylim=(0.6, 1.0))
ax_acc.set_title("held-out accuracy")
ax_acc.legend(loc="lower right")
plt.show()
