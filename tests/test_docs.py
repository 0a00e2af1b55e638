"""The code on the documentation's pages runs and prints what they show."""

import doctest
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


@pytest.mark.parametrize("page", ["quick_start.rst", "user_guide.rst"])
def test_page_examples_run(page):
    result = doctest.testfile(
        str(DOCS / page),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        verbose=False,
    )
    assert result.attempted > 0
    assert result.failed == 0


def test_cli_reference_page_reads_the_command_lines_parser():
    from skdigitnet._cli import build_parser

    page = (DOCS / "cli.rst").read_text()
    assert ":module: skdigitnet._cli" in page
    assert ":func: build_parser" in page
    parser = build_parser()
    assert parser.prog == "skdigitnet"
    help_text = parser.format_help()
    for command in ("train", "evaluate", "predict"):
        assert command in help_text


def test_readme_test_command_installs_what_ci_installs():
    # The README's suite is CI's suite: the same extras, so that no test is
    # skipped for want of a package (the ONNX tests need the onnx extra).
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    pattern = r'pip install (?:--quiet )?-e "\.\[([\w,]+)\]"'
    readme_extras = re.findall(pattern + r" && python -m pytest", readme)
    ci_extras = re.findall(pattern, ci)
    assert len(readme_extras) == 1 and len(ci_extras) == 1
    assert set(readme_extras[0].split(",")) == set(ci_extras[0].split(","))
