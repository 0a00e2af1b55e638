"""The first step of the pipeline ``skdigitnet train --save`` writes.

The network learns from pixels in [0, 1]; a pipeline of :class:`GreyLevelScaler`
and the classifier predicts from the grey levels as the images store them.
"""

import math
from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

# scikit-learn's private helpers, imported where the package keeps them.
from ._validation import Interval, fit_context

# What fit and transform accept, and the dtypes they keep.
_INPUT = {"accept_sparse": ("csr", "csc"), "dtype": (np.float64, np.float32)}


class GreyLevelScaler(TransformerMixin, BaseEstimator):
    """Divide grey levels by the grey level of full ink, to lie in [0, 1].

    It learns nothing from the data but its number of columns, so that a
    refitted pipeline (as in :func:`~sklearn.model_selection.cross_val_score`)
    scales as the saved one did.

    Parameters
    ----------
    grey_max : float, default=255.0
        The grey level of full ink: 255 for images in MNIST's layout, 16 for
        scikit-learn's 8x8 digits. A finite number above 0.

    Attributes
    ----------
    n_features_in_ : int
        The number of pixels of each image seen in ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        The column names seen in ``fit``, when they are all strings.

    See Also
    --------
    SigmoidMLPClassifier : The classifier that takes the scaled pixels.

    Examples
    --------
    >>> import numpy as np
    >>> from skdigitnet import GreyLevelScaler
    >>> GreyLevelScaler(grey_max=16).fit_transform(np.array([[0, 8, 16]]))
    array([[0. , 0.5, 1. ]])
    """

    _parameter_constraints = {
        "grey_max": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, grey_max=255.0):
        self.grey_max = grey_max

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the images and the grey level of full ink.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Images as rows of grey levels.

        y : None
            Ignored.

        Returns
        -------
        self : GreyLevelScaler
            The fitted transformer.
        """
        if not math.isfinite(self.grey_max):
            raise ValueError(
                "The 'grey_max' parameter of GreyLevelScaler must be a finite "
                f"number above 0. Got {self.grey_max!r} instead."
            )
        validate_data(self, X, **_INPUT)
        return self

    def transform(self, X):
        """Return the grey levels divided by ``grey_max``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Images as rows of grey levels.

        Returns
        -------
        X_scaled : {ndarray, sparse matrix} of shape (n_samples, n_features)
            The pixels in float64, or float32 for float32 input.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, **_INPUT)
        return X / X.dtype.type(self.grey_max)

    def __sklearn_tags__(self):
        """Declare sparse input and float32 kept as float32."""
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
