"""
=====================================================
Overfitting: the book's four monitors (chapter 3)
=====================================================

Chapter 3 of the book trains a 784-30-10 network with the cross-entropy cost
on only 1,000 MNIST images for hundreds of epochs, and watches four curves
that ``network2.SGD`` returns when its ``monitor_*`` switches are on: the cost
and the accuracy on the training data and on the evaluation data. Here the
same experiment runs on 1,000 of scikit-learn's 8x8 digits, with the other
797 as evaluation data, passed to ``fit`` as ``X_val`` and ``y_val``; the
``monitor`` parameter asks for the four curves, which ``history_`` records
after each epoch.
"""

# %%
# Training on 1,000 digits for 400 epochs
# ---------------------------------------
# The book's settings: sigmoid neurons, weights from N(0, 1), cross-entropy,
# η = 0.5, mini-batches of 10. The default ``tol=None`` runs every epoch,
# as the book does.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skdigitnet import SigmoidMLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_val, y_train, y_val = train_test_split(
    X / 16, y, train_size=1000, stratify=y, random_state=0
)
n_epochs = 400
clf = SigmoidMLPClassifier(
    loss="cross_entropy",
    learning_rate_init=0.5,
    max_iter=n_epochs,
    random_state=0,
    monitor=[
        "training_cost",
        "training_accuracy",
        "evaluation_cost",
        "evaluation_accuracy",
    ],
)
clf.fit(X_train, y_train, X_val=X_val, y_val=y_val)

# %%
# ``history_`` is a list of dicts, one per epoch (``pandas.DataFrame``
# takes it as it is); here its columns become arrays.
history = {key: np.array([row[key] for row in clf.history_]) for key in clf.history_[0]}
epochs = history["epoch"]
best = int(epochs[np.argmin(history["evaluation_cost"])])
print(f"evaluation cost lowest at epoch {best}")
print(
    f"training accuracy 100% from epoch {epochs[history['training_accuracy'] == 1][0]}"
)
print(
    f"evaluation accuracy: {history['evaluation_accuracy'].max():.3f} at best, "
    f"{history['evaluation_accuracy'][-1]:.3f} after {n_epochs} epochs"
)

# %%
# The four curves
# ---------------
# The training cost falls for as long as training runs, and after some fifty
# epochs the network classifies every training digit right. On the
# evaluation digits the cost is lowest around epoch 90 (dotted) and then
# rises again, while the accuracy stops improving: from there on the
# network learns peculiarities of its 1,000 digits rather than digits, which
# is what chapter 3 calls overfitting. Its remedies (more data, L2
# regularisation with ``alpha``, early stopping) are parameters of the
# classifier.
fig, axes = plt.subplots(2, 2, figsize=(10, 7), sharex=True, layout="constrained")
curves = [
    ("training_cost", "training cost", "log"),
    ("evaluation_cost", "evaluation cost", "linear"),
    ("training_accuracy", "training accuracy", "linear"),
    ("evaluation_accuracy", "evaluation accuracy", "linear"),
]
for ax, (key, title, scale) in zip(axes.flat, curves):
    ax.plot(epochs, history[key], color="C1" if "evaluation" in key else "C0")
    ax.axvline(best, color="grey", linestyle=":")
    ax.set(title=title, yscale=scale)
axes[0, 1].set_ylim(0.2, 0.3)
axes[1, 0].set_ylim(0.9, 1.005)
axes[1, 1].set_ylim(0.9, 1.005)
for ax in axes[1]:
    ax.set_xlabel("epoch")
fig.suptitle(
    f"64-30-10, cross-entropy, 1,000 digits (dotted: epoch {best}, "
    "lowest evaluation cost)"
)
plt.show()
