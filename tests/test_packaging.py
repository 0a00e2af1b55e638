import ast
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


def test_license_files_exist_and_match_the_declared_license():
    project = load_pyproject()["project"]
    assert project["license"] == "BSD-3-Clause"
    assert project["license-files"], "no license file is put in the wheel"
    for name in project["license-files"]:
        text = (ROOT / name).read_text()
        assert text.startswith("BSD 3-Clause License")
        assert "skdigitnet developers" in text


def load_pyproject():
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: pytest's own dependency
        tomllib = pytest.importorskip("tomli")
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def import_name(requirement):
    """The name a distribution is imported by: scikit-learn is sklearn."""
    return {"scikit-learn": "sklearn"}.get(requirement.name, requirement.name)


def test_dependency_floors_are_the_oldest_stack_ci_tests():
    # .ci/run installs .ci/min-dependencies.txt on the oldest Python: each
    # floor of pyproject.toml must be the version pinned there, so that what
    # is promised is what is tested.
    pins = {}
    for line in (ROOT / ".ci" / "min-dependencies.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.strip()] = version.strip()
    requirements = [Requirement(r) for r in load_pyproject()["project"]["dependencies"]]
    assert sorted(r.name for r in requirements) == sorted(pins)
    for requirement in requirements:
        floors = [s.version for s in requirement.specifier if s.operator == ">="]
        assert floors == [pins[requirement.name]], requirement
        assert requirement.specifier.contains(pins[requirement.name])


def imports(path):
    """Third-party modules ``path`` imports: (when imported, in a function)."""
    tree = ast.parse(path.read_text())
    in_functions = {
        id(node)
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(function)
    }
    eager, lazy = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names = [node.module]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if top not in sys.stdlib_module_names and top != "skdigitnet":
                (lazy if id(node) in in_functions else eager).add(top)
    return eager, lazy


def test_declared_dependencies_are_what_the_package_imports():
    project = load_pyproject()["project"]
    runtime = {import_name(Requirement(r)) for r in project["dependencies"]}
    extras = {
        import_name(Requirement(r))
        for group in project["optional-dependencies"].values()
        for r in group
    }
    eager, lazy = set(), set()
    for path in (ROOT / "skdigitnet").glob("*.py"):
        found = imports(path)
        eager |= found[0]
        lazy |= found[1]
    # Imported with the package: declared, and nothing declared besides.
    assert eager == runtime
    # Imported when a feature is used: a dependency or an extra's.
    assert lazy <= runtime | extras, lazy - runtime - extras
