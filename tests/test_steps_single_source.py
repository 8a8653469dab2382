"""The update steps have one source: the ``#@save`` cell of the notebook that teaches each;
tools/collect_steps.py writes genlib/steps from those cells, and a notebook trains with its own
cell. Here the tool regenerates every module and the files are diffed against it."""
import ast
import importlib.util
import json
import re
import shutil
from pathlib import Path

import pytest

import genlib.steps

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
STEPS = set(genlib.steps.__all__)
# the steps each training notebook must write out and train with
TAUGHT = {"02": ["gan_step"], "03": ["gan_step"], "04": ["wgan_step"], "06": ["vae_step"],
          "07": ["vae_step", "warmup_vae_step", "free_bits_vae_step", "cvae_step"],
          "08": ["vaegan_step"], "09": ["posterior_step", "bigan_step"], "11": ["ddpm_step", "v_ddpm_step"],
          "12": ["flow_matching_step"]}

_spec = importlib.util.spec_from_file_location("collect_steps", ROOT / "tools" / "collect_steps.py")
collect_steps = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(collect_steps)


def code_cells(path):
    return ["".join(c["source"]) for c in json.loads(path.read_text())["cells"]
            if c["cell_type"] == "code"]


def defined_steps(path):
    """``{name: cell index}`` of every genlib step a notebook defines in a code cell."""
    found = {}
    for i, cell in enumerate(code_cells(path)):
        try:
            tree = ast.parse(cell)
        except SyntaxError:  # IPython magics
            continue
        found.update({node.name: i for node in tree.body
                      if isinstance(node, ast.FunctionDef) and node.name in STEPS})
    return found


def test_genlib_steps_are_what_the_notebooks_save():
    """Regenerate and diff: the committed modules (and repeated cells) are the tool's output."""
    stale = collect_steps.differing()
    assert not stale, (f"{[str(p.relative_to(ROOT)) for p in stale]} differ from the notebooks' "
                       f"#@save cells: edit the notebook, then run python tools/collect_steps.py")


def test_every_step_but_the_classifiers_is_saved_from_one_notebook_cell():
    saved = {name: value for name, value in collect_steps.saved_steps().items()
             if not name.startswith("step_")}   # notebook 10's broken steps: genlib.broken_steps
    assert set(saved) == STEPS - {"classifier_step"}   # the metrics' classifier is not a lesson
    for name, (notebook, source) in saved.items():
        module = getattr(genlib.steps, name).__module__.rsplit(".", 1)[1]
        assert source in (ROOT / "genlib" / "steps" / f"{module}.py").read_text(), name
        assert notebook[:2] in [k for k, names in TAUGHT.items() if name in names], name


def _copy_tree(tmp_path):
    """The notebooks and the generated part of genlib, copied to ``tmp_path``."""
    notebooks, genlib = tmp_path / "notebooks", tmp_path / "genlib"
    shutil.copytree(ROOT / "notebooks", notebooks)
    shutil.copytree(ROOT / "genlib" / "steps", genlib / "steps")
    shutil.copy(ROOT / "genlib" / "broken_steps.py", genlib / "broken_steps.py")
    return notebooks, genlib


def _edit_cell(path, old, new):
    nb = json.loads(path.read_text())
    (cell,) = [c for c in nb["cells"] if old in "".join(c["source"])]
    cell["source"] = "".join(cell["source"]).replace(old, new).splitlines(True)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


def test_the_check_names_the_module_an_edited_cell_changes(tmp_path):
    notebooks, genlib = _copy_tree(tmp_path)
    assert collect_steps.differing(notebooks, genlib) == []
    _edit_cell(notebooks / "04_wasserstein_gan.ipynb", "n_critic=5,", "n_critic=3,")
    wgan = genlib / "steps" / "wgan.py"
    assert collect_steps.differing(notebooks, genlib) == [wgan]
    assert "n_critic=3," in collect_steps.collect(notebooks, genlib)[wgan]
    assert collect_steps.main(["--check"]) == 0   # the committed tree, untouched


def test_a_step_shown_again_is_rewritten_from_its_saved_cell(tmp_path):
    notebooks, genlib = _copy_tree(tmp_path)
    repeat = notebooks / "03_dcgan_images.ipynb"
    _edit_cell(repeat, "# detach: this update moves D only", "# detach")
    assert collect_steps.differing(notebooks, genlib) == [repeat]
    rewritten = json.loads(collect_steps.collect(notebooks, genlib)[repeat])
    assert any("# detach: this update moves D only" in "".join(c["source"])
               for c in rewritten["cells"])


def test_a_name_the_tool_cannot_import_is_refused(tmp_path):
    notebooks, genlib = _copy_tree(tmp_path)
    _edit_cell(notebooks / "11_from_vae_to_diffusion.ipynb",
               "    eps_hat = denoiser(x_t, t)                                       # eps_theta(x_t, t)",
               "    eps_hat = denoiser(rescale_images(x_t), t)")
    with pytest.raises(collect_steps.StepError, match="rescale_images"):
        collect_steps.collect(notebooks, genlib)


def test_the_broken_steps_of_notebook_10_are_collected_too(tmp_path):
    notebooks, genlib = _copy_tree(tmp_path)
    _edit_cell(notebooks / "10_faq_and_pitfalls.ipynb", "loss = reconstruction - kl",
               "loss = reconstruction - 2 * kl")
    assert collect_steps.differing(notebooks, genlib) == [genlib / "broken_steps.py"]


@pytest.mark.parametrize("prefix", sorted(TAUGHT))
def test_each_training_notebook_writes_its_steps_and_trains_with_them(prefix):
    (path,) = [p for p in NOTEBOOKS if p.name.startswith(prefix)]
    cells, defined = code_cells(path), defined_steps(path)
    for name in TAUGHT[prefix]:
        assert name in defined, f"{path.name} does not write out {name} in a code cell"
        use = re.compile(rf"(step=|train\(){name}\b|\b{name}\(")
        assert any(use.search(cell) for cell in cells[defined[name] + 1:]), \
            f"{path.name} defines {name} but no later cell trains with it"


def test_each_module_docstring_comes_from_collect_steps_md_and_lands_in_its_module(tmp_path):
    modules = collect_steps.read_modules()
    assert set(modules) == {f"steps/{m}.py" for m in
                            ("gan", "wgan", "vae", "vaegan", "posterior", "bigan", "diffusion", "flow")
                            } | {"broken_steps.py"}
    assert modules["steps/vae.py"][1] == ["vae_step", "warmup_vae_step", "free_bits_vae_step",
                                          "cvae_step"]
    for module, (docstring, _) in modules.items():
        assert docstring and f'r"""{docstring}\n"""' in (ROOT / "genlib" / module).read_text(), module
    edited = tmp_path / "modules.md"
    edited.write_text("## steps/gan.py: gan_step\n\nA new first line.\n\nMore.\n\n"
                      "## broken_steps.py: step_1, step_2\n\nBugs.\n")
    assert collect_steps.read_modules(edited) == {
        "steps/gan.py": ("A new first line.\n\nMore.", ["gan_step"]),
        "broken_steps.py": ("Bugs.", ["step_1", "step_2"])}
