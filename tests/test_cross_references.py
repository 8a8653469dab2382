"""Cross-references name a notebook's section by its title, and every one resolves.

The form is ``notebook 06, section "How good is the model? The importance-weighted bound"``
(or ``notebook 06 (section "...")``);
inside a notebook (and in an Answer block of ``instructor/answer_blocks.md``, whose heading
``## NN.k`` names its notebook) ``section "..."`` alone means a section of the same notebook.
Several titles: ``sections "A" to "B"`` or ``sections "A" and "B"``. A title is a heading of the
named notebook (a Markdown line starting with ``#``) without its number: ``## 5. How good is
the model? The importance-weighted bound``. A title may hold quotes itself (notebook 05's
``What the "reconstruction loss" is``): the reference's title is the shortest quoted text that is
a heading. Line breaks and indentation inside a reference count as one space.

Hand-numbered references ("§4", "section 2", "notebook 06, §4") are refused: they go stale when
headings are renumbered. Two forms are allowed: a paper's own section ("Goodfellow et al. 2014,
§3") and the course plan's links, whose text is the whole heading (``[§ 2 Training (once, then
cached)](../notebooks/03_dcgan_images.ipynb)``, checked by ``tests/test_course_plan.py``).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = {path.name[:2]: path for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))}

REFERENCE = re.compile(r'(?:\b[Nn]otebook (\d\d)(?:,\s*|\s+\(?))?\b[Ss]ections? "')
JOINER = re.compile(r'\s*(?:,\s*and|,|and|to|or)\s+"')
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)
NUMBER = re.compile(r"^\d+(?:\.\d+)*\.?\s+")
HAND_NUMBERED = re.compile(r"§\s?\d|\b[Ss]ections? \d")
PAPER_SECTION = re.compile(r"(et al\.?,? \(?\d{4}\)?,?|\(\d{4}\),?|their)\s*$")
COURSE_LINK = re.compile(r"\[§ [^\]]*\]\(\.\./notebooks/\d\d_[^)]*\.ipynb\)")


def _spaces(text: str) -> str:
    return " ".join(text.split())


def _cells(path: Path) -> list[str]:
    return ["".join(cell["source"]) for cell in json.loads(path.read_text())["cells"]]


def titles(notebook: str) -> set[str]:
    """The section titles of notebook ``notebook`` ("06"): every heading, with and without its number."""
    found = set()
    for cell in json.loads(NOTEBOOKS[notebook].read_text())["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        for heading in HEADING.findall("".join(cell["source"])):
            heading = _spaces(heading)
            found |= {heading, NUMBER.sub("", heading)}
    return found


def _title_at(text: str, start: int, known: set[str]) -> tuple[str | None, int]:
    """The title quoted from ``text[start]`` (just after the opening quote) and where it ends:
    the shortest quoted text that is in ``known``, else the shortest quoted text."""
    ends = [m.start() for m in re.finditer('"', text[start:start + 300])]
    for end in ends:
        if _spaces(text[start:start + end]) in known:
            return _spaces(text[start:start + end]), start + end + 1
    return (None, start + ends[0] + 1) if ends else (None, len(text))


def references(text: str, here: str | None):
    """``(notebook, title or None, the reference as written)`` for each reference in ``text``;
    ``here`` is the notebook a reference without one means (None: it must name one)."""
    for match in REFERENCE.finditer(text):
        notebook = match.group(1) or here
        known = titles(notebook) if notebook in NOTEBOOKS else set()
        position = match.end()
        while True:
            title, position = _title_at(text, position, known)
            written = _spaces(text[match.start():position])
            yield notebook, title, written
            joiner = JOINER.match(text, position)
            if not joiner:
                break
            position = joiner.end()


def _sources():
    """``(where, text, the notebook a bare reference means)`` for every text that may refer."""
    for key, path in NOTEBOOKS.items():
        for i, cell in enumerate(_cells(path)):
            yield f"{path.name} cell {i}", cell, key
    for path in sorted((ROOT / "genlib").rglob("*.py")) + sorted((ROOT / "docs").rglob("*.md")):
        yield str(path.relative_to(ROOT)), path.read_text(), None
    expected = json.loads((ROOT / "genlib" / "exercise_expected.json").read_text())
    messages = [m["message"] for item in expected.values() for m in item.get("mistakes", [])]
    yield "genlib/exercise_expected.json", "\n".join(messages), None
    blocks = (ROOT / "instructor" / "answer_blocks.md").read_text()
    for block in re.split(r"(?m)^(?=## \d\d\.\d+ )", blocks):
        key = re.match(r"## (\d\d)\.", block)
        yield "instructor/answer_blocks.md", block, key.group(1) if key else None


SOURCES = list(_sources())


def test_every_section_reference_resolves_to_a_heading_of_its_notebook():
    found, broken = 0, []
    for where, text, here in SOURCES:
        for notebook, title, written in references(text, here):
            found += 1
            if notebook not in NOTEBOOKS:
                broken.append(f"{where}: {written!r} names no notebook (write 'notebook NN, section ...')")
            elif title is None:
                broken.append(f"{where}: {written!r} is no heading of notebook {notebook}")
    assert not broken, "\n".join(broken)
    assert found > 100, f"only {found} references found: is the pattern still the one the text uses?"


def test_no_section_is_referred_to_by_a_hand_kept_number():
    numbered = []
    for where, text, _ in SOURCES:
        text = COURSE_LINK.sub("", text)
        for match in HAND_NUMBERED.finditer(text):
            if not PAPER_SECTION.search(text[max(0, match.start() - 40):match.start()]):
                line = text[:match.start()].count("\n") + 1
                numbered.append(f"{where}, line {line}: {_spaces(text[match.start() - 30:match.end() + 30])!r}")
    assert not numbered, "name the section by its title instead:\n" + "\n".join(numbered)


@pytest.mark.parametrize("text, resolves", [
    ('notebook 06, section "How good is the model? The importance-weighted bound"', True),
    ('notebook 06, section "How good is the model?\n    The importance-weighted bound"', True),
    ('notebook 05, section "What the "reconstruction loss" is"', True),
    ('notebook 09, sections "A GAN on pairs" to "Training a BiGAN"', True),
    ('notebook 06, section "The importance-weighted bound"', False),     # not the whole title
    ('notebook 09, sections "A GAN on pairs" to "Training a GAN"', False),  # the second is wrong
    ('notebook 42, section "Anything"', False),
    ('section "Binary pixels and a Bernoulli likelihood"', False),       # no notebook named
])
def test_the_resolver_tells_a_heading_from_a_wrong_title(text, resolves):
    found = list(references(text, None))
    assert found and all((n in NOTEBOOKS and t is not None) == resolves for n, t, _ in found[-1:])
    assert resolves == all(n in NOTEBOOKS and t is not None for n, t, _ in found)


def test_a_hand_numbered_reference_is_seen_and_a_paper_section_is_not():
    assert HAND_NUMBERED.search("as notebook 06, §4 shows") and HAND_NUMBERED.search("see section 2")
    assert PAPER_SECTION.search("(Goodfellow et al. 2014, ")
