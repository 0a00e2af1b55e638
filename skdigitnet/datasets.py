"""Digit datasets: IDX files, MNIST and its look-alikes, and scikit-learn's digits.

:func:`read_idx` and :func:`write_idx` handle LeCun's IDX format, raw or
gzip-compressed; ``read_idx(path, mmap_mode="r")`` maps a raw file into
memory instead of reading it, for files larger than memory.
:func:`load_mnist` reads a folder in MNIST's layout (MNIST itself,
Fashion-MNIST, ...) into a scikit-learn Bunch, and
:func:`load_train_test` gives the train and test sets, scaled to [0, 1], used
by the command line and the benchmarks. :func:`expand_images` adds to
training images the shifted copies of chapter 3's expanded training data.
"""

from ._datasets import load_mnist, load_train_test, read_idx, write_idx
from ._expand import expand_images

__all__ = ["expand_images", "load_mnist", "load_train_test", "read_idx", "write_idx"]
