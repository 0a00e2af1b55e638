"""``skdigitnet predict`` in bounded memory, and files that claim too much.

Each command runs in a child process under an address-space limit
(``resource.setrlimit``), so that a reader that allocates what a file
claims fails here instead of swapping.
"""

import gzip
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from conftest import assert_one_error_line

from skdigitnet._cli import main
from skdigitnet.datasets import write_idx

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="needs /proc and RLIMIT_AS"
)

MiB = 2**20

# Runs the command line under an address-space limit (0: none), then writes
# its peak virtual and resident memory to a file.
_CHILD = """
import os, resource, sys
limit = int(os.environ["SKDIGITNET_TEST_LIMIT"])
if limit:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from skdigitnet._cli import main
status = main(sys.argv[1:])
with open("/proc/self/status") as status_file:
    peaks = [line for line in status_file if line.startswith(("VmPeak", "VmHWM"))]
with open(os.environ["SKDIGITNET_TEST_PEAK"], "w") as f:
    f.writelines(peaks)
sys.exit(status)
"""


def run_limited(tmp_path, args, limit=0):
    """Run ``skdigitnet ARGS`` under ``limit`` bytes of address space.

    Return the completed process and the peak (VmPeak, VmHWM) in bytes, or
    None when the command did not get that far.
    """
    peak_file = tmp_path / "peak.txt"
    if peak_file.exists():
        peak_file.unlink()
    env = {
        **os.environ,
        "SKDIGITNET_TEST_LIMIT": str(limit),
        "SKDIGITNET_TEST_PEAK": str(peak_file),
        # One BLAS thread: each thread's buffers would count into the limit.
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MALLOC_ARENA_MAX": "2",
    }
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    peaks = None
    if peak_file.exists():
        values = dict(line.split(":") for line in peak_file.read_text().splitlines())
        peaks = tuple(int(values[k].split()[0]) * 1024 for k in ("VmPeak", "VmHWM"))
    return result, peaks


def assert_refused(result, match):
    """Check a process refused its input: one error line naming ``match``."""
    assert_one_error_line(result.returncode, result.stderr, re.escape(match))
    assert result.stdout == ""


@pytest.fixture(scope="module")
def mnist_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mnist-layout")
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 60), ("t10k", 20)):
        images = rng.integers(256, size=(n, 28, 28), dtype=np.uint8)
        write_idx(folder / f"{prefix}-images-idx3-ubyte", images)
        write_idx(
            folder / f"{prefix}-labels-idx1-ubyte", (np.arange(n) % 10).astype(np.uint8)
        )
    path = folder / "mnist.joblib"
    args = ["train", "--data", str(folder), "--hidden", "6", "--epochs", "1"]
    assert main([*args, "--dtype", "float32", "--save", str(path)]) == 0
    return path


@pytest.fixture(scope="module")
def baseline(tmp_path_factory, mnist_model):
    """Peak address space of predicting one image: the constant of the bound."""
    tmp_path = tmp_path_factory.mktemp("baseline")
    np.save(tmp_path / "one.npy", np.zeros((28, 28), dtype=np.uint8))
    result, peaks = run_limited(
        tmp_path, ["predict", mnist_model, tmp_path / "one.npy"]
    )
    assert result.returncode == 0, result.stderr
    return peaks[0]


@pytest.mark.slow
def test_a_large_idx_file_is_predicted_within_twice_its_size(
    tmp_path, mnist_model, baseline
):
    # 40 MiB of 28x28 images: reading them as float64 all at once, as
    # predict once did, needs eight times that.
    n = 40 * MiB // 784
    images = np.random.default_rng(1).integers(256, size=(n, 28, 28), dtype=np.uint8)
    path = tmp_path / "images-idx3-ubyte"
    write_idx(path, images)
    size = path.stat().st_size
    del images

    limit = baseline + 2 * size + 32 * MiB
    result, peaks = run_limited(tmp_path, ["predict", mnist_model, path], limit)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.count("\n") == n
    assert peaks[0] <= limit


@pytest.mark.slow
def test_a_gzip_file_is_streamed(tmp_path, mnist_model, baseline):
    # 64 MiB of blank images compress to a fraction of a MiB.
    n = 64 * MiB // 784
    path = tmp_path / "blank-idx3-ubyte.gz"
    write_idx(path, np.zeros((n, 28, 28), dtype=np.uint8))
    assert path.stat().st_size < MiB

    limit = baseline + 32 * MiB
    result, _ = run_limited(tmp_path, ["predict", mnist_model, path], limit)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.count("\n") == n


def _gzip_bomb(path, header, n_zero_bytes):
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(header)
        block = bytes(MiB)
        for _ in range(n_zero_bytes // MiB):
            f.write(block)
    return path


@pytest.mark.slow
def test_a_gzip_bomb_declaring_one_image_is_refused(tmp_path, mnist_model, baseline):
    header = b"\x00\x00\x08\x03" + np.array([1, 28, 28], ">u4").tobytes()
    bomb = _gzip_bomb(tmp_path / "bomb-idx3-ubyte.gz", header, 128 * MiB)
    result, _ = run_limited(
        tmp_path, ["predict", mnist_model, bomb], baseline + 32 * MiB
    )
    assert_refused(result, "trailing bytes")


@pytest.mark.slow
def test_a_gzip_file_claiming_more_than_it_holds_is_refused(
    tmp_path, mnist_model, baseline
):
    # Its header claims 10**9 images; it holds 64 MiB of them.
    header = b"\x00\x00\x08\x03" + np.array([10**9, 28, 28], ">u4").tobytes()
    bomb = _gzip_bomb(tmp_path / "claims-idx3-ubyte.gz", header, 64 * MiB)
    result, _ = run_limited(
        tmp_path, ["predict", mnist_model, bomb], baseline + 32 * MiB
    )
    assert_refused(result, "truncated data")


@pytest.mark.slow
@pytest.mark.parametrize("compressed", [False, True], ids=["raw", "gzip"])
def test_an_idx_header_claiming_1e9_rows_is_refused_at_once(
    tmp_path, mnist_model, baseline, compressed
):
    header = b"\x00\x00\x08\x03" + np.array([10**9, 28, 28], ">u4").tobytes()
    data = header + bytes(784 * 3)
    path = tmp_path / "claims-idx3-ubyte"
    if compressed:
        path, data = path.with_suffix(".gz"), gzip.compress(data)
    path.write_bytes(data)
    result, _ = run_limited(
        tmp_path, ["predict", mnist_model, path], baseline + 32 * MiB
    )
    assert_refused(result, "truncated data")


@pytest.mark.slow
def test_a_npy_header_claiming_more_than_the_file_holds_is_refused(
    tmp_path, mnist_model, baseline
):
    # A 200-byte file whose header claims (4e7, 784) float64: 250 GB.
    path = tmp_path / "huge.npy"
    with open(path, "wb") as f:
        np.lib.format.write_array_header_1_0(
            f, {"descr": "<f8", "fortran_order": False, "shape": (40_000_000, 784)}
        )
        f.write(bytes(64))
    assert path.stat().st_size < 300
    result, _ = run_limited(
        tmp_path, ["predict", mnist_model, path], baseline + 32 * MiB
    )
    assert_refused(result, "claims shape (40000000, 784)")


def test_running_out_of_memory_is_one_line(tmp_path, mnist_model, monkeypatch, capsys):
    # What no limit in a test can make certain: numpy failing to allocate.
    from sklearn.pipeline import Pipeline

    def no_memory(self, X, **params):
        raise MemoryError

    monkeypatch.setattr(Pipeline, "predict", no_memory)
    path = str(tmp_path / "x.npy")
    np.save(path, np.zeros((3, 784), dtype=np.uint8))
    status = main(["predict", str(mnist_model), path])
    _, err = capsys.readouterr()
    assert status == 2
    assert err == f"skdigitnet: error: not enough memory to read {path!r}.\n"
