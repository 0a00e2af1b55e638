"""
=================================================
Which digits it confuses, and its surest mistakes
=================================================

Train the book's network on scikit-learn's 8x8 digits, draw the confusion
matrix of its predictions on held-out digits with
:class:`~sklearn.metrics.ConfusionMatrixDisplay`, and show the misclassified
digits on which it was most confident.
"""

# %%
# The book's network
# ------------------
# Chapter 1's settings, the pixels divided by 16 so that they lie in [0, 1].
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.model_selection import train_test_split

from skdigitnet import SigmoidMLPClassifier

digits = load_digits()
X_train, X_test, y_train, y_test, img_train, img_test = train_test_split(
    digits.data / 16,
    digits.target,
    digits.images,
    test_size=0.5,
    stratify=digits.target,
    random_state=0,
)
clf = SigmoidMLPClassifier(random_state=0).fit(X_train, y_train)
y_pred = clf.predict(X_test)
n_wrong = int(np.sum(y_pred != y_test))
print(f"held-out accuracy {clf.score(X_test, y_test):.3f}: {n_wrong} mistakes")

# %%
# The confusion matrix
# --------------------
# Row: the true digit; column: the network's answer. The diagonal holds the
# digits read correctly; everything off it is a mistake.
fig, ax = plt.subplots(figsize=(5.5, 5), layout="constrained")
ConfusionMatrixDisplay.from_predictions(y_test, y_pred, ax=ax, colorbar=False)
ax.set_title("64-30-10 network, held-out digits")
plt.show()

# %%
# The surest mistakes
# -------------------
# :meth:`~skdigitnet.SigmoidMLPClassifier.predict_proba` gives the output
# activations normalised to sum to 1 (not calibrated probabilities, but they
# rank the answers). Among the misclassified digits, those whose wrong answer
# took the largest share are the network's surest mistakes. Several are
# digits a person would hesitate over too.
proba = clf.predict_proba(X_test)
wrong = np.flatnonzero(y_pred != y_test)
surest = wrong[np.argsort(proba[wrong].max(axis=1))[::-1][:10]]
fig, axes = plt.subplots(2, 5, figsize=(8, 4), layout="constrained")
for ax, i in zip(axes.ravel(), surest):
    ax.imshow(img_test[i], cmap="gray_r")
    ax.set_title(
        f"true {y_test[i]}, said {y_pred[i]}\nshare {proba[i].max():.2f}",
        fontsize=9,
    )
    ax.set_xticks([])
    ax.set_yticks([])
for ax in axes.ravel()[len(surest) :]:
    ax.set_visible(False)
fig.suptitle("The misclassified digits with the highest predict_proba")
plt.show()
