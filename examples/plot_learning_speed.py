"""
==================================================
The speed of learning per layer (chapter 5)
==================================================

Chapter 5 of the book asks why deep sigmoid networks are hard to train, and
measures how fast each hidden layer learns by the size of the gradient of
the cost with respect to that layer's biases, :math:`\\|\\delta^l\\|`. In a
network with three hidden layers the early layers learn several times more
slowly than the later ones: the vanishing gradient problem. With
``monitor="learning_speed"`` the classifier records these norms after each
epoch in ``history_``, computed as the book does, by backpropagation over
the training data with the epoch's final weights.
"""

# %%
# A 64-30-30-30-10 network on 1,000 digits
# ----------------------------------------
# Cross-entropy cost, weights from N(0, 1/n_in) (chapter 3's improved
# initialisation), η = 0.1, mini-batches of 10, 100 epochs.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits

from skdigitnet import SigmoidMLPClassifier

X, y = load_digits(return_X_y=True)
X_train, y_train, X_test, y_test = X[:1000] / 16, y[:1000], X[1000:] / 16, y[1000:]
n_epochs = 100
clf = SigmoidMLPClassifier(
    hidden_layer_sizes=(30, 30, 30),
    loss="cross_entropy",
    weight_init="scaled",
    learning_rate_init=0.1,
    max_iter=n_epochs,
    random_state=0,
    monitor=["learning_speed", "training_accuracy"],
)
clf.fit(X_train, y_train)
print(f"held-out accuracy after {n_epochs} epochs: {clf.score(X_test, y_test):.3f}")

# %%
# One norm per layer after the input: the three hidden layers, then the
# output layer.
speed = np.array([row["learning_speed"] for row in clf.history_])
epochs = np.arange(1, n_epochs + 1)
print("after epoch 1:", ", ".join(f"{s:.4f}" for s in speed[0]))

# %%
# The speeds per hidden layer
# ---------------------------
# For the first twenty epochs each hidden layer learns four to six times
# more slowly than the one after it, the pattern of the book's figures for
# MNIST, and the network hardly improves. Then the gradients grow, the
# training accuracy climbs, and from about epoch 40 the three layers learn
# at similar speeds (later the first even fastest): on the easy 8x8 digits
# this network escapes the slowdown, which the book's deeper networks on
# MNIST do not.
accuracy = np.array([row["training_accuracy"] for row in clf.history_])
fig, (ax, ax_acc) = plt.subplots(
    2, 1, figsize=(7, 6), sharex=True, height_ratios=(2, 1), layout="constrained"
)
for layer in range(speed.shape[1] - 1):
    ax.plot(epochs, speed[:, layer], label=f"hidden layer {layer + 1}")
ax.set(ylabel=r"$\|\delta^l\|$", yscale="log")
ax.set_title("Speed of learning of each hidden layer")
ax.legend()
ax_acc.plot(epochs, accuracy, color="black")
ax_acc.set(xlabel="epoch", ylabel="training accuracy")
plt.show()
