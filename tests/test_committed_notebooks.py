"""The committed notebooks hold the outputs of one full-mode run, top to bottom, without errors.

``make render`` re-executes every notebook in full mode; a notebook committed after a quick
run, after running cells out of order, or with a cell never run fails here.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_committed_outputs_are_one_full_mode_run_without_errors(path):
    nb = nbformat.read(path, as_version=4)
    code = [cell for cell in nb.cells if cell.cell_type == "code" and cell.source.strip()]
    counts = [cell.execution_count for cell in code]
    unrun = [i for i, count in enumerate(counts) if count is None]
    assert not unrun, f"{path.name}: code cells {unrun} were never run: make render"
    assert counts == list(range(1, len(code) + 1)), \
        f"{path.name}: cells ran out of order or twice ({counts}): make render"
    errors = [(i, out.get("ename"), out.get("evalue")) for i, cell in enumerate(code)
              for out in cell.outputs if out.output_type == "error"]
    assert not errors, f"{path.name}: error outputs {errors}"
    setup = "".join(out.get("text", "") for out in code[0].outputs)
    mode = re.search(r"mode:\s+(\w+)", setup)
    assert mode and mode.group(1) == "full", \
        f"{path.name}: the setup cell's output should say 'mode: full', got {setup[:80]!r}"


BARE_VERDICT = re.compile(r"^(.*:\s*)?(True|False)\s*$")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_checking_cells_print_measured_values_not_bare_verdicts(path):
    """A checking cell prints the value a wrong formula would change ("gap = 3.1e-07"), never
    "...: True" after an assert or a bare True/False, which tell the reader nothing."""
    nb = nbformat.read(path, as_version=4)
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for out in cell.outputs:
            text = out.get("text", "") if out.output_type == "stream" else \
                out.get("data", {}).get("text/plain", "") if out.output_type == "execute_result" else ""
            found += [(i, line) for line in text.splitlines() if BARE_VERDICT.match(line.strip())]
    assert not found, f"{path.name}: cells print verdicts instead of measured values: {found}"


def test_the_verdict_pattern():
    for line in ("True", "False", "falls at every step: True", "all finite:  False"):
        assert BARE_VERDICT.match(line), line
    for line in ("max gap 3.1e-07", "Truly: 3", "modes covered: 8 of 8", "True positives: 12"):
        assert not BARE_VERDICT.match(line), line


def test_rounding_level_numbers_are_compared_as_rounding():
    """nbval's sanitize file (tests/nbval_sanitize.cfg, passed by the Makefile) maps a gap at
    rounding level to one token, and leaves every other number as it is."""
    import configparser

    parser = configparser.ConfigParser()
    parser.read(Path(__file__).with_name("nbval_sanitize.cfg"))
    rules = [(re.compile(parser[s]["regex"]), parser[s]["replace"]) for s in parser.sections()]

    def sanitize(text):
        for pattern, token in rules:
            text = pattern.sub(token, text)
        return text

    assert sanitize("max gap: 1.8e-15") == sanitize("max gap: 9.8e-15") == "max gap: ROUNDING-LEVEL"
    assert sanitize("gap 6.2e-14, bound 1e-10") == "gap ROUNDING-LEVEL, bound 1e-10"
    for kept in ("gap 3.1e-07", "penalty 16.0000", "1e-12", "std gap 1.0e-02", "x1e-150y"):
        assert sanitize(kept) == kept, kept
    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    assert makefile.count("--nbval-sanitize-with tests/nbval_sanitize.cfg") >= 3


# --- A table recomputed from another notebook's models is that notebook's table (expert M1) ---
def table_rows(nb) -> dict[str, dict[str, str]]:
    """``{header: {first cell: row}}`` for each markdown table a notebook's outputs display."""
    tables = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            lines = str(out.get("data", {}).get("text/markdown", "")).strip().splitlines()
            if len(lines) > 2 and lines[0].startswith("|"):
                tables[lines[0]] = {row.split("|")[1].strip(): row for row in lines[2:]}
    return tables


def stale_rows(notebooks: dict[str, nbformat.NotebookNode]) -> list[str]:
    """Rows that two notebooks' tables of the same columns print differently for the same model."""
    seen, found = {}, []
    for name, nb in notebooks.items():
        for header, rows in table_rows(nb).items():
            for model, row in rows.items():
                first = seen.setdefault((header, model), (name, row))
                if first[1] != row:
                    found.append(f"{model}: {first[0]} prints {first[1]!r}, {name} {row!r}")
    return found


def test_a_table_shown_in_two_notebooks_agrees_row_for_row():
    """Notebook 10 recomputes notebook 08's table from the cached models; rendered before 08's models
    changed, it showed other rows (and its full-mode assertion would have failed on a re-render)."""
    found = stale_rows({path.stem: nbformat.read(path, as_version=4) for path in NOTEBOOKS})
    assert not found, f"a table went stale (re-render the later notebook): {found}"


def test_a_stale_copy_of_a_table_is_caught():
    def shown(*rows):
        table = "| model | recall |\n|---|---|\n" + "\n".join(rows)
        return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=[
            nbformat.v4.new_output("display_data", data={"text/markdown": table})])])
    fresh = shown("| DCGAN | 0.69 |", "| VAE-GAN | 0.67 |")
    assert stale_rows({"08": fresh, "10": shown("| DCGAN | 0.69 |")}) == []
    assert len(stale_rows({"08": fresh, "10": shown("| DCGAN | 0.59 |", "| VAE-GAN | 0.67 |")})) == 1


# --- A printed bound's label has its sign (expert I4: "(ELBO: 238.8)" printed minus the ELBO) ---
# Every ELBO and log-likelihood the notebooks print is of binarised images or of a toy density below
# 1, so it is negative: a positive number right after such a label is a value printed without its
# label's minus ("-ELBO", "negative ELBO"). A label after " - " (a difference) is left out.
BOUND = re.compile(r"(?<![\w-])(ELBO|log-likelihood|log p\([^)]*\))\s*[:=]?\s*(-?\d+\.?\d*)")
SIGNED = re.compile(r" - |(^|\s)-\w*\s*$|negative\s*$")   # a difference, "-Bernoulli ...", "negative ..."


def unsigned_bounds(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() for m in BOUND.finditer(line)
            if float(m.group(2)) > 0 and not SIGNED.search(re.split(r"[,;:(]", line[:m.start()])[-1])]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_a_printed_elbo_or_log_likelihood_carries_its_sign(path):
    texts = [out.get("text", "") + str(out.get("data", {}).get("text/plain", ""))
             for cell in nbformat.read(path, as_version=4).cells for out in cell.get("outputs", [])]
    found = unsigned_bounds("\n".join(texts))
    assert not found, f"{path.name}: a positive value labelled as a bound (say '-ELBO'?): {found}"


def test_an_elbo_printed_without_its_minus_is_caught():
    assert unsigned_bounds("test NLL = 237.2 nats per image   (ELBO: 238.8)") == [
        "test NLL = 237.2 nats per image   (ELBO: 238.8)"]
    for fine in ("(negative ELBO: 238.9)", "-ELBO = R + D =  244.38 nats", "test ELBO -241.7",
                 "test ELBO gain over the untrained network: 284.8", "L_1 - one-sample ELBO = 0.06",
                 "log p(x) = -8.1848, ELBO = -9.9776, gap = 1.7928", "log p(x) - ELBO = 6.621",
                 "summed BCE = 618.71, -Bernoulli log-likelihood = 618.71"):
        assert unsigned_bounds(fine) == [], fine


WALL_CLOCK = re.compile(r"\bassert\b[^\n]*(\btrain_seconds\b|\bhistory\.seconds\b|_history\.seconds\b)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_claim_rests_on_the_wall_clock_of_separate_training_runs(path):
    """A model loaded from the cache reports the time of whichever run trained it, on its machine
    and under its load: notebook 08's table once showed the VAE-GAN trained in less time than the
    DCGAN, against its own text and assertion. Costs are compared side by side in one kernel (08)
    or by counted arithmetic (10), never by asserting on ``train_seconds`` or ``history.seconds``."""
    nb = nbformat.read(path, as_version=4)
    found = [line.strip() for cell in nb.cells if cell.cell_type == "code"
             for line in cell.source.splitlines() if WALL_CLOCK.search(line)]
    assert not found, f"{path.name} asserts on training wall-clock times: {found}"


# A committed output is read on every other computer: it must not name a folder of the one that
# rendered it (a reader compares it with their own cache line and wonders).
ABSOLUTE_FOLDER = re.compile(r"(?<![\w.~])/(?:work|home|tmp|Users|root|mnt|opt|var)/[^\s\"']*")


def absolute_folders(text: str) -> list[str]:
    return ABSOLUTE_FOLDER.findall(text)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_output_names_a_folder_of_the_computer_that_rendered_it(path):
    nb = nbformat.read(path, as_version=4)
    found = [(i, folder) for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
             for output in cell.get("outputs", [])
             for text in [output.get("text", ""), *output.get("data", {}).values()]
             if isinstance(text, str) for folder in absolute_folders(text)]
    assert not found, f"{path.name}: outputs name the rendering computer's folders {found}"


def test_an_output_with_the_authors_cache_folder_is_caught():
    assert absolute_folders("cache:   /work/main/data\n") == ["/work/main/data"]
    assert absolute_folders("cache:   /home/ada/gan-vae/data") == ["/home/ada/gan-vae/data"]
    assert absolute_folders("cache:   ../data\nshared:  ~/course/cache") == []
