"""Teaching text speaks to the student: no project jargon in the notebooks.

Markdown cells, code comments and printed strings may not mention the project's work items
(issues, pilots, acceptance), its benchmark files, CI, "tracks", or "this machine" (the
reader's machine is not ours).
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
JARGON = re.compile(r"\b(issues?|pilots?|acceptance|bench(es)?/|RESULTS\.md|make bench|CI|"
                    r"this machine|(GAN|VAE|image|toy) track|helper sessions?)\b", re.I)


def teaching_text(cell) -> str:
    """What a student reads in a cell: all of a markdown cell, comments and strings of code."""
    if cell.cell_type == "markdown":
        return cell.source
    lines = []
    for line in cell.source.split("\n"):
        if "#" in line:
            lines.append(line[line.index("#"):])
        lines += re.findall(r"f?\"[^\"]*\"|f?'[^']*'", line)
    return "\n".join(lines)


def test_the_pattern_catches_jargon():
    for text in ("see issue 19", "our pilots showed", "figures in bench/RESULTS.md", "on this machine",
                 "the VAE track", "CI runs it"):
        assert JARGON.search(text), text
    for text in ("Fashion-MNIST: a Novel Image Dataset for Benchmarking", "tracks the density",
                 "the critic's estimate tracks sample quality"):
        assert not JARGON.search(text), text


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_project_jargon_in_teaching_text(path):
    nb = nbformat.read(path, as_version=4)
    found = [(i, m.group(0)) for i, cell in enumerate(nb.cells)
             for m in JARGON.finditer(teaching_text(cell))]
    assert not found, f"{path.name}: project jargon in cells {found}"


# "Ho et al. 2020", "Kingma & Gao (2023)", "Song and Ermon 2019": an author-year citation.
CITATION = re.compile(r"\b([A-Z][a-zA-Z\-]+)(?: et al\.,?| (?:&|and) [A-Z][a-zA-Z\-]+,?) \(?((?:19|20)\d\d)\b")
REFERENCES = re.compile(r"^#+ (\d+\.? )?References", re.M)


def citations_without_reference(nb) -> list[str]:
    """Every author-year citation in a notebook's text whose first author and year appear in no
    entry of its References list (a claim attributed to a paper the notebook never names)."""
    text, entries = [], []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        heading = REFERENCES.search(cell.source)
        if heading:
            text.append(cell.source[:heading.start()])
            entries += re.split(r"\n[*-] ", "\n" + cell.source[heading.start():])
        else:
            text.append(cell.source)
    return [m.group(0) for m in CITATION.finditer("\n".join(text))
            if not any(m.group(1) in entry and m.group(2) in entry for entry in entries)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_citation_has_its_reference(path):
    missing = citations_without_reference(nbformat.read(path, as_version=4))
    assert not missing, f"{path.name}: cited but not in its References (or another year): {missing}"


def test_a_citation_of_another_paper_is_caught():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("Kingma et al. (2021) show it; so do Ho et al. 2020."),
        nbformat.v4.new_markdown_cell("## References\n\n* J. Ho, A. Jain, P. Abbeel. *DDPM.* NeurIPS 2020.\n"
                                      "* D. P. Kingma, R. Gao. *Diffusion objectives.* NeurIPS 2023.")])
    assert citations_without_reference(nb) == ["Kingma et al. (2021"]
