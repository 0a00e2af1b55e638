"""Every figure the README and the docs quote comes from code.

Figures on scikit-learn's 8x8 digits are recomputed here and compared with
the text. Figures on data the tests do not have (MNIST, Fashion-MNIST) must
stand in a section that names the benchmark command printing them and the
machine they were measured on.
"""

import importlib.util
import io
import re
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.rst"))]

PERCENT = re.compile(r"\d+(?:\.\d+)?\s?%")
TIMING = re.compile(r"\d+(?:\.\d+)?\s?s per epoch|\d+(?:\.\d+)? seconds")
COMMAND = re.compile(r"python3? benchmarks/\w+\.py")
MACHINE = re.compile(r"measured\s+on\b", re.IGNORECASE)


def sections(path):
    """Split a page into ``(title, text)`` sections at its headings."""
    lines = path.read_text(encoding="utf-8").splitlines()
    starts = [0]
    for i, line in enumerate(lines):
        if path.suffix == ".md" and line.startswith("#"):
            starts.append(i)
        elif (
            path.suffix == ".rst"
            and i > 0
            and re.fullmatch(r"([=\-~^])\1{2,}", line)
            and lines[i - 1].strip()
            and not re.fullmatch(r"([=\-~^])\1{2,}", lines[i - 1])
        ):
            starts.append(i - 1)
    starts.append(len(lines))
    return [
        (lines[a], "\n".join(lines[a:b])) for a, b in zip(starts, starts[1:]) if b > a
    ]


def unsourced(path):
    """The figures of ``path`` whose section has no command and machine."""
    missing = []
    for title, text in sections(path):
        figures = PERCENT.findall(text) + TIMING.findall(text)
        if figures and not (COMMAND.search(text) and MACHINE.search(text)):
            missing.append(f"{path.name}, section {title!r}: {figures}")
    return missing


def test_every_quoted_figure_names_its_command_and_machine():
    missing = [entry for page in PAGES for entry in unsourced(page)]
    assert not missing, "\n".join(missing)


def test_the_figure_check_finds_an_unsourced_figure(tmp_path):
    page = tmp_path / "page.rst"
    page.write_text(
        "Title\n=====\n\nIt reaches 97.5% here.\n\n"
        "Other\n=====\n\n91% with ``python benchmarks/x.py``, measured on a "
        "laptop.\n",
        encoding="utf-8",
    )
    assert unsourced(page) == ["page.rst, section 'Title': ['97.5%']"]


# --- the 8x8 digits -------------------------------------------------------


@pytest.mark.slow
def test_quick_start_shows_what_the_command_prints():
    # The quick start quotes the last lines of a bare ``skdigitnet`` run.
    page = (DOCS / "quick_start.rst").read_text(encoding="utf-8")
    block = page.split("$ skdigitnet\n", 1)[1].split("\n\n", 1)[0]
    shown = [line.strip() for line in block.splitlines() if line.strip() != "..."]
    assert shown and shown[0].startswith("Epoch 30:")
    run = subprocess.run(
        [sys.executable, "-m", "skdigitnet"],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    printed = run.stdout.splitlines()
    for line in shown:
        assert line in printed, (line, printed)


def list_tables(text):
    """The rows (lists of cells) of each ``list-table`` of an rst page."""
    tables = []
    for block in text.split(".. list-table::")[1:]:
        rows = []
        for line in block.splitlines()[1:]:
            if line and not line.startswith("   "):
                break
            if line.startswith("   * - "):
                rows.append([line[7:].strip()])
            elif line.startswith("     - "):
                rows[-1].append(line[7:].strip())
            elif rows and line.strip():
                rows[-1][-1] += " " + line.strip()
        tables.append(rows[1:])
    return tables


def run_settings_benchmark():
    """Run ``benchmarks/settings.py``; map each setting to its printed cells."""
    spec = importlib.util.spec_from_file_location(
        "settings_benchmark", ROOT / "benchmarks" / "settings.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = io.StringIO()
    with redirect_stdout(out):
        module.main()
    rows = {}
    for line in out.getvalue().splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) == 5:
            rows[cells[1]] = {"accuracy": cells[2], "saturated": cells[4]}
    return rows


@pytest.mark.slow
def test_choosing_settings_figures_are_the_benchmarks():
    # Every accuracy on the settings page, recomputed by the command it names.
    page = (DOCS / "choosing_settings.rst").read_text(encoding="utf-8")
    assert "python benchmarks/settings.py" in page
    got = run_settings_benchmark()
    scaling, etas, hidden, batches, epochs = list_tables(page)

    want = [
        "MinMaxScaler, defaults",
        "StandardScaler, defaults",
        "no scaling (0..16), defaults",
        'StandardScaler, weight_init="scaled"',
        'MinMaxScaler, weight_init="scaled"',
    ]
    for row, label in zip(scaling, want, strict=True):
        assert row[1:] == [got[label]["accuracy"], got[label]["saturated"]], label

    for row, loss in zip(etas, ["squared_error", "cross_entropy", "log_loss"]):
        for pair in row[1].replace("*", "").split(", "):
            eta, accuracy = pair.split(": ")
            label = f"loss={loss!r}, eta={float(eta)}"
            assert accuracy == got[label]["accuracy"].split(" ")[0], label

    for row, size in zip(hidden, ["(10,)", "(30,)", "(100,)", "(100, 30)"]):
        for cell, init in zip(row[1:], ["gaussian", "scaled"], strict=True):
            label = f"hidden_layer_sizes={size}, weight_init={init!r}"
            assert cell == got[label]["accuracy"], label

    for row, (batch, eta) in zip(
        batches, [(1, 0.3), (10, 3.0), (32, 3.0), (100, 3.0), (100, 10.0)]
    ):
        label = f"batch_size={batch}, eta={eta}"
        assert row[1] == got[label]["accuracy"], label

    for row in epochs:
        label = row[0].strip("`").replace(" (the book's)", "").rstrip("`")
        assert row[1] == got[label]["accuracy"], label

    # The float32 paragraph: the same accuracy to three decimals.
    same = re.search(r"three decimals \((\d\.\d{3}) for\s+both\)", page).group(1)
    for label in ("float64 input", "float32 input"):
        assert got[label]["accuracy"].startswith(same), label
