"""One version everywhere, and licence files that GitHub and PyPI recognise (docs/releasing.md)."""
import json
import re
import tomllib
from pathlib import Path

import pytest

import genlib

ROOT = Path(__file__).resolve().parents[1]
SEMVER = re.compile(r"^\d+\.\d+\.\d+$")


def test_version_is_semantic():
    assert SEMVER.match(genlib.__version__), genlib.__version__


def test_pyproject_reads_the_version_from_genlib():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"], "the version has one source: genlib.__version__"
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "genlib.__version__"}


def test_changelog_top_entry_is_this_version():
    text = (ROOT / "CHANGELOG.md").read_text()
    entries = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})$", text, flags=re.M)
    assert entries, "CHANGELOG.md has no '## [X.Y.Z] - YYYY-MM-DD' entry"
    assert entries[0][0] == genlib.__version__
    assert f"[{genlib.__version__}]: " in text, "the entry's link at the bottom is missing"


def test_citation_cff_is_valid_and_carries_this_version():
    yaml = pytest.importorskip("yaml")
    jsonschema = pytest.importorskip("jsonschema")
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    schema = json.loads((ROOT / "tests" / "data" / "citation-cff-1.2.0.schema.json").read_text())
    jsonschema.validate(citation, schema)            # raises with the offending field
    assert citation["version"] == genlib.__version__
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert f"## [{genlib.__version__}] - {citation['date-released']}" in changelog


def test_citation_validation_catches_a_bad_file():
    """The schema check can fail: a citation without authors is refused."""
    yaml = pytest.importorskip("yaml")
    jsonschema = pytest.importorskip("jsonschema")
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    del citation["authors"]
    schema = json.loads((ROOT / "tests" / "data" / "citation-cff-1.2.0.schema.json").read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(citation, schema)


def test_licence_files():
    mit = (ROOT / "LICENSE").read_text()
    assert mit.startswith("MIT License") and "Permission is hereby granted, free of charge" in mit
    cc = (ROOT / "LICENSE-CC-BY-4.0").read_text()
    assert cc.startswith("Creative Commons Attribution 4.0 International")
    assert "Section 1 – Definitions" in cc and "Section 8 – Interpretation" in cc   # the whole legal code
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    readme = (ROOT / "README.md").read_text()
    assert "LICENSE-CC-BY-4.0" in readme and "MIT" in readme


def test_notebook_00_shows_the_version():
    assert genlib.config.describe().splitlines()[0] == f"genlib:  {genlib.__version__}"
    nb = json.loads((ROOT / "notebooks" / "00_start_here.ipynb").read_text())
    shown = "".join("".join(o.get("text", "")) for c in nb["cells"] if c["cell_type"] == "code"
                    for o in c.get("outputs", []))
    assert f"genlib:  {genlib.__version__}" in shown, "re-render notebook 00 after a version change"
