"""Chapter 3's artificially expanded training data.

The book's ``expand_mnist.py`` adds to each training image four copies of
it moved by one pixel up, down, left and right, the pixels uncovered at the
border set to the background (0); :func:`expand_images` does the same for
any number of pixels, optionally adding the left-right mirror images too.
"""

import numbers

import numpy as np
from sklearn.utils.validation import check_array, check_consistent_length

# The copies, in the order their blocks follow the originals.
_DIRECTIONS = ("up", "down", "left", "right")


def expand_images(X, y, *, image_shape=None, shifts=1, mirror=False):
    """Add chapter 3's shifted copies of each image to a training set.

    Returns the original images followed by copies moved ``shifts`` pixels
    up, then down, then left, then right, and with ``mirror=True`` their
    left-right mirror images last: blocks of ``n_samples`` rows each, in that
    order, every block in the order of ``X``. The pixels a shift uncovers are
    set to 0, the background of MNIST's images; nothing wraps round. The
    labels are repeated in step, so row ``i`` of every block has label
    ``y[i]``. There is no randomness: shuffle afterwards if you need to (the
    classifier shuffles each epoch). Expand the training images only, after
    holding out the validation and test images.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_pixels) or (n_samples, height, width)
        The images: flat rows (as :func:`~skdigitnet.datasets.load_mnist`'s
        ``data``) or image arrays (its ``images``). Sparse matrices are
        refused: convert with ``.toarray()``.

    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        The labels of ``X``.

    image_shape : tuple of (int, int), default=None
        ``(height, width)`` of the images. Required for flat rows of images
        that are not square; flat rows of ``n_pixels`` values are otherwise
        taken as square images of side ``sqrt(n_pixels)``.

    shifts : int, default=1
        How many pixels each copy is moved; the book moved one. At least 1
        and less than the height and the width.

    mirror : bool, default=False
        Also add the left-right mirror image of each original (not of the
        shifted copies).

    Returns
    -------
    X_expanded : ndarray of shape (k * n_samples, ...)
        ``k = 5`` blocks, or 6 with ``mirror``, with the shape of a row of
        ``X`` and its dtype (uint8 pixels stay uint8). A pandas DataFrame
        gives a DataFrame with the same columns and a new range index.

    y_expanded : ndarray of shape (k * n_samples, ...)
        ``y`` repeated ``k`` times; a pandas Series gives a Series.

    Raises
    ------
    ValueError
        When a row's length is no image shape (not a square without
        ``image_shape``, or not ``height * width``), when ``X`` and ``y``
        differ in length, or when ``shifts`` would leave no pixel of the
        image.

    TypeError
        When ``X`` is a sparse matrix.

    Notes
    -----
    The result takes ``k`` times the memory of ``X``, allocated once; no
    other copy of the images is made unless ``X`` must be converted to an
    array first (a DataFrame, a list): expand before scaling to floats. The
    user guide's :ref:`expanded_data` says what it costs, why to hold out
    first, and where it helps.

    References
    ----------
    .. [1] M. A. Nielsen, "Neural Networks and Deep Learning", chapter 3,
       "Other techniques for regularization: artificially expanding the
       training data", Determination Press, 2015.

    Examples
    --------
    >>> import numpy as np
    >>> from skdigitnet.datasets import expand_images
    >>> X = np.arange(1, 10, dtype=np.uint8).reshape(1, 3, 3)
    >>> X_more, y_more = expand_images(X, [7])
    >>> X_more.shape, y_more
    ((5, 3, 3), array([7, 7, 7, 7, 7]))
    >>> X_more[1]  # moved up one pixel, a row of background below
    array([[4, 5, 6],
           [7, 8, 9],
           [0, 0, 0]], dtype=uint8)
    """
    X_in, y_in = X, y
    X = check_array(
        X, accept_sparse=False, dtype=None, ensure_all_finite=False, allow_nd=True
    )
    y = np.asarray(y)
    check_consistent_length(X, y)
    height, width = _image_shape(X, image_shape)
    _check_shifts(shifts, height, width)
    if not isinstance(mirror, (bool, np.bool_)):
        raise TypeError(f"mirror must be True or False. Got {mirror!r} instead.")

    n_samples = X.shape[0]
    images = X.reshape(n_samples, height, width)
    n_blocks = 1 + len(_DIRECTIONS) + bool(mirror)
    out = np.empty((n_blocks, n_samples, height, width), dtype=X.dtype)
    out[0] = images
    for block, direction in zip(out[1:], _DIRECTIONS):
        _shift(images, direction, shifts, block)
    if mirror:
        out[-1] = images[:, :, ::-1]
    X_expanded = out.reshape(n_blocks * n_samples, *X.shape[1:])
    y_expanded = np.concatenate([y] * n_blocks)
    return _like(X_in, X_expanded), _like(y_in, y_expanded)


def _image_shape(X, image_shape):
    """Return the ``(height, width)`` of the images in ``X``, checked."""
    if X.ndim not in (2, 3):
        raise ValueError(
            "X must hold flat rows (n_samples, n_pixels) or images "
            f"(n_samples, height, width). Got an array of shape {X.shape}."
        )
    n_pixels = int(np.prod(X.shape[1:]))
    if image_shape is None:
        if X.ndim == 3:
            return X.shape[1:]
        side = int(np.sqrt(n_pixels) + 0.5)
        if side * side != n_pixels:
            raise ValueError(
                f"X has {n_pixels} values per row, which is not a square "
                "image; give image_shape=(height, width)."
            )
        return side, side
    try:
        height, width = (int(size) for size in image_shape)
    except (TypeError, ValueError):
        raise ValueError(
            f"image_shape must be a pair (height, width). Got {image_shape!r}."
        ) from None
    if height < 1 or width < 1 or height * width != n_pixels:
        raise ValueError(
            f"image_shape={image_shape!r} does not fit rows of {n_pixels} "
            f"values (X has shape {X.shape})."
        )
    if X.ndim == 3 and (height, width) != X.shape[1:]:
        raise ValueError(
            f"image_shape={image_shape!r} differs from the images' own shape "
            f"{X.shape[1:]}."
        )
    return height, width


def _check_shifts(shifts, height, width):
    if not isinstance(shifts, numbers.Integral) or isinstance(shifts, bool):
        raise TypeError(f"shifts must be an int. Got {shifts!r} instead.")
    if shifts < 1:
        raise ValueError(f"shifts must be at least 1. Got {shifts} instead.")
    if shifts >= min(height, width):
        raise ValueError(
            f"shifts={shifts} would move every pixel out of {height}x{width} "
            f"images; give fewer than {min(height, width)}."
        )


def _shift(images, direction, s, out):
    """Write ``images`` (n, h, w) moved ``s`` pixels in ``direction`` to ``out``."""
    if direction == "up":
        out[:, :-s], out[:, -s:] = images[:, s:], 0
    elif direction == "down":
        out[:, s:], out[:, :s] = images[:, :-s], 0
    elif direction == "left":
        out[:, :, :-s], out[:, :, -s:] = images[:, :, s:], 0
    else:
        out[:, :, s:], out[:, :, :s] = images[:, :, :-s], 0


def _like(original, array):
    """Give ``array`` the pandas type of ``original``, if it had one."""
    module = type(original).__module__ or ""
    if not module.startswith("pandas"):
        return array
    if array.ndim == 1 and hasattr(original, "name"):
        return type(original)(array, name=original.name, copy=False)
    if hasattr(original, "columns"):
        return type(original)(array, columns=original.columns, copy=False)
    return array
