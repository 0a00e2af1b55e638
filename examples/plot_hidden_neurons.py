"""
=========================================
What the 30 hidden neurons look at
=========================================

Each hidden neuron of the book's 64-30-10 network computes
σ(w · x + b) from the 64 pixels of an 8x8 digit, so its 64 incoming weights
can be drawn as an 8x8 image. Red pixels have positive weights: ink there
pushes the neuron on. Blue pixels have negative weights: ink there pushes it
off. White ones, near zero, barely matter. The weights into hidden neuron
``j`` are column ``j`` of ``coefs_[0]`` (row ``j`` of the book's
``weights[0]``).
"""

# %%
# Train the book's network
# ------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits

from skdigitnet import SigmoidMLPClassifier

X, y = load_digits(return_X_y=True)
X = X / 16

clf = SigmoidMLPClassifier(random_state=0).fit(X, y)
print(f"training accuracy: {clf.score(X, y):.3f}")
print("weight shapes:", [w.shape for w in clf.coefs_])

# %%
# The weights as images
# ---------------------
# One symmetric colour scale per figure, so that the neurons compare. Above
# each image, the digit that activates the neuron most on average.


def plot_hidden_weights(clf, title):
    weights = clf.coefs_[0].T.reshape(-1, 8, 8)
    hidden = clf.hidden_activations(X)
    mean_by_digit = np.array(
        [hidden[y == digit].mean(axis=0) for digit in clf.classes_]
    )
    favourite = clf.classes_[mean_by_digit.argmax(axis=0)]

    vmax = np.abs(weights).max()
    fig, axes = plt.subplots(5, 6, figsize=(7, 6.5), layout="constrained")
    for j, (ax, w) in enumerate(zip(axes.ravel(), weights)):
        image = ax.imshow(w, cmap="RdBu_r", vmin=-vmax, vmax=vmax)
        ax.set_title(f"neuron {j}: {favourite[j]}", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(image, ax=axes, shrink=0.6, label="weight")
    fig.suptitle(title)


plot_hidden_weights(clf, "weights from N(0, 1), as in chapter 1")

# %%
# The weights start as N(0, 1) noise, and thirty epochs change them only
# partly, so most images are still speckled. The pixels at the left and right
# edges are blank in almost every digit: by (BP4) a weight's gradient is its
# input times the neuron's error, so the weights from those pixels keep their
# random initial values.
#
# Chapter 3's initialisation draws the weights from N(0, 1/n_in), here with a
# standard deviation of 1/8, so the noise is eight times fainter and what
# training adds stands out: strokes and blobs, each the piece of some digits
# that the neuron responds to. No neuron needs to look like a whole digit;
# the output layer combines them.
clf_scaled = SigmoidMLPClassifier(weight_init="scaled", random_state=0).fit(X, y)
print(f"training accuracy, scaled initialisation: {clf_scaled.score(X, y):.3f}")
plot_hidden_weights(clf_scaled, "weights from N(0, 1/n_in), as in chapter 3")
plt.show()
