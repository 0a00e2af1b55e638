"""The code on the documentation's pages runs and prints what they show."""

import doctest
import re
from pathlib import Path

import pytest

from skdigitnet import SigmoidMLPClassifier

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


# What a user must learn from help(): each parameter's constraint, the errors
# and warnings it leads to, and what its values mean.
PARAMETER_DOCS = {
    "loss": ["Multilabel", '"log_loss"', "cross-entropy"],
    "learning_rate": ['"invscaling"', "power_t", '"adaptive"', "5", "1e-6"],
    "tol": ["n_iter_no_change", "None", "max_iter", "1e-4"],
    "warm_start": ["hidden_layer_sizes", "loss", "precision", "ValueError"],
    "batch_size": ["warning", '"auto"', "min(200, n_samples)"],
    "early_stopping": ["validation_fraction", "X_val", "stratified"],
    "n_iter_no_change": ["np.inf", "early_stopping"],
    "class_weight": ["non-negative", "np.bincount(y)", "partial_fit", "Multilabel"],
    "monitor": ["X_val", "held-out"],
}


@pytest.mark.parametrize("name", PARAMETER_DOCS)
def test_parameter_docs_say_what_help_must_say(name):
    ClassDoc = pytest.importorskip("numpydoc.docscrape").ClassDoc
    (param,) = [
        p for p in ClassDoc(SigmoidMLPClassifier)["Parameters"] if p.name == name
    ]
    text = " ".join(" ".join(param.desc).split())
    for words in PARAMETER_DOCS[name]:
        assert words in text, f"{name}: {words!r} not in {text!r}"


def test_fit_and_predict_proba_docs_say_their_warning_and_outputs():
    FunctionDoc = pytest.importorskip("numpydoc.docscrape").FunctionDoc
    fit = FunctionDoc(SigmoidMLPClassifier.fit)
    (x_val,) = [p for p in fit["Parameters"] if p.name == "X_val"]
    assert 'transform_input=["X_val"]' in " ".join(x_val.desc)
    assert "UserWarning" in " ".join(x_val.desc)
    proba = " ".join(SigmoidMLPClassifier.predict_proba.__doc__.split())
    assert "Softmax outputs" in proba and "multilabel" in proba


def test_class_notes_say_what_ctrl_c_does():
    ClassDoc = pytest.importorskip("numpydoc.docscrape").ClassDoc
    notes = " ".join(" ".join(ClassDoc(SigmoidMLPClassifier)["Notes"]).split())
    assert "Ctrl-C" in notes and "warning" in notes and "re-raises" in notes
