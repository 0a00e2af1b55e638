"""The built documentation site, as a reader sees it.

These tests read the HTML that ``make -C docs html-offline`` (or CI's
Sphinx command) writes to ``docs/_build/html``. Without a built site they
are skipped, unless ``SKDIGITNET_REQUIRE_SITE=1``, as CI sets after its
build, makes that a failure.
"""

import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "docs" / "_build" / "html"

# What Sphinx's smart quotes make of "--", "'" and '"'.
TYPOGRAPHIC = "\u2013\u2014\u2018\u2019\u201c\u201d"
LITERAL_TAGS = {"code", "pre", "kbd", "samp", "tt"}
LITERAL_CLASSES = {"pre", "literal", "option", "sig", "highlight"}
VOID_TAGS = {"br", "img", "meta", "link", "input", "hr", "wbr", "source", "col"}


class LiteralText(HTMLParser):
    """Collect the text inside code, literal and option elements."""

    def __init__(self):
        super().__init__()
        self.stack = []
        self.literal = []

    def handle_starttag(self, tag, attrs):
        if tag in VOID_TAGS:
            return
        classes = set((dict(attrs).get("class") or "").split())
        inside = bool(self.stack and self.stack[-1])
        self.stack.append(
            inside or tag in LITERAL_TAGS or bool(classes & LITERAL_CLASSES)
        )

    def handle_endtag(self, tag):
        if tag not in VOID_TAGS and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if self.stack and self.stack[-1]:
            self.literal.append(data)


def literal_text(html):
    parser = LiteralText()
    parser.feed(html)
    return "".join(parser.literal)


@pytest.fixture(scope="module")
def pages():
    if not (SITE / "index.html").exists():
        if os.environ.get("SKDIGITNET_REQUIRE_SITE", "") not in ("", "0"):
            pytest.fail(f"no built site in {SITE}")
        pytest.skip("the site is not built (make -C docs html-offline)")
    # The highlighted source listings (_modules) show the files as they are.
    return {
        path.relative_to(SITE).as_posix(): path.read_text(encoding="utf-8")
        for path in SITE.rglob("*.html")
        if "_modules" not in path.parts
    }


def test_the_literal_text_parser_sees_code_and_options():
    html = (
        "<p>Run \u201cit\u201d <code class='docutils'><span class='pre'>"
        "skdigitnet \u2013eta</span></code> and <kbd>--x</kbd><br>"
        "<span class='option'>--y</span></p>"
    )
    assert literal_text(html) == "skdigitnet \u2013eta--x--y"


def test_no_typographic_dash_or_quote_in_code(pages):
    found = {
        name: sorted(set(re.findall(f"[{TYPOGRAPHIC}].{{0,20}}", text)))
        for name, html in pages.items()
        if (text := literal_text(html)) and re.search(f"[{TYPOGRAPHIC}]", text)
    }
    assert not found, found


def test_no_option_turned_into_a_dash(pages):
    # "--eta" set as "\u2013eta" anywhere, prose included, cannot be pasted.
    found = {
        name: re.findall(r"\u2013[a-z][\w-]*", html)
        for name, html in pages.items()
        if re.search(r"\u2013[a-z]", html)
    }
    assert not found, found


def test_cli_page_states_each_default_once(pages):
    html = pages["cli.html"]
    assert "(default: 30)" in html
    assert "Default:" not in html


def test_gallery_output_shows_no_warning_or_path(pages):
    outputs = {
        name: re.findall(r'class="sphx-glr-script-out.*?</pre>', html, flags=re.DOTALL)
        for name, html in pages.items()
        if name.startswith("auto_examples/")
    }
    assert any(outputs.values())
    for name, blocks in outputs.items():
        for block in blocks:
            # As Python shows a warning: "path.py:123: SomeWarning: message".
            # A page about a warning may name it, as plot_scaling_saturation.
            assert not re.search(r"\.py:\d+|\w+Warning: ", block), (name, block)
            assert str(ROOT) not in block and "site-packages" not in block, name


def test_navigation_lists_each_page_once_and_is_never_empty(pages):
    for name, html in pages.items():
        for nav in re.findall(r'<nav class="bd-docs-nav.*?</nav>', html, re.DOTALL):
            links = re.findall(r'<a class="reference internal" href="([^"#]*)', nav)
            assert links, f"{name}: an empty section navigation"
            assert len(links) == len(set(links)), (name, links)


def test_api_summary_renders_its_maths(pages):
    html = pages["generated/skdigitnet.SigmoidMLPClassifier.html"]
    summary = html.split("Parameters", 1)[0]
    assert 'class="math' in summary
    assert "sum_x ||" not in summary
