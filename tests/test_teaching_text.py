"""Teaching text speaks to the student: no project jargon in the notebooks.

Markdown cells, code comments and printed strings may not mention the project's work items
(issues, pilots, acceptance), its benchmark files, CI, "tracks", or "this machine" (the
reader's machine is not ours).
"""
from __future__ import annotations

import re
import sys
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


# --- A result typed into the text goes stale: every measured number a sentence states is printed ---
# A number with a decimal point or a percent sign in a markdown cell is a result the reader will look
# for in the outputs. It passes when one of the notebook's committed outputs prints a number that
# rounds to it at the text's precision (28.5 for 28.52, 93.8% for 93.8% or 0.938), or when the
# notebook's code writes it as a literal: then it is a setting the text defines (0.999, betas
# (0.5, 0.9)) or a bound a full-mode assert checks (">= 0.85" for "at least 85%"). Left out:
# LaTeX math, the References section, sentences citing a paper by author and year (that paper's
# figures), section and exercise numbers, and the run-time paragraph and table that
# tools/run_times.py writes and tests/test_run_times.py keeps equal to its measurements.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import run_times  # noqa: E402

MATH = re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$", re.S)
LINK = re.compile(r"\]\([^)]*\)|https?://\S+|<[^>\n]+>")
LABEL = re.compile(r"(?:§|^#+ |\b(?:sections?|exercises?|ex\.|eqs?\.|equations?|figs?\.|figures?|tables?|"
                   r"chapters?|algorithms?|theorems?|propositions?|lemmas?|appendix|version|python|torch)\s*)"
                   r"\d+(?:\.\d+)*(?:\s*(?:[-–,]|and|or|to)\s*\d+(?:\.\d+)*)*", re.I | re.M)
STATED = re.compile(r"(?<![\w.+/:])(\d+(?:\.\d+)?\s?%|\d+\.\d+(?:e[-+]?\d+)?)(?!\w|\.\d)", re.I)
PRINTED = re.compile(r"\d+\.?\d*(?:e[-+]?\d+)?|\.\d+", re.I)
SENTENCE = re.compile(r"(?<! al\.)(?<!e\.g\.)(?<!i\.e\.)(?<=[.!?])\s+(?=[A-Z(*`_])|\n\s*\n|\n[*-] |\n\|")
# A bracketed run of three or more numbers in code is test data (a check's hand-made example), not a
# setting the text could define.
DATA = re.compile(r"[\[(]\s*-?[\d.]+(?:e-?\d+)?(?:\s*,\s*-?[\d.]+(?:e-?\d+)?){2,}\s*,?\s*[\])]")

def stated_numbers(source: str) -> list[tuple[str, str]]:
    """``(number, sentence)`` for each number a markdown cell states as a value (see above)."""
    heading = REFERENCES.search(source)
    source = source[:heading.start()] if heading else source
    for paragraph in (run_times.HEADER_PARAGRAPH, run_times.MARKED):
        source = paragraph.sub(" ", source)
    source = LABEL.sub(" ", LINK.sub(" ", MATH.sub(" ", source)))
    return [(m.group(1), " ".join(sentence.split())) for sentence in SENTENCE.split(source)
            if not CITATION.search(sentence) for m in STATED.finditer(sentence)]


def printed_numbers(nb) -> list[float]:
    """Every number in the committed outputs' text (streams, results, tables)."""
    texts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            texts.append(out.get("text", ""))
            texts += [str(v) for k, v in out.get("data", {}).items() if k.startswith("text/")]
    return [float(x) for x in PRINTED.findall("\n".join(texts))]


def code_literals(nb) -> set[float]:
    code = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
    return {float(x) for x in re.findall(r"\d+\.\d+|\d+", DATA.sub(" ", code))}


def is_printed(number: str, printed: list[float]) -> bool:
    """Whether an output number rounds to ``number`` at its stated precision."""
    percent, text = number.endswith("%"), number.rstrip("%").strip()
    mantissa = re.split(r"e", text, flags=re.I)[0]
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    value = float(text)
    tolerance = 0.5 * 10 ** -decimals * (value / float(mantissa) if float(mantissa) else 1) + 1e-12
    return any(abs(p - value) <= tolerance or (percent and abs(100 * p - value) <= tolerance)
               for p in printed)


def typed_results(nb) -> list[tuple[int, str, str]]:
    """``(cell index, number, sentence)`` for each number a markdown cell states that no output
    prints and no code writes."""
    printed, literals = printed_numbers(nb), code_literals(nb)
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        for number, sentence in stated_numbers(cell.source):
            value = float(number.rstrip("%").strip())
            if is_printed(number, printed) or value in literals or \
                    (number.endswith("%") and value / 100 in literals):
                continue
            found.append((i, number, sentence))
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_number_the_text_states_is_printed_by_the_notebook(path):
    found = [f"cell {i}: {number} in {sentence!r}"
             for i, number, sentence in typed_results(nbformat.read(path, as_version=4))]
    assert not found, (f"{path.name}: numbers no output prints (refer to the printed value, or drop "
                       f"the number): {found}")


def test_a_typed_result_is_caught():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("## 1 Training\n\nWith decay 0.999 the run reaches a Frechet "
                                      "distance of 28.5 and covers 93.8% of the modes; notebook 08 "
                                      "reached 31.2. Its loss $\\approx 0.25$ ends where $0.5$ says. "
                                      "Section 2.1 and exercise 03.1 hold no results. Smith et al. "
                                      "(2020) report 12.7."),
        nbformat.v4.new_code_cell("run(decay=0.999)", execution_count=1, outputs=[
            nbformat.v4.new_output("stream", text="Frechet distance 28.52, modes covered 0.9376\n")]),
        nbformat.v4.new_markdown_cell("In this run the share was 0.71 (noise: 0.7)."),
        nbformat.v4.new_markdown_cell("## References\n\n* J. Smith. *A paper.* 2020. 1.5 pages.")])
    assert [(i, number) for i, number, _ in typed_results(nb)] == [(0, "31.2"), (2, "0.71"), (2, "0.7")]
