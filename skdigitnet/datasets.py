"""Digit datasets: IDX files, MNIST and its look-alikes, and scikit-learn's digits.

:func:`read_idx`, :func:`write_idx` and :func:`idx_chunks` handle LeCun's IDX
format, raw or gzip-compressed; :func:`load_mnist` reads a folder in MNIST's
layout (MNIST itself, Fashion-MNIST, ...) into a scikit-learn Bunch;
:func:`load_train_test` gives the train and test sets, scaled to [0, 1], that
the command line and the benchmarks use; :func:`expand_images` adds chapter
3's shifted copies to training images.
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
