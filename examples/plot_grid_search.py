"""
=========================================
Tuning the network with GridSearchCV
=========================================

:class:`~skdigitnet.SigmoidMLPClassifier` is a scikit-learn estimator, so it
goes into a :class:`~sklearn.pipeline.Pipeline` and is tuned by
:class:`~sklearn.model_selection.GridSearchCV` like any other. Here the
pipeline scales the pixels to [0, 1], as the book's inputs are, and the
search picks the cost and the learning rate η by cross-validation.
"""

# %%
# The pipeline and the grid
# -------------------------
# Six candidates, three folds each: 18 networks of 30 epochs, a few seconds
# in all (``n_jobs=-1`` would train them in parallel).
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from skdigitnet import SigmoidMLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)

pipe = make_pipeline(MinMaxScaler(), SigmoidMLPClassifier(random_state=0))
param_grid = {
    "sigmoidmlpclassifier__loss": ["squared_error", "cross_entropy"],
    "sigmoidmlpclassifier__learning_rate_init": [0.1, 0.5, 3.0],
}
search = GridSearchCV(pipe, param_grid, cv=3)
search.fit(X_train, y_train)

print("best parameters:", search.best_params_)
print(f"cross-validated accuracy: {search.best_score_:.3f}")
print(f"held-out accuracy: {search.score(X_test, y_test):.3f}")

# %%
# Accuracy against η for each cost
# --------------------------------
# The quadratic cost's gradient carries the output neurons' σ'(z), at most
# 1/4, so it wants a larger η than the cross-entropy does.
results = search.cv_results_
etas = np.array(param_grid["sigmoidmlpclassifier__learning_rate_init"])
fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
for loss in param_grid["sigmoidmlpclassifier__loss"]:
    mask = results["param_sigmoidmlpclassifier__loss"] == loss
    order = np.argsort(results["param_sigmoidmlpclassifier__learning_rate_init"][mask])
    mean = results["mean_test_score"][mask][order]
    std = results["std_test_score"][mask][order]
    ax.errorbar(etas, mean, yerr=std, marker="o", capsize=3, label=loss)
ax.set(xscale="log", xlabel="learning_rate_init (η)", ylabel="CV accuracy")
ax.legend(title="loss")
plt.show()
