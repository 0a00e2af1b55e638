"""IDX reader and writer, and the MNIST and digits loaders.

IDX is the format in which LeCun, Cortes and Burges distribute MNIST: two zero
bytes, a type code byte, a byte with the number of dimensions, that many
big-endian ``uint32`` sizes, then the data in big-endian C order.
"""

import contextlib
import gzip
import math
import os
import struct
import zlib

import numpy as np
from sklearn.datasets import fetch_openml, get_data_home, load_digits
from sklearn.model_selection import train_test_split
from sklearn.utils import Bunch

from ._persistence import atomic_write

# Type code -> on-disk dtype (IDX data are big-endian).
_IDX_DTYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_IDX_TYPE_CODES = {dtype.newbyteorder("="): code for code, dtype in _IDX_DTYPES.items()}

_GZIP_MAGIC = b"\x1f\x8b"

# Read in pieces so that a header declaring a huge size on a short file fails
# as truncated instead of first allocating the declared size.
_READ_CHUNK = 1 << 24

# File stems of MNIST's layout; each may be stored raw or with ".gz".
_MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_MNIST_SHAPE = (28, 28)

# How OpenML's "mnist_784" splits: the first rows are the training set, the
# rest the test set. Module-level so that tests can use a small fake.
_MNIST_N_TRAIN = 60_000
_MNIST_N_TEST = 10_000

#: The page from which MNIST's four IDX files can be copied by hand.
MNIST_URL = "http://yann.lecun.com/exdb/mnist/"

# Pixels are divided by the grey level of full ink to lie in [0, 1].
#: The grey level of full ink in scikit-learn's 8x8 digits.
DIGITS_GREY_MAX = 16.0
#: The grey level of full ink in MNIST's layout (a byte).
IDX_GREY_MAX = 255.0

_MNIST_DESCR = """\
.. _mnist_dataset:

MNIST handwritten digits dataset
--------------------------------

**Data Set Characteristics:**

:Number of Instances: 60,000 training and 10,000 test images
:Number of Attributes: 784 (28x28 pixels)
:Attribute Information: grey levels, integers from 0 (background) to 255
:Classes: 10 (the digits 0 to 9)
:Creators: Yann LeCun, Corinna Cortes and Christopher J. C. Burges

The MNIST database was built from NIST's Special Databases 1 and 3. The
digits were size-normalized to fit a 20x20 box, keeping their aspect ratio,
and centered by their centre of mass in a 28x28 image. The training set was
written by about 250 writers; the writers of the test set are disjoint from
them.

The files are in IDX format. Other datasets in the same layout, such as
Fashion-MNIST, are read the same way; this description then does not apply.

.. dropdown:: References

  - Y. LeCun, L. Bottou, Y. Bengio and P. Haffner (1998). Gradient-based
    learning applied to document recognition. Proceedings of the IEEE,
    86(11), 2278-2324.
  - http://yann.lecun.com/exdb/mnist/
"""


@contextlib.contextmanager
def _open_idx(name, error):
    """Open ``name`` to read, decompressing it if it starts as gzip.

    Data a gzip file cannot give is refused with ``error``, as corrupt.
    """
    with open(name, "rb") as raw:
        is_gzip = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        if not is_gzip:
            yield raw
            return
        try:
            with gzip.GzipFile(fileobj=raw, mode="rb") as f:
                yield f
        except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
            raise error(f"corrupt gzip data ({exc})") from exc


def _read_exactly(f, n_bytes):
    """Read up to ``n_bytes`` from ``f`` in chunks; fewer only at end of file."""
    buffer = bytearray()
    while len(buffer) < n_bytes:
        chunk = f.read(min(_READ_CHUNK, n_bytes - len(buffer)))
        if not chunk:
            break
        buffer += chunk
    return buffer


def _error_of(name):
    """Return ``error(what)``, the ValueError that refuses the IDX file ``name``."""
    return lambda what: ValueError(f"Cannot read IDX file {name!r}: {what}.")


def _read_header(f, error):
    """Read an IDX header from ``f``: the on-disk dtype, the shape, its size."""
    header = f.read(4)
    if len(header) < 4:
        raise error(
            f"truncated header: {len(header)} bytes, the magic number alone needs 4",
        )
    if header[:2] != b"\x00\x00":
        raise error(
            f"bad magic number 0x{header.hex()}: an IDX file starts with two "
            "zero bytes, a type code and the number of dimensions",
        )
    type_code, ndim = header[2], header[3]
    if type_code not in _IDX_DTYPES:
        known = ", ".join(f"0x{code:02X}" for code in _IDX_DTYPES)
        raise error(f"unknown type code 0x{type_code:02X} (known codes: {known})")
    dims_bytes = f.read(4 * ndim)
    if len(dims_bytes) < 4 * ndim:
        raise error(
            f"truncated header: {ndim} dimensions declared but only "
            f"{len(dims_bytes)} of their {4 * ndim} bytes present",
        )
    shape = struct.unpack(f">{ndim}I", dims_bytes)
    return _IDX_DTYPES[type_code], shape, 4 + 4 * ndim


def read_idx(path, *, mmap_mode=None):
    """Read an IDX file into a numpy array, or map it into memory.

    The file may be gzip-compressed or raw; compression is recognised by the
    gzip magic bytes, whatever the file is called.

    Parameters
    ----------
    path : str or path-like
        The IDX file, for example ``train-images-idx3-ubyte.gz``.
    mmap_mode : {None, "r", "c"}, default=None
        If None, read the whole file into memory. Otherwise map the raw
        (uncompressed) file as :func:`numpy.load` does, read-only (``"r"``) or
        copy-on-write (``"c"``), to read files larger than memory in slices
        (see :ref:`deploying`).

    Returns
    -------
    array : ndarray or numpy.memmap
        The data, with the shape its header declares and the dtype of its
        type code: ``0x08`` uint8, ``0x09`` int8, ``0x0B`` int16, ``0x0C``
        int32, ``0x0D`` float32, ``0x0E`` float64; in native byte order, or
        mapped in the file's big-endian order.

    Raises
    ------
    ValueError
        If the file is not a valid IDX file: bad magic number, unknown type
        code, truncated header or data, bytes after the declared data, or
        corrupt gzip data; or if ``mmap_mode`` is given for a gzip file or
        is not one of the modes above. The message names the file.

    See Also
    --------
    write_idx : Write an array as an IDX file.
    load_mnist : Load MNIST, or a dataset in its layout, from IDX files.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from skdigitnet.datasets import read_idx, write_idx
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "images-idx3-ubyte")
    ...     write_idx(path, np.arange(48, dtype=np.uint8).reshape(3, 4, 4))
    ...     images = read_idx(path, mmap_mode="r")
    ...     print(type(images).__name__, images.shape, images[2, 0].tolist())
    ...     del images  # closes the file
    memmap (3, 4, 4) [32, 33, 34, 35]
    """
    name = os.fspath(path)
    error = _error_of(name)
    if mmap_mode is not None:
        return _map_idx(name, mmap_mode, error)

    with _open_idx(name, error) as f:
        dtype, shape, _ = _read_header(f, error)
        n_bytes = math.prod(shape) * dtype.itemsize
        data = _read_exactly(f, n_bytes)
        if len(data) < n_bytes:
            raise error(_truncated(shape, dtype, n_bytes, len(data)))
        if f.read(1):
            raise error(_trailing(shape, dtype, n_bytes))

    array = np.frombuffer(data, dtype=dtype).reshape(shape)
    if not dtype.isnative:
        # Swap in place: the bytearray is ours and writable, so no copy.
        array = array.byteswap(inplace=True).view(dtype.newbyteorder("="))
    return array


def idx_chunks(path):
    """Open an IDX file to read it a chunk of rows at a time.

    A raw file is mapped, its size checked now; a gzip file is decompressed
    as the chunks are taken, so that no more than a chunk of it is in memory
    at once, and is refused as soon as its data runs short or runs on.

    Parameters
    ----------
    path : str or path-like
        The IDX file, raw or gzip-compressed.

    Returns
    -------
    dtype : numpy.dtype
        The on-disk dtype of the data.
    shape : tuple of int
        The shape its header declares.
    chunks : callable
        ``chunks(k)`` yields the data as arrays of up to ``k`` rows (slices
        along the first axis), raising :class:`ValueError` as
        :func:`read_idx` does where the file is bad.
    """
    name = os.fspath(path)
    error = _error_of(name)
    with _open_idx(name, error) as f:
        if not isinstance(f, gzip.GzipFile):
            array = _map_idx(name, "r", error)
            return array.dtype, array.shape, lambda k: _slices(array, k)
        dtype, shape, _ = _read_header(f, error)
    return dtype, shape, lambda k: _gzip_chunks(name, k, error)


def _slices(array, k):
    return (array[start : start + k] for start in range(0, len(array), k))


def _truncated(shape, dtype, n_bytes, got):
    return (
        f"truncated data: shape {shape} of {dtype.name} needs {n_bytes} bytes, "
        f"only {got} follow the header"
    )


def _trailing(shape, dtype, n_bytes):
    return (
        f"trailing bytes after the {n_bytes} bytes of data that shape {shape} "
        f"of {dtype.name} declares"
    )


def _gzip_chunks(name, k, error):
    """Yield the data of the gzip IDX file ``name`` ``k`` rows at a time."""
    with _open_idx(name, error) as f:
        dtype, shape, _ = _read_header(f, error)
        row_bytes = math.prod(shape[1:]) * dtype.itemsize
        n_bytes = shape[0] * row_bytes
        done = 0
        for start in range(0, shape[0], k):
            data = _read_exactly(f, min(k, shape[0] - start) * row_bytes)
            done += len(data)
            if done < min(n_bytes, (start + k) * row_bytes):
                raise error(_truncated(shape, dtype, n_bytes, done))
            chunk = np.frombuffer(data, dtype=dtype)
            yield chunk.reshape(-1, *shape[1:]).astype(dtype.newbyteorder("="))
        if f.read(1):
            raise error(_trailing(shape, dtype, n_bytes))


def _map_idx(name, mmap_mode, error):
    """Map the data of the raw IDX file ``name`` into memory, its size checked."""
    if mmap_mode not in ("r", "c"):
        raise ValueError(
            f"mmap_mode must be None, 'r' or 'c'; got {mmap_mode!r} instead."
        )
    with _open_idx(name, error) as f:
        if isinstance(f, gzip.GzipFile):
            raise error(
                "a gzip-compressed file cannot be memory-mapped; decompress it "
                "first (gunzip keeps the name without .gz), or read it with "
                "mmap_mode=None"
            )
        dtype, shape, offset = _read_header(f, error)
        n_bytes = math.prod(shape) * dtype.itemsize
        size = os.fstat(f.fileno()).st_size - offset
    if size < n_bytes:
        raise error(_truncated(shape, dtype, n_bytes, size))
    if size > n_bytes:
        raise error(_trailing(shape, dtype, n_bytes))
    if n_bytes == 0:
        # numpy cannot map an empty file region.
        return np.zeros(shape, dtype=dtype)
    return np.memmap(name, dtype=dtype, mode=mmap_mode, offset=offset, shape=shape)


def write_idx(path, array):
    """Write an array as an IDX file, gzip-compressed if the name ends in .gz.

    The file is written under a temporary name in the same folder and renamed
    into place only when complete, so a failed write leaves no partial file.

    Parameters
    ----------
    path : str or path-like
        The file to write; an existing file is replaced.
    array : array-like
        The data: of a dtype that IDX can store (see :func:`read_idx`), with
        up to 255 dimensions, each smaller than 2**32.

    Raises
    ------
    ValueError
        If the dtype or the shape cannot be stored in IDX.

    See Also
    --------
    read_idx : Read an IDX file into a numpy array.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from skdigitnet.datasets import read_idx, write_idx
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "labels-idx1-ubyte.gz")
    ...     write_idx(path, np.array([5, 0, 4], dtype=np.uint8))
    ...     read_idx(path)
    array([5, 0, 4], dtype=uint8)
    """
    name = os.fspath(path)
    array = np.asarray(array)
    type_code = _IDX_TYPE_CODES.get(array.dtype.newbyteorder("="))
    if type_code is None:
        supported = ", ".join(dtype.name for dtype in _IDX_TYPE_CODES)
        raise ValueError(
            f"Cannot write IDX file {name!r}: dtype {array.dtype} has no IDX "
            f"type code; cast to one of {supported}."
        )
    if array.ndim > 255 or any(size >= 2**32 for size in array.shape):
        raise ValueError(
            f"Cannot write IDX file {name!r}: shape {array.shape} does not "
            "fit IDX's header (at most 255 dimensions, each below 2**32)."
        )
    header = bytes([0, 0, type_code, array.ndim])
    header += struct.pack(f">{array.ndim}I", *array.shape)
    data = np.ascontiguousarray(array, dtype=_IDX_DTYPES[type_code]).tobytes()

    base = os.path.basename(name)
    with atomic_write(name) as raw:
        if name.endswith(".gz"):
            # filename and mtime fix the gzip header: the final name, and
            # the same bytes for the same array.
            with gzip.GzipFile(filename=base, mode="wb", fileobj=raw, mtime=0) as f:
                f.write(header)
                f.write(data)
        else:
            raw.write(header)
            raw.write(data)


def _find_file(folder, stem):
    """Path of ``stem`` or ``stem.gz`` in ``folder`` (raw first), or None."""
    for name in (stem, stem + ".gz"):
        candidate = os.path.join(folder, name)
        if os.path.isfile(candidate):
            return candidate
    return None


def _has_files(folder, part):
    """Whether both files of ``part`` ("train" or "test") are in ``folder``."""
    return all(_find_file(folder, stem) is not None for stem in _MNIST_FILES[part])


class MissingFilesError(FileNotFoundError):
    """Files of MNIST's layout missing from a folder.

    Raised by :func:`load_mnist` and :func:`load_train_test`; its message
    says which files are missing and where to get them. Each parameter is
    kept as the attribute of the same name (``missing`` as a list).

    Parameters
    ----------
    folder : str
        The folder that lacks them.
    missing : iterable of str
        The stems of the missing files, such as ``"train-images-idx3-ubyte"``.
    reason : Exception, default=None
        Why a download failed, or None if none was tried.
    """

    def __init__(self, folder, missing, reason=None):
        self.folder = folder
        self.missing = list(missing)
        self.reason = reason
        names = ", ".join(f"{stem}[.gz]" for stem in self.missing)
        where = "" if os.path.isdir(folder) else " (the folder does not exist)"
        failed = ""
        fetch = (
            "or pass download_if_missing=True to fetch MNIST from OpenML through "
            "scikit-learn, "
        )
        if reason is not None:
            failed, fetch = f"Downloading MNIST failed: {reason}. ", ""
        super().__init__(
            f"{failed}MNIST-layout files missing from folder {folder!r}{where}: "
            f"{names}. Expected there: train-images-idx3-ubyte, "
            "train-labels-idx1-ubyte, t10k-images-idx3-ubyte and "
            "t10k-labels-idx1-ubyte, each raw or gzip-compressed (.gz). To get "
            f"them, download the four files from {MNIST_URL} into that folder, "
            f"{fetch}or give the folder of any dataset in the same layout, such as "
            "Fashion-MNIST (for example /usr/share/datasets/fashion-mnist from "
            "the Debian package dataset-fashion-mnist)."
        )


def _fetch_openml_mnist(data_home):
    """Fetch MNIST from OpenML as ``(X, y)``: 70,000 rows of 784 pixels, labels."""
    return fetch_openml(
        "mnist_784", version=1, as_frame=False, return_X_y=True, data_home=data_home
    )


def _download_mnist(folder, data_home, missing):
    """Fetch MNIST and write those of its four IDX files missing from ``folder``.

    Nothing is left behind if the fetch or a write fails: files written by
    this call are removed again before the exception propagates.
    """
    try:
        X, y = _fetch_openml_mnist(data_home)
    except OSError as exc:
        # No connection (URLError is an OSError): the advice of offline.
        raise MissingFilesError(folder, missing, reason=exc) from exc
    X, y = np.asarray(X), np.asarray(y)
    n_expected = _MNIST_N_TRAIN + _MNIST_N_TEST
    n_pixels = math.prod(_MNIST_SHAPE)
    if X.shape != (n_expected, n_pixels) or y.shape != (n_expected,):
        raise ValueError(
            f"OpenML's mnist_784 has unexpected shapes X {X.shape} and y "
            f"{y.shape}; expected ({n_expected}, {n_pixels}) and ({n_expected},)."
        )
    # OpenML returns float pixels and string labels; IDX MNIST holds bytes.
    images = X.astype(np.uint8).reshape(-1, *_MNIST_SHAPE)
    labels = y.astype(np.int64).astype(np.uint8)
    n = _MNIST_N_TRAIN
    arrays = {"train": (images[:n], labels[:n]), "test": (images[n:], labels[n:])}

    os.makedirs(folder, exist_ok=True)
    written = []
    try:
        for part, stems in _MNIST_FILES.items():
            for stem, array in zip(stems, arrays[part]):
                if _find_file(folder, stem) is None:
                    path = os.path.join(folder, stem + ".gz")
                    # Listed before writing: the path was free, so whatever
                    # is there after a failure is ours to remove.
                    written.append(path)
                    write_idx(path, array)
    except BaseException:
        for path in written:
            if os.path.exists(path):
                os.remove(path)
        raise


def _read_part(folder, part, mmap_mode=None):
    """Read and check the images and labels of ``part`` from ``folder``."""
    images_stem, labels_stem = _MNIST_FILES[part]
    images_path = _find_file(folder, images_stem)
    labels_path = _find_file(folder, labels_stem)
    images = read_idx(images_path, mmap_mode=mmap_mode)
    labels = read_idx(labels_path)
    if images.ndim != 3 or images.shape[1:] != _MNIST_SHAPE:
        raise ValueError(
            f"Images file {images_path!r} holds an array of shape "
            f"{images.shape}; expected (n_samples, 28, 28)."
        )
    if images.dtype != np.uint8:
        raise ValueError(
            f"Images file {images_path!r} holds {images.dtype} values; "
            "expected unsigned bytes (type code 0x08)."
        )
    if labels.ndim != 1:
        raise ValueError(
            f"Labels file {labels_path!r} holds an array of shape "
            f"{labels.shape}; expected (n_samples,)."
        )
    if labels.dtype.kind not in "iu":
        raise ValueError(
            f"Labels file {labels_path!r} holds {labels.dtype} values; "
            "expected integers."
        )
    if len(images) != len(labels):
        raise ValueError(
            f"Images file {images_path!r} holds {len(images)} images but "
            f"labels file {labels_path!r} holds {len(labels)} labels."
        )
    return images, labels.astype(np.int64)


def load_mnist(
    path=None,
    *,
    subset="train",
    return_X_y=False,
    download_if_missing=False,
    data_home=None,
    mmap_mode=None,
):
    """Load the MNIST digits, or any dataset in MNIST's layout, from IDX files.

    The folder holds ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte``, each raw or
    gzip-compressed with ``.gz`` added to the name (the raw file is read if
    both exist). Fashion-MNIST uses the same names, so its folder works too.
    The Bunch's ``DESCR`` describes MNIST: 60,000 training and 10,000 test
    images of 28x28 grey levels 0-255, in 10 classes.

    Parameters
    ----------
    path : str or path-like, default=None
        The folder of the files. If None, the folder ``mnist`` in
        scikit-learn's data home (see :func:`sklearn.datasets.get_data_home`).
    subset : {"train", "test", "all"}, default="train"
        Which set to load: the training set, the test set, or both, training
        set first.
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.
    download_if_missing : bool, default=False
        If True and files needed are missing, fetch MNIST from OpenML with
        :func:`sklearn.datasets.fetch_openml` and write those of the four
        files that are missing into the folder, gzip-compressed. Files
        already there are kept. Each file is renamed into place only when
        complete, and nothing is left behind if the download fails.
    data_home : str or path-like, default=None
        scikit-learn's data home: where the default folder is, and where
        :func:`~sklearn.datasets.fetch_openml` keeps its cache.
    mmap_mode : {None, "r", "c"}, default=None
        If given, map the raw images file as :func:`read_idx` does: ``data``
        and ``images`` are then :class:`numpy.memmap` views of it, and
        ``subset`` must be "train" or "test". The labels are read.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object, with the following attributes.

        data : ndarray of shape (n_samples, 784), dtype uint8
            The pixels as the files hold them, one row per image, row by row.
        target : ndarray of shape (n_samples,), dtype int64
            The labels.
        images : ndarray of shape (n_samples, 28, 28), dtype uint8
            The images; shares memory with ``data``.
        feature_names : list of str
            ``pixel_<row>_<column>``, from ``pixel_0_0`` to ``pixel_27_27``.
        target_names : ndarray of shape (10,)
            The classes, 0 to 9.
        DESCR : str
            The full description of MNIST.
        subset : str
            The subset loaded.

    (data, target) : tuple if ``return_X_y`` is True
        The arrays ``data`` and ``target`` described above.

    Raises
    ------
    FileNotFoundError
        If files needed are missing and ``download_if_missing`` is False, or
        the download failed for lack of a connection. The message names the
        folder and the files and says how to get them.
    ValueError
        If a file is not valid IDX, the images are not 28x28 bytes, the
        labels are not one integer per image, or ``subset`` is unknown. The
        message names the file.

    See Also
    --------
    load_train_test : The train and test sets scaled to [0, 1].
    read_idx : Read one IDX file.

    Examples
    --------
    A tiny folder in MNIST's layout:

    >>> import os, tempfile
    >>> import numpy as np
    >>> from skdigitnet.datasets import load_mnist, write_idx
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     for prefix, n in (("train", 6), ("t10k", 4)):
    ...         stem = os.path.join(folder, prefix)
    ...         write_idx(f"{stem}-images-idx3-ubyte", np.zeros((n, 28, 28), np.uint8))
    ...         write_idx(f"{stem}-labels-idx1-ubyte", np.arange(n, dtype=np.uint8))
    ...     mnist = load_mnist(folder, subset="all")
    >>> mnist.data.shape, mnist.images.shape
    ((10, 784), (10, 28, 28))
    >>> mnist.target
    array([0, 1, 2, 3, 4, 5, 0, 1, 2, 3])
    """
    if subset not in ("train", "test", "all"):
        raise ValueError(
            f"subset must be 'train', 'test' or 'all'; got {subset!r} instead."
        )
    if mmap_mode is not None and subset == "all":
        raise ValueError(
            "subset='all' joins two files in memory and cannot be memory-mapped;"
            " load subset='train' and subset='test' one at a time instead."
        )
    if path is None:
        path = os.path.join(get_data_home(data_home), "mnist")
    folder = os.fspath(path)
    parts = ["train", "test"] if subset == "all" else [subset]
    _ensure_files(folder, parts, download_if_missing, data_home)

    if subset == "all":
        arrays = [_read_part(folder, part) for part in parts]
        images, target = (np.concatenate(columns) for columns in zip(*arrays))
    else:
        images, target = _read_part(folder, subset, mmap_mode)
    data = images.reshape(len(images), -1)
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        images=images,
        feature_names=[f"pixel_{r}_{c}" for r, c in np.ndindex(_MNIST_SHAPE)],
        target_names=np.arange(10),
        DESCR=_MNIST_DESCR,
        subset=subset,
    )


def _ensure_files(folder, parts, download_if_missing, data_home):
    """Check that ``folder`` holds the files of ``parts``; download them if asked."""
    stems = [stem for part in parts for stem in _MNIST_FILES[part]]
    missing = [stem for stem in stems if _find_file(folder, stem) is None]
    if missing:
        if not download_if_missing:
            raise MissingFilesError(folder, missing)
        _download_mnist(folder, data_home, missing)


def data_folder(data, data_home=None):
    """Return the folder that :func:`load_train_test` reads ``data`` from.

    Parameters
    ----------
    data : str or path-like
        ``"mnist"``, or the path of a folder in MNIST's layout.
    data_home : str or path-like, default=None
        scikit-learn's data home, where ``"mnist"`` lies (see
        :func:`sklearn.datasets.get_data_home`).

    Returns
    -------
    folder : str
        The folder ``mnist`` of the data home for ``"mnist"``, else ``data``.
    """
    if isinstance(data, str) and data == "mnist":
        return os.path.join(get_data_home(data_home), "mnist")
    return os.fspath(data)


def only_test_files(folder):
    """Tell whether ``folder`` holds MNIST's ``t10k`` files but not the others.

    Parameters
    ----------
    folder : str or path-like
        A folder in MNIST's layout.

    Returns
    -------
    only_test : bool
        True if both ``t10k`` files are there and a training file is not.
    """
    return not _has_files(folder, "train") and _has_files(folder, "test")


def load_train_test(
    data="digits", *, data_home=None, download_if_missing=False, random_state=0
):
    """Load a train and a test set of digit images, pixels scaled to [0, 1].

    Parameters
    ----------
    data : str or path-like, default="digits"
        Which data:

        - ``"digits"``: scikit-learn's bundled 8x8 digits
          (:func:`sklearn.datasets.load_digits`), grey levels 0-16 divided by
          16, split by ``train_test_split(X, y, test_size=0.2, stratify=y,
          random_state=random_state)``.
        - ``"mnist"``: :func:`load_mnist` on its default folder; its training
          and test sets, pixels divided by 255.
        - any other string or path: a folder in MNIST's layout (for example
          Fashion-MNIST), read the same way. Write ``"./digits"`` for a folder
          called ``digits``.

        If the folder holds only the ``t10k`` files (see
        :func:`only_test_files`) and ``download_if_missing`` is False, the
        test set alone is split as the digits are.
    data_home : str or path-like, default=None
        scikit-learn's data home, for ``"mnist"``; see :func:`load_mnist`.
    download_if_missing : bool, default=False
        For ``"mnist"`` or a folder: fetch MNIST if files are missing; see
        :func:`load_mnist`.
    random_state : int, RandomState instance or None, default=0
        Controls the 80/20 split where there is one; MNIST's own split is
        fixed.

    Returns
    -------
    X_train : ndarray of shape (n_train, n_features), dtype float64
        Training pixels in [0, 1], one row per image.
    X_test : ndarray of shape (n_test, n_features), dtype float64
        Test pixels in [0, 1].
    y_train : ndarray of shape (n_train,)
        Training labels.
    y_test : ndarray of shape (n_test,)
        Test labels.

    Raises
    ------
    FileNotFoundError
        If the files are missing; see :func:`load_mnist`.
    ValueError
        If a file is not valid; see :func:`load_mnist`.

    See Also
    --------
    load_mnist : MNIST as a Bunch of unscaled bytes.

    Examples
    --------
    >>> from skdigitnet.datasets import load_train_test
    >>> X_train, X_test, y_train, y_test = load_train_test("digits")
    >>> X_train.shape, X_test.shape
    ((1437, 64), (360, 64))
    >>> float(X_train.min()), float(X_train.max())
    (0.0, 1.0)
    """
    if isinstance(data, str) and data == "digits":
        X, y = load_digits(return_X_y=True)
        return _split(X / DIGITS_GREY_MAX, y, random_state)

    folder = data_folder(data, data_home)
    load = {"data_home": data_home, "download_if_missing": download_if_missing}
    if not download_if_missing and only_test_files(folder):
        X, y = load_mnist(folder, subset="test", return_X_y=True, **load)
        return _split(X / IDX_GREY_MAX, y, random_state)

    X_train, y_train = load_mnist(folder, subset="train", return_X_y=True, **load)
    X_test, y_test = load_mnist(folder, subset="test", return_X_y=True, **load)
    return X_train / IDX_GREY_MAX, X_test / IDX_GREY_MAX, y_train, y_test


def _split(X, y, random_state):
    """Split ``X, y`` by load_train_test's fixed stratified 80/20 rule."""
    split = train_test_split(X, y, test_size=0.2, stratify=y, random_state=random_state)
    return tuple(split)
