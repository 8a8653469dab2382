"""The update steps have one source: the notebook cell that teaches each, kept identical in
genlib.steps for `make pretrain` (d2l's #@save idea). A notebook trains with its own cell."""
import ast
import json
import re
from pathlib import Path

import pytest

import genlib.steps
from genlib.zoo.cache import step_source

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))
STEPS = {name: getattr(genlib.steps, name) for name in genlib.steps.__all__}
# the steps each training notebook must write out and train with
TAUGHT = {"02": ["gan_step"], "03": ["gan_step"], "04": ["wgan_step"], "06": ["vae_step"],
          "07": ["vae_step", "warmup_vae_step", "free_bits_vae_step", "cvae_step"],
          "08": ["vaegan_step"], "09": ["posterior_step", "bigan_step"], "11": ["ddpm_step"]}


def code_cells(path):
    return ["".join(c["source"]) for c in json.loads(path.read_text())["cells"]
            if c["cell_type"] == "code"]


def defined_steps(path):
    """``{name: (cell index, source)}`` of every genlib step a notebook defines in a cell."""
    found = {}
    for i, cell in enumerate(code_cells(path)):
        try:
            tree = ast.parse(cell)
        except SyntaxError:  # IPython magics
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name in STEPS:
                segment = ast.get_source_segment(cell, node)
                found[node.name] = (i, "\n".join(l.rstrip() for l in segment.splitlines()))
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_step_a_notebook_writes_is_genlibs_step_character_for_character(path):
    for name, (_, source) in defined_steps(path).items():
        assert source == step_source(STEPS[name]), (
            f"{path.name} defines {name} differently from genlib/steps: copy the cell into "
            f"genlib.steps (or the library's version into the cell) so that they agree")


@pytest.mark.parametrize("prefix", sorted(TAUGHT))
def test_each_training_notebook_writes_its_steps_and_trains_with_them(prefix):
    (path,) = [p for p in NOTEBOOKS if p.name.startswith(prefix)]
    cells, defined = code_cells(path), defined_steps(path)
    for name in TAUGHT[prefix]:
        assert name in defined, f"{path.name} does not write out {name} in a code cell"
        i, source = defined[name]
        assert "backward()" in source and ".step()" in source
        use = re.compile(rf"(step=|train\(){name}\b")
        assert any(use.search(cell) for cell in cells[i + 1:]), \
            f"{path.name} defines {name} but no later cell trains with it"


def test_every_genlib_step_is_taught_in_a_notebook():
    taught = {name for path in NOTEBOOKS for name in defined_steps(path)}
    assert set(STEPS) - taught == {"classifier_step"}  # the metrics' classifier is not a lesson
