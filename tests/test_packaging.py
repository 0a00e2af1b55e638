from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_license_files_exist_and_match_the_declared_license():
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "BSD-3-Clause"
    assert project["license-files"], "no license file is put in the wheel"
    for name in project["license-files"]:
        text = (ROOT / name).read_text()
        assert text.startswith("BSD 3-Clause License")
        assert "skdigitnet developers" in text
