"""The code on the documentation's pages runs and prints what they show."""

import doctest
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"


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
