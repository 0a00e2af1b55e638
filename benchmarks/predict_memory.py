"""Peak memory of ``skdigitnet predict`` on a large IDX file.

Writes a raw IDX file of random 28x28 images (``--megabytes``, default
100), trains a small network on a folder in MNIST's layout, then runs
``skdigitnet predict`` on the file in a fresh process and reports the
process's peak resident memory (``VmHWM``), for each source tree given (a
checkout of skdigitnet; the default is this one), so that two versions are
measured side by side in one run::

    python benchmarks/predict_memory.py --tree . --tree ../other-checkout

Linux only: it reads ``/proc/self/status``.
"""

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

# Runs the command line, then prints its peak resident memory in kB.
_CHILD = """
import sys
import skdigitnet
from skdigitnet._cli import main
status = main(sys.argv[1:])
with open("/proc/self/status") as f:
    peak = next(line for line in f if line.startswith("VmHWM")).split()[1]
print(skdigitnet.__file__, peak, file=sys.stderr)
sys.exit(status)
"""


def _write_idx(path, array):
    header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    with open(path, "wb") as f:
        f.write(header)
        f.write(np.ascontiguousarray(array).tobytes())


def _run(tree, args, stdout=subprocess.DEVNULL):
    env = {**os.environ, "PYTHONPATH": os.path.abspath(tree)}
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, *map(str, args)],
        # Not the current folder, which "python -c" puts first on the path.
        cwd=os.path.dirname(args[-1]),
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"{tree}: skdigitnet {args[0]} failed:\n{result.stderr}")
    imported, peak = result.stderr.split()[-2:]
    if not imported.startswith(os.path.abspath(tree)):
        raise SystemExit(f"{tree}: the child imported {imported}")
    return int(peak) * 1024


def main():
    """Measure and print the peak memory of predict for each tree."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", action="append", help="a skdigitnet checkout")
    parser.add_argument("--megabytes", type=float, default=100.0)
    args = parser.parse_args()
    trees = args.tree or [os.path.join(os.path.dirname(__file__), "..")]
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as folder:
        data = os.path.join(folder, "layout")
        os.mkdir(data)
        for prefix, n in (("train", 600), ("t10k", 100)):
            images = rng.integers(256, size=(n, 28, 28), dtype=np.uint8)
            _write_idx(os.path.join(data, f"{prefix}-images-idx3-ubyte"), images)
            labels = (np.arange(n) % 10).astype(np.uint8)
            _write_idx(os.path.join(data, f"{prefix}-labels-idx1-ubyte"), labels)
        n_images = int(args.megabytes * 2**20 / 784)
        big = os.path.join(folder, "big-idx3-ubyte")
        _write_idx(big, rng.integers(256, size=(n_images, 28, 28), dtype=np.uint8))
        one = os.path.join(folder, "one-idx3-ubyte")
        _write_idx(one, np.zeros((1, 28, 28), dtype=np.uint8))
        size = os.path.getsize(big)
        print(f"predict on a raw IDX file of {n_images:,} 28x28 images, {size:,} bytes")
        print("peak RSS; 'one image': predicting a file of one image, the constant")
        columns = ("one image", "large file", "(large-one)/file")
        print(f"{'tree':<30} {columns[0]:>12} {columns[1]:>12} {columns[2]:>17}")
        for i, tree in enumerate(trees):
            model = os.path.join(folder, f"net{i}.joblib")
            train = ["train", "--data", data, "--epochs", "1", "--save", model]
            _run(tree, train)
            base = _run(tree, ["predict", model, one])
            peak = _run(tree, ["predict", model, big])
            print(
                f"{tree:<30} {base / 2**20:8.0f} MiB {peak / 2**20:8.0f} MiB "
                f"{(peak - base) / size:17.2f}"
            )


if __name__ == "__main__":
    main()
