"""Digit datasets: IDX files, MNIST and its look-alikes, and scikit-learn's digits.

:func:`read_idx` and :func:`write_idx` handle LeCun's IDX format, raw or
gzip-compressed; ``read_idx(path, mmap_mode="r")`` maps a raw file into
memory instead of reading it, for files larger than memory, and
:func:`idx_chunks` reads one a chunk of rows at a time.
:func:`load_mnist` reads a folder in MNIST's layout (MNIST itself,
Fashion-MNIST, ...) into a scikit-learn Bunch, and
:func:`load_train_test` gives the train and test sets, scaled to [0, 1], used
by the command line and the benchmarks: it divides grey levels by
``DIGITS_GREY_MAX`` (16) for the digits and ``IDX_GREY_MAX`` (255) for
MNIST's layout, reads the folder :func:`data_folder` names, splits one that
:func:`only_test_files` describes, and raises :class:`MissingFilesError`
when files are missing (``MNIST_URL`` has them). :func:`expand_images` adds
to training images the shifted copies of chapter 3's expanded training data.
"""

from ._datasets import (
    DIGITS_GREY_MAX,
    IDX_GREY_MAX,
    MNIST_URL,
    MissingFilesError,
    data_folder,
    idx_chunks,
    load_mnist,
    load_train_test,
    only_test_files,
    read_idx,
    write_idx,
)
from ._expand import expand_images

__all__ = [
    "DIGITS_GREY_MAX",
    "IDX_GREY_MAX",
    "MNIST_URL",
    "MissingFilesError",
    "data_folder",
    "expand_images",
    "idx_chunks",
    "load_mnist",
    "load_train_test",
    "only_test_files",
    "read_idx",
    "write_idx",
]
