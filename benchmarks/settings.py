"""The figures of the docs' "Choosing settings" page, on scikit-learn's digits.

Each setting is scored by 5-fold stratified cross-validation on the 1,797 8x8
digits (scikit-learn's ``cross_validate``, folds fixed by the data order,
``random_state=0`` for the network), starting from the book's defaults
(64-30-10, quadratic cost, N(0, 1) weights, eta = 3.0, mini-batches of 10,
30 epochs) with the pixels scaled to [0, 1] by ``MinMaxScaler``, and
changing one thing at a time. Mean accuracy, its standard deviation over the
folds, and the mean fit time are printed as a Markdown table, with the
fraction of saturated hidden neurons (activation below 0.02 or above 0.98)
after training for the scaling rows.

Run from the repository root (about two minutes on two cores)::

    python benchmarks/settings.py
"""

import os
import platform
import time
import warnings

import numpy as np
import sklearn
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, StandardScaler

import skdigitnet
from skdigitnet import SaturationWarning, SigmoidMLPClassifier

SCALERS = {
    "MinMaxScaler": MinMaxScaler,
    "StandardScaler": StandardScaler,
    "none (pixels 0..16)": lambda: FunctionTransformer(),
}

# (group, label, scaler, classifier parameters, input dtype)
ROWS = [
    ("scaling", "MinMaxScaler, defaults", "MinMaxScaler", {}, np.float64),
    ("scaling", "StandardScaler, defaults", "StandardScaler", {}, np.float64),
    ("scaling", "no scaling (0..16), defaults", "none (pixels 0..16)", {}, np.float64),
    (
        "scaling",
        'StandardScaler, weight_init="scaled"',
        "StandardScaler",
        {"weight_init": "scaled"},
        np.float64,
    ),
    (
        "scaling",
        'MinMaxScaler, weight_init="scaled"',
        "MinMaxScaler",
        {"weight_init": "scaled"},
        np.float64,
    ),
]
for loss, etas in {
    "squared_error": (0.3, 1.0, 3.0, 10.0),
    "cross_entropy": (0.1, 0.5, 2.0),
    "log_loss": (0.03, 0.1, 0.5, 2.0),
}.items():
    for eta in etas:
        ROWS.append(
            (
                "eta per loss",
                f"loss={loss!r}, eta={eta}",
                "MinMaxScaler",
                {"loss": loss, "learning_rate_init": eta},
                np.float64,
            )
        )
for hidden in [(10,), (30,), (100,), (100, 30)]:
    for init in ("gaussian", "scaled"):
        ROWS.append(
            (
                "hidden sizes and weight_init",
                f"hidden_layer_sizes={hidden}, weight_init={init!r}",
                "MinMaxScaler",
                {"hidden_layer_sizes": hidden, "weight_init": init},
                np.float64,
            )
        )
for batch, eta in [(1, 0.3), (10, 3.0), (32, 3.0), (100, 3.0), (100, 10.0)]:
    ROWS.append(
        (
            "batch size",
            f"batch_size={batch}, eta={eta}",
            "MinMaxScaler",
            {"batch_size": batch, "learning_rate_init": eta},
            np.float64,
        )
    )
for epochs in (10, 30, 100):
    ROWS.append(
        (
            "epochs and early stopping",
            f"max_iter={epochs}",
            "MinMaxScaler",
            {"max_iter": epochs, "n_iter_no_change": epochs},
            np.float64,
        )
    )
ROWS.append(
    (
        "epochs and early stopping",
        "max_iter=100, early_stopping=True",
        "MinMaxScaler",
        {"max_iter": 100, "early_stopping": True},
        np.float64,
    )
)
ROWS.append(("dtype", "float64 input", "MinMaxScaler", {}, np.float64))
ROWS.append(("dtype", "float32 input", "MinMaxScaler", {}, np.float32))


def saturation(pipe, X):
    """Fraction of hidden activations below 0.02 or above 0.98."""
    *steps, clf = pipe.steps
    Xt = X
    for _, step in steps:
        Xt = step.transform(Xt)
    hidden = clf[1].hidden_activations(Xt, layer=0)
    return float(np.mean((hidden < 0.02) | (hidden > 0.98)))


def main():
    X, y = load_digits(return_X_y=True)
    start = time.perf_counter()
    print("| Group | Setting | CV accuracy | Fit s | Saturated |")
    print("|---|---|---:|---:|---:|")
    for group, label, scaler, params, dtype in ROWS:
        pipe = make_pipeline(
            SCALERS[scaler](), SigmoidMLPClassifier(random_state=0, **params)
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            # The saturated rows are the point of the scaling table, whose
            # last column measures the saturation.
            warnings.simplefilter("ignore", SaturationWarning)
            result = cross_validate(
                pipe, X.astype(dtype), y, cv=5, n_jobs=2, return_estimator=True
            )
        scores = result["test_score"]
        sat = ""
        if group == "scaling":
            sat = f"{np.mean([saturation(est, X) for est in result['estimator']]):.2f}"
        print(
            f"| {group} | {label} | {scores.mean():.3f} ± {scores.std():.3f} "
            f"| {result['fit_time'].mean():.2f} | {sat} |",
            flush=True,
        )
    print(
        f"\nskdigitnet {skdigitnet.__version__}, scikit-learn {sklearn.__version__}, "
        f"numpy {np.__version__}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs; {time.perf_counter() - start:.0f} s in all."
    )


if __name__ == "__main__":
    main()
