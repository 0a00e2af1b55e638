import gzip
import os
import re
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

from skdigitnet import _datasets
from skdigitnet.datasets import load_mnist, load_train_test, read_idx, write_idx

IDX_DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


def make_mnist_folder(folder, n_train=20, n_test=10, gz=True, seed=0):
    """Write small random MNIST-layout files; return the arrays written."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    suffix = ".gz" if gz else ""
    arrays = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(256, size=(n, 28, 28), dtype=np.uint8)
        labels = (np.arange(n) % 10).astype(np.uint8)
        write_idx(folder / f"{prefix}-images-idx3-ubyte{suffix}", images)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte{suffix}", labels)
        arrays[prefix] = images, labels
    return arrays


def idx_header(type_code, shape):
    return bytes([0, 0, type_code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)


# --- read_idx / write_idx -------------------------------------------------


@pytest.mark.parametrize("name", ["data-idx", "data-idx.gz"])
@pytest.mark.parametrize("shape", [(7,), (3, 5), (4, 28, 28)])
def test_round_trip_uint8(tmp_path, name, shape):
    array = np.random.default_rng(0).integers(256, size=shape, dtype=np.uint8)
    path = tmp_path / name
    write_idx(path, array)
    result = read_idx(path)
    assert result.dtype == np.uint8
    assert result.shape == shape
    assert_array_equal(result, array)


@pytest.mark.parametrize("name", ["data-idx", "data-idx.gz"])
@pytest.mark.parametrize("dtype", IDX_DTYPES)
def test_round_trip_every_type_code(tmp_path, name, dtype):
    array = (np.arange(-6, 6) * 3).astype(dtype).reshape(3, 4)
    if np.issubdtype(dtype, np.floating):
        array = array / 7
    path = tmp_path / name
    write_idx(path, array)
    result = read_idx(path)
    assert result.dtype == np.dtype(dtype)
    assert result.dtype.isnative
    assert_array_equal(result, array)


@settings(max_examples=30, deadline=None)
@given(
    dtype=st.sampled_from(IDX_DTYPES),
    shape=st.lists(st.integers(0, 4), min_size=0, max_size=4).map(tuple),
    gz=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_round_trip_property(tmp_path_factory, dtype, shape, gz, seed):
    raw = np.random.default_rng(seed).bytes(
        int(np.prod(shape)) * np.dtype(dtype).itemsize
    )
    array = np.frombuffer(raw, dtype=dtype).reshape(shape)
    path = tmp_path_factory.mktemp("idx") / ("a.gz" if gz else "a")
    write_idx(path, array)
    # Compare bytes: random floats include NaNs, which never compare equal.
    result = read_idx(path)
    assert result.dtype == np.dtype(dtype) and result.shape == shape
    assert result.tobytes() == array.tobytes()


def test_written_bytes_follow_the_format(tmp_path):
    path = tmp_path / "a-idx2"
    write_idx(path, np.array([[1, 2, 3], [4, 5, 6]], dtype=np.int16))
    expected = (
        idx_header(0x0B, (2, 3)) + b"\x00\x01\x00\x02\x00\x03\x00\x04\x00\x05\x00\x06"
    )
    assert path.read_bytes() == expected


def test_gzip_recognised_by_content_not_name(tmp_path):
    array = np.arange(10, dtype=np.uint8)
    gz_without_suffix = tmp_path / "labels-idx1-ubyte"
    gz_without_suffix.write_bytes(
        gzip.compress(idx_header(0x08, (10,)) + array.tobytes())
    )
    raw_with_suffix = tmp_path / "labels-idx1-ubyte.gz"
    raw_with_suffix.write_bytes(idx_header(0x08, (10,)) + array.tobytes())
    assert_array_equal(read_idx(gz_without_suffix), array)
    assert_array_equal(read_idx(raw_with_suffix), array)


def test_gz_name_writes_gzip(tmp_path):
    write_idx(tmp_path / "a.gz", np.zeros(3, dtype=np.uint8))
    write_idx(tmp_path / "a", np.zeros(3, dtype=np.uint8))
    assert (tmp_path / "a.gz").read_bytes()[:2] == b"\x1f\x8b"
    assert (tmp_path / "a").read_bytes()[:2] == b"\x00\x00"


@pytest.mark.parametrize("dtype", [np.int64, np.bool_, np.float16, np.complex128])
def test_write_idx_rejects_unsupported_dtype(tmp_path, dtype):
    path = tmp_path / "a"
    with pytest.raises(
        ValueError, match=re.escape(str(path)) + ".*has no IDX type code"
    ):
        write_idx(path, np.zeros(3, dtype=dtype))
    assert not path.exists()


def test_write_idx_leaves_no_partial_file(tmp_path, monkeypatch):
    def fail(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(_datasets.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_idx(tmp_path / "a.gz", np.zeros(3, dtype=np.uint8))
    assert os.listdir(tmp_path) == []


GOOD = idx_header(0x08, (2, 3)) + bytes(range(6))


CORRUPT = pytest.mark.parametrize(
    "content, message",
    [
        (b"\x01\x00" + GOOD[2:], "bad magic number"),
        (b"\x00\x08\x08\x02" + GOOD[4:], "bad magic number"),
        (b"\x00\x00\x0a\x02" + GOOD[4:], "unknown type code 0x0A"),
        (GOOD[:-1], "truncated data"),
        (GOOD[:10], "truncated header"),
        (GOOD[:2], "truncated header"),
        (b"", "truncated header"),
        (GOOD + b"\x00", "trailing bytes"),
    ],
)


@CORRUPT
@pytest.mark.parametrize("gz", [False, True])
def test_corrupt_file_raises_naming_file(tmp_path, content, message, gz):
    path = tmp_path / "broken-idx"
    path.write_bytes(gzip.compress(content) if gz else content)
    with pytest.raises(ValueError, match=re.escape(str(path)) + ".*" + message):
        read_idx(path)


def test_huge_declared_size_is_truncated(tmp_path):
    path = tmp_path / "huge-idx"
    path.write_bytes(idx_header(0x0E, (2**31, 2**31, 2**31)) + b"abc")
    with pytest.raises(ValueError, match="truncated data.*only 3 follow"):
        read_idx(path)


def test_corrupt_gzip_raises_value_error(tmp_path):
    path = tmp_path / "broken-idx.gz"
    path.write_bytes(gzip.compress(GOOD)[:-10])
    with pytest.raises(ValueError, match=re.escape(str(path)) + ".*corrupt gzip"):
        read_idx(path)


# --- read_idx memory-mapped -------------------------------------------------


@pytest.mark.parametrize("dtype", IDX_DTYPES)
def test_mapped_equals_read(tmp_path, dtype):
    path = tmp_path / "data-idx"
    array = (np.arange(60) - 20).astype(dtype).reshape(3, 4, 5)
    write_idx(path, array)
    mapped = read_idx(path, mmap_mode="r")
    assert isinstance(mapped, np.memmap)
    assert not mapped.flags.writeable
    assert mapped.shape == array.shape
    assert mapped.dtype.newbyteorder("=") == np.dtype(dtype)
    assert_array_equal(mapped, read_idx(path))
    assert_array_equal(mapped[1:2], array[1:2])


def test_mapped_copy_on_write_leaves_the_file(tmp_path):
    path = tmp_path / "data-idx"
    write_idx(path, np.arange(6, dtype=np.uint8))
    mapped = read_idx(path, mmap_mode="c")
    mapped[0] = 99
    assert mapped[0] == 99
    assert_array_equal(read_idx(path), np.arange(6))


def test_mapped_empty_file(tmp_path):
    path = tmp_path / "empty-idx"
    write_idx(path, np.zeros((0, 28, 28), dtype=np.uint8))
    assert read_idx(path, mmap_mode="r").shape == (0, 28, 28)


@CORRUPT
def test_corrupt_mapped_file_raises_naming_file(tmp_path, content, message):
    path = tmp_path / "broken-idx"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=re.escape(str(path)) + ".*" + message):
        read_idx(path, mmap_mode="r")


def test_gzip_file_cannot_be_mapped(tmp_path):
    path = tmp_path / "data-idx.gz"
    write_idx(path, np.arange(6, dtype=np.uint8))
    with pytest.raises(ValueError, match="gzip-compressed file cannot be memory"):
        read_idx(path, mmap_mode="r")


@pytest.mark.parametrize("mode", ["r+", "w+", "x"])
def test_mapped_mode_must_be_read_only_or_copy_on_write(tmp_path, mode):
    path = tmp_path / "data-idx"
    write_idx(path, np.arange(6, dtype=np.uint8))
    with pytest.raises(ValueError, match="mmap_mode must be None, 'r' or 'c'"):
        read_idx(path, mmap_mode=mode)


def test_load_mnist_mapped(tmp_path):
    arrays = make_mnist_folder(tmp_path, gz=False)
    for subset, prefix in (("train", "train"), ("test", "t10k")):
        mnist = load_mnist(tmp_path, subset=subset, mmap_mode="r")
        assert isinstance(mnist.images, np.memmap)
        assert np.shares_memory(mnist.data, mnist.images)
        images, labels = arrays[prefix]
        assert_array_equal(mnist.images, images)
        assert_array_equal(mnist.data, images.reshape(len(images), -1))
        assert_array_equal(mnist.target, labels)


def test_load_mnist_mapped_refuses_all(tmp_path):
    make_mnist_folder(tmp_path, gz=False)
    with pytest.raises(ValueError, match="subset='all'.*cannot be memory-mapped"):
        load_mnist(tmp_path, subset="all", mmap_mode="r")


# --- load_mnist -------------------------------------------------------------


@pytest.mark.parametrize("gz", [True, False])
def test_load_mnist_subsets(tmp_path, gz):
    arrays = make_mnist_folder(tmp_path, gz=gz)
    expected = {
        "train": arrays["train"],
        "test": arrays["t10k"],
        "all": tuple(
            np.concatenate(pair) for pair in zip(arrays["train"], arrays["t10k"])
        ),
    }
    for subset, (images, labels) in expected.items():
        bunch = load_mnist(tmp_path, subset=subset)
        n = len(labels)
        assert bunch.subset == subset
        assert bunch.data.shape == (n, 784) and bunch.data.dtype == np.uint8
        assert bunch.images.shape == (n, 28, 28) and bunch.images.dtype == np.uint8
        assert bunch.target.dtype == np.int64
        assert_array_equal(bunch.images, images)
        assert_array_equal(bunch.data, images.reshape(n, 784))
        assert_array_equal(bunch.target, labels)
        assert len(bunch.feature_names) == 784
        assert bunch.feature_names[0] == "pixel_0_0"
        assert bunch.feature_names[29] == "pixel_1_1"
        assert bunch.feature_names[-1] == "pixel_27_27"
        assert_array_equal(bunch.target_names, np.arange(10))
        assert "MNIST" in bunch.DESCR

        data, target = load_mnist(tmp_path, subset=subset, return_X_y=True)
        assert_array_equal(data, bunch.data)
        assert_array_equal(target, bunch.target)


def test_load_mnist_default_folder_is_in_data_home(tmp_path):
    arrays = make_mnist_folder(tmp_path / "home" / "mnist")
    data, target = load_mnist(data_home=tmp_path / "home", return_X_y=True)
    assert_array_equal(target, arrays["train"][1])


def test_load_mnist_rejects_unknown_subset(tmp_path):
    make_mnist_folder(tmp_path)
    with pytest.raises(ValueError, match="subset must be"):
        load_mnist(tmp_path, subset="validation")


def test_load_mnist_count_mismatch(tmp_path):
    make_mnist_folder(tmp_path)
    labels = tmp_path / "train-labels-idx1-ubyte.gz"
    write_idx(labels, np.zeros(19, dtype=np.uint8))
    with pytest.raises(
        ValueError, match=r"20 images.*" + re.escape(str(labels)) + ".*19 labels"
    ):
        load_mnist(tmp_path)


@pytest.mark.parametrize("shape", [(20, 28, 27), (20, 784), (20, 28, 28, 1)])
def test_load_mnist_wrong_image_shape(tmp_path, shape):
    make_mnist_folder(tmp_path)
    images = tmp_path / "train-images-idx3-ubyte.gz"
    write_idx(images, np.zeros(shape, dtype=np.uint8))
    with pytest.raises(
        ValueError, match=re.escape(str(images)) + ".*expected \\(n_samples, 28, 28\\)"
    ):
        load_mnist(tmp_path)


def test_load_mnist_labels_not_1d(tmp_path):
    make_mnist_folder(tmp_path)
    labels = tmp_path / "t10k-labels-idx1-ubyte.gz"
    write_idx(labels, np.zeros((10, 1), dtype=np.uint8))
    with pytest.raises(
        ValueError, match=re.escape(str(labels)) + ".*expected \\(n_samples,\\)"
    ):
        load_mnist(tmp_path, subset="test")


def test_load_mnist_images_not_bytes(tmp_path):
    make_mnist_folder(tmp_path)
    images = tmp_path / "t10k-images-idx3-ubyte.gz"
    write_idx(images, np.zeros((10, 28, 28), dtype=np.float32))
    with pytest.raises(ValueError, match=re.escape(str(images)) + ".*float32"):
        load_mnist(tmp_path, subset="test")


def test_load_mnist_missing_folder(tmp_path):
    folder = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError) as excinfo:
        load_mnist(folder, subset="all")
    message = str(excinfo.value)
    assert str(folder) in message
    assert "does not exist" in message
    for name in [
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
        "download_if_missing=True",
        "Fashion-MNIST",
    ]:
        assert name in message
    assert not folder.exists()


def test_load_mnist_missing_files_names_only_the_missing(tmp_path):
    make_mnist_folder(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    assert load_mnist(tmp_path, subset="train").target.shape == (20,)
    with pytest.raises(
        FileNotFoundError,
        match=r"missing from folder .*: t10k-labels-idx1-ubyte\[\.gz\]\. ",
    ):
        load_mnist(tmp_path, subset="test")


# --- download through a substituted fetcher ---------------------------------


@pytest.fixture
def small_mnist(monkeypatch):
    """Shrink MNIST's split to 20 + 10 rows and return a fake OpenML result."""
    monkeypatch.setattr(_datasets, "_MNIST_N_TRAIN", 20)
    monkeypatch.setattr(_datasets, "_MNIST_N_TEST", 10)
    rng = np.random.default_rng(1)
    # Like fetch_openml: float pixels and string labels.
    X = rng.integers(256, size=(30, 784)).astype(np.float64)
    y = np.array([str(i % 10) for i in range(30)], dtype=object)
    calls = []

    def fake_fetch(data_home):
        calls.append(data_home)
        return X, y

    monkeypatch.setattr(_datasets, "_fetch_openml_mnist", fake_fetch)
    return X, y, calls


def test_download_writes_four_files(tmp_path, small_mnist):
    X, y, calls = small_mnist
    folder = tmp_path / "mnist"
    bunch = load_mnist(
        folder, subset="all", download_if_missing=True, data_home=tmp_path
    )
    assert calls == [tmp_path]
    assert sorted(os.listdir(folder)) == [
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
    ]
    assert_array_equal(bunch.data, X.astype(np.uint8))
    assert_array_equal(bunch.target, y.astype(np.int64))
    assert_array_equal(
        read_idx(folder / "train-images-idx3-ubyte.gz"), X[:20].reshape(20, 28, 28)
    )
    assert_array_equal(
        read_idx(folder / "t10k-labels-idx1-ubyte.gz"), y[20:].astype(np.uint8)
    )

    # The files are there now: no second fetch.
    test = load_mnist(folder, subset="test", download_if_missing=True)
    assert calls == [tmp_path]
    assert_array_equal(test.data, X[20:])


def test_download_to_default_folder(tmp_path, small_mnist):
    Xtr, Xte, ytr, yte = load_train_test(
        "mnist", data_home=tmp_path, download_if_missing=True
    )
    assert (tmp_path / "mnist" / "train-images-idx3-ubyte.gz").is_file()
    assert Xtr.shape == (20, 784) and Xte.shape == (10, 784)


def test_download_keeps_existing_files(tmp_path, small_mnist):
    arrays = make_mnist_folder(tmp_path, n_train=5, n_test=3, gz=False)
    (tmp_path / "train-images-idx3-ubyte").unlink()
    (tmp_path / "train-labels-idx1-ubyte").unlink()
    load_mnist(tmp_path, download_if_missing=True)
    assert (tmp_path / "train-images-idx3-ubyte.gz").is_file()
    assert not (tmp_path / "t10k-images-idx3-ubyte.gz").exists()
    assert_array_equal(load_mnist(tmp_path, subset="test").images, arrays["t10k"][0])


def test_download_failure_offline_leaves_nothing(tmp_path, monkeypatch):
    def offline(data_home):
        raise OSError("Network is unreachable")

    monkeypatch.setattr(_datasets, "_fetch_openml_mnist", offline)
    folder = tmp_path / "mnist"
    # The cause first, then the folder and the advice.
    with pytest.raises(
        FileNotFoundError,
        match="^Downloading MNIST failed: Network is unreachable. .*"
        + re.escape(str(folder)),
    ) as excinfo:
        load_mnist(folder, download_if_missing=True)
    assert "download_if_missing=True" not in str(excinfo.value)
    assert not folder.exists() or os.listdir(folder) == []


def test_download_failure_in_second_write_leaves_nothing(
    tmp_path, small_mnist, monkeypatch
):
    real_write_idx = _datasets.write_idx
    n_calls = []

    def write_then_fail(path, array):
        n_calls.append(path)
        if len(n_calls) == 2:
            # Fail halfway through the real write: its temporary file exists.
            real_write_idx(path, array[:1])
            raise OSError("No space left on device")
        real_write_idx(path, array)

    monkeypatch.setattr(_datasets, "write_idx", write_then_fail)
    folder = tmp_path / "mnist"
    with pytest.raises(OSError, match="No space left"):
        load_mnist(folder, subset="all", download_if_missing=True)
    assert len(n_calls) == 2
    assert os.listdir(folder) == []


def test_download_failure_inside_write_leaves_nothing(
    tmp_path, small_mnist, monkeypatch
):
    real_replace = os.replace
    n_calls = []

    def replace_then_fail(src, dst):
        n_calls.append(dst)
        if len(n_calls) == 3:
            raise OSError("No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(_datasets.os, "replace", replace_then_fail)
    with pytest.raises(OSError, match="No space left"):
        load_mnist(tmp_path, download_if_missing=True)
    assert len(n_calls) == 3
    assert os.listdir(tmp_path) == []


# --- load_train_test ----------------------------------------------------------


def test_load_train_test_digits():
    X_train, X_test, y_train, y_test = load_train_test("digits")
    assert X_train.shape == (1437, 64) and X_test.shape == (360, 64)
    assert y_train.shape == (1437,) and y_test.shape == (360,)
    assert X_train.dtype == np.float64
    for X in (X_train, X_test):
        assert X.min() == 0.0 and X.max() == 1.0
    # Stratified: each class keeps its share, to within one sample.
    counts = np.bincount(np.concatenate([y_train, y_test]))
    assert np.all(np.abs(np.bincount(y_test) - 0.2 * counts) <= 1)

    again = load_train_test("digits")
    for a, b in zip((X_train, X_test, y_train, y_test), again):
        assert_array_equal(a, b)
    other = load_train_test("digits", random_state=1)
    assert not np.array_equal(other[3], y_test)


def test_load_train_test_folder(tmp_path):
    arrays = make_mnist_folder(tmp_path)
    X_train, X_test, y_train, y_test = load_train_test(str(tmp_path))
    assert X_train.dtype == np.float64
    assert_array_equal(X_train, arrays["train"][0].reshape(20, 784) / 255)
    assert_array_equal(X_test, arrays["t10k"][0].reshape(10, 784) / 255)
    assert_array_equal(y_train, arrays["train"][1])
    assert_array_equal(y_test, arrays["t10k"][1])
    assert 0 <= X_train.min() and X_train.max() <= 1


def test_load_train_test_folder_with_test_set_only(tmp_path):
    arrays = make_mnist_folder(tmp_path, n_train=1, n_test=50)
    (tmp_path / "train-images-idx3-ubyte.gz").unlink()
    (tmp_path / "train-labels-idx1-ubyte.gz").unlink()
    X_train, X_test, y_train, y_test = load_train_test(tmp_path)
    assert X_train.shape == (40, 784) and X_test.shape == (10, 784)
    assert_array_equal(np.bincount(y_test), np.ones(10))
    # Together they are the test set, each image kept with its label.
    images, labels = arrays["t10k"]
    expected = sorted(zip(images.reshape(50, -1).tolist(), labels.tolist()))
    X = np.rint(np.concatenate([X_train, X_test]) * 255).astype(int)
    y = np.concatenate([y_train, y_test])
    assert sorted(zip(X.tolist(), y.tolist())) == expected


def test_load_train_test_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path / "absent"))):
        load_train_test(tmp_path / "absent")
