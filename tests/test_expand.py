"""expand_images: chapter 3's shifted copies of training images."""

import re
import tracemalloc
import warnings

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skdigitnet import SigmoidMLPClassifier
from skdigitnet._cli import main
from skdigitnet.datasets import expand_images, load_train_test


def moved(image, down, right):
    """``image`` moved ``down`` rows and ``right`` columns, pixel by pixel."""
    height, width = image.shape
    out = np.zeros_like(image)
    for i in range(height):
        for j in range(width):
            if 0 <= i + down < height and 0 <= j + right < width:
                out[i + down, j + right] = image[i, j]
    return out


def random_images(n=4, height=5, width=7, dtype=np.uint8, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.integers(1, 256, size=(n, height, width))).astype(dtype)


@pytest.mark.parametrize("shifts", [1, 2, 4])
@pytest.mark.parametrize("shape", [(5, 7), (6, 6), (7, 5)])
def test_each_copy_is_the_original_moved_with_the_border_filled(shifts, shape):
    images = random_images(height=shape[0], width=shape[1])
    n = len(images)
    X, y = expand_images(images, np.arange(n), shifts=shifts)
    assert X.shape == (5 * n, *shape)
    blocks = X.reshape(5, n, *shape)
    # up, down, left, right, after the originals
    moves = [(0, 0), (-shifts, 0), (shifts, 0), (0, -shifts), (0, shifts)]
    for block, (down, right) in zip(blocks, moves):
        for image, copy in zip(images, block):
            assert_array_equal(copy, moved(image, down, right))
    # the pixels are never 0 in the originals: the zeros are the border
    assert (blocks[1][:, -shifts:] == 0).all() and (blocks[1][:, :-shifts] > 0).all()
    assert (blocks[4][:, :, :shifts] == 0).all()


def test_flat_rows_give_flat_rows_of_the_same_images():
    images = random_images(height=6, width=6)
    X_images, y_images = expand_images(images, [0, 1, 2, 3])
    X_rows, y_rows = expand_images(images.reshape(4, 36), [0, 1, 2, 3])
    assert X_rows.shape == (20, 36)
    assert_array_equal(X_rows, X_images.reshape(20, 36))
    assert_array_equal(y_rows, y_images)


def test_image_shape_for_flat_rows_of_images_that_are_not_square():
    images = random_images(height=3, width=8)
    X, _ = expand_images(images.reshape(4, 24), np.zeros(4), image_shape=(3, 8))
    assert_array_equal(X[4:8].reshape(4, 3, 8), [moved(im, -1, 0) for im in images])
    assert_array_equal(X[12:16].reshape(4, 3, 8), [moved(im, 0, -1) for im in images])


def test_labels_line_up_with_their_images():
    images = random_images(n=6)
    y = np.array([3, 1, 4, 1, 5, 9])
    X, y_more = expand_images(images, y, mirror=True)
    assert_array_equal(y_more, np.tile(y, 6))
    # each block holds the images in X's order, so row i of every block
    # is a copy of image i: compare its central, never-uncovered pixel
    for block in X.reshape(6, 6, 5, 7)[[0, 5]]:
        assert_array_equal(block[:, 2, 3], images[:, 2, 3])


def test_multilabel_targets_are_repeated_as_rows():
    Y = np.array([[0, 1], [1, 1], [1, 0]])
    _, Y_more = expand_images(random_images(n=3), Y)
    assert_array_equal(Y_more, np.vstack([Y] * 5))


@pytest.mark.parametrize("dtype", [np.uint8, np.int16, np.float32, np.float64])
def test_dtype_is_kept(dtype):
    X, _ = expand_images(random_images(dtype=dtype), np.arange(4))
    assert X.dtype == dtype


def test_mirror_images_are_mirrored_originals():
    images = random_images()
    X, y = expand_images(images, np.arange(4), mirror=True)
    assert X.shape == (24, 5, 7)
    assert_array_equal(X[20:], [np.fliplr(image) for image in images])
    assert_array_equal(X[:20], expand_images(images, np.arange(4))[0])


def test_the_input_is_left_alone():
    images = random_images()
    before = images.copy()
    X, _ = expand_images(images, np.arange(4))
    assert_array_equal(images, before)
    assert not np.shares_memory(X, images)


def test_pandas_in_pandas_out():
    pd = pytest.importorskip("pandas")
    images = random_images(height=3, width=3)
    columns = [f"pixel{i}" for i in range(9)]
    X = pd.DataFrame(images.reshape(4, 9), columns=columns)
    y = pd.Series([5, 6, 7, 8], name="label")
    X_more, y_more = expand_images(X, y)
    assert isinstance(X_more, pd.DataFrame) and list(X_more.columns) == columns
    assert isinstance(y_more, pd.Series) and y_more.name == "label"
    assert_array_equal(X_more.to_numpy(), expand_images(images, y)[0].reshape(20, 9))
    assert_array_equal(y_more.to_numpy(), np.tile([5, 6, 7, 8], 5))


def test_peak_memory_is_the_result_and_a_little_more():
    X = random_images(n=2000, height=28, width=28).reshape(2000, 784)
    tracemalloc.start()
    try:
        X_more, y_more = expand_images(X, np.zeros(2000, dtype=np.uint8))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert X_more.nbytes == 5 * X.nbytes
    assert peak < 5 * X.nbytes + 100_000


@pytest.mark.parametrize(
    "X, kwargs, match",
    [
        (np.zeros((2, 10)), {}, "10 values per row, which is not a square image"),
        (np.zeros((2, 10)), {"image_shape": (3, 3)}, r"does not fit rows of 10"),
        (np.zeros((2, 3, 4)), {"image_shape": (4, 3)}, "differs from the images"),
        (np.zeros((2, 12)), {"image_shape": 12}, r"must be a pair \(height, width\)"),
        (np.zeros((2, 9)), {"shifts": 3}, "would move every pixel out of 3x3"),
        (np.zeros((2, 2, 8)), {"shifts": 2}, "would move every pixel out of 2x8"),
        (np.zeros((2, 9)), {"shifts": 0}, "shifts must be at least 1"),
        (np.zeros((2, 9)), {"shifts": -1}, "shifts must be at least 1"),
        (np.zeros((2, 3, 3, 1)), {}, "flat rows .* or images"),
        (np.zeros(9), {}, "Expected 2D array"),
    ],
)
def test_refusals(X, kwargs, match):
    with pytest.raises(ValueError, match=match):
        expand_images(X, np.zeros(len(X)), **kwargs)


def test_labels_of_another_length_are_refused():
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        expand_images(np.zeros((3, 4)), [0, 1])


@pytest.mark.parametrize(
    "kwargs, match",
    [({"shifts": 1.0}, "shifts must be an int"), ({"mirror": "yes"}, "mirror must")],
)
def test_wrong_types_are_refused(kwargs, match):
    with pytest.raises(TypeError, match=match):
        expand_images(np.zeros((2, 9)), [0, 1], **kwargs)


def test_sparse_input_is_refused():
    with pytest.raises(TypeError, match="Sparse data was passed"):
        expand_images(sp.csr_matrix(np.eye(4)), np.arange(4))


# --- skdigitnet train --expand ----------------------------------------------

HEADER = re.compile(
    r"on scikit-learn's 8x8 digits: ([\d,]+) training images \(([\d,]+) and their "
    r"shifts by one pixel up, down, left and right(?:, ([\d,]+) validation images "
    r"held out first)?\) and ([\d,]+) test images"
)
EPOCH_LINE = re.compile(r"^Epoch \d+: (\d+) / (\d+)$", re.MULTILINE)


def train(capsys, *args):
    status = main(["train", "--hidden", "8", "--expand", *map(str, args)])
    out, err = capsys.readouterr()
    assert status == 0, err
    return out, joblib.load(args[-1])[-1]


def test_train_expand_trains_on_five_times_the_images_and_tests_on_the_rest(
    capsys, tmp_path
):
    out, model = train(capsys, "--epochs", "2", "--save", tmp_path / "net.joblib")
    X_train, X_test, y_train, y_test = load_train_test("digits")
    n_train, n_images, n_val, n_test = HEADER.search(out).groups()
    assert int(n_train.replace(",", "")) == 5 * len(y_train)
    assert int(n_images.replace(",", "")) == len(y_train)
    assert n_val is None
    assert int(n_test) == len(y_test)
    assert {n for _, n in EPOCH_LINE.findall(out)} == {str(len(y_test))}
    last_correct = int(EPOCH_LINE.findall(out)[-1][0])
    assert last_correct == np.sum(model.predict(X_test) == y_test)

    X_more, y_more = expand_images(X_train, y_train)
    fitted = SigmoidMLPClassifier(
        hidden_layer_sizes=(8,), max_iter=2, random_state=0, tol=model.tol
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted.fit(X_more, y_more)
    assert model.t_ == fitted.t_ == 2 * len(y_more)
    for a, b in zip(model.coefs_, fitted.coefs_):
        assert_array_equal(a, b)


def test_train_expand_holds_out_validation_images_before_expanding(capsys, tmp_path):
    path = tmp_path / "net.joblib"
    out, model = train(capsys, "--epochs", "2", "--early-stopping", "--save", path)
    X_train, _, y_train, _ = load_train_test("digits")
    n_train, n_images, n_val, _ = HEADER.search(out).groups()
    n_images, n_val = int(n_images.replace(",", "")), int(n_val)
    assert n_images + n_val == len(y_train)
    assert int(n_train.replace(",", "")) == 5 * n_images

    X_fit, X_val, y_fit, y_val = train_test_split(
        X_train, y_train, test_size=0.1, stratify=y_train, random_state=0
    )
    assert len(y_val) == n_val
    fitted = SigmoidMLPClassifier(
        hidden_layer_sizes=(8,),
        max_iter=2,
        random_state=0,
        early_stopping=True,
        tol=model.tol,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted.fit(*expand_images(X_fit, y_fit), X_val=X_val, y_val=y_val)
    assert model.validation_scores_ == fitted.validation_scores_
    for a, b in zip(model.coefs_, fitted.coefs_):
        assert_array_equal(a, b)


def test_train_without_expand_is_unchanged(capsys):
    status = main(["train", "--hidden", "8", "--epochs", "1"])
    out = capsys.readouterr().out
    assert status == 0
    assert "1,437 training and 360 test images" in out
    assert "shifts" not in out
