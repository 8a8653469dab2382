"""A checkpoint is reused only when the code that would train it is the same: the step's
fingerprint covers the step and every function and value of its notebook that it calls or
reads (genlib/zoo/fingerprint.py), and is the same in every kernel.

A "kernel" here is a fresh namespace in which a cell's source is executed, registered in
``linecache`` as IPython registers its cells, so that ``inspect.getsource`` reads it back."""
import ast
import importlib.util
import inspect
import itertools
import json
import linecache
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

import genlib.steps
from genlib.training.history import History
from genlib.zoo import cache
from genlib.zoo.fingerprint import code_fingerprint, describe_code, stable_repr

_cells = itertools.count()


def kernel(*cells: str, namespace: dict | None = None) -> dict:
    """Run ``cells`` in order in a new notebook namespace (``__main__``), as IPython does."""
    namespace = {"__name__": "__main__"} if namespace is None else namespace
    for source in cells:
        source = textwrap.dedent(source)
        filename = f"<notebook cell {next(_cells)}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        exec(compile(source, filename, "exec"), namespace)
    return namespace


IMPORTS = """
import torch
import torch.nn.functional as F
"""
HELPER = """
def penalty(w):
    return (w ** 2).sum()
"""
STEP = """
def fit_step(net, opt, x, rng, weight=1.0):
    loss = F.mse_loss(net(x), x) + weight * penalty(net.weight)
    opt.zero_grad(); loss.backward(); opt.step()
    return {"loss": loss}
"""


def key(*cells: str, name: str = "fit_step") -> str:
    return code_fingerprint(kernel(*cells)[name])


def test_editing_a_helper_the_step_calls_changes_the_key():
    before = key(IMPORTS, HELPER, STEP)
    assert key(IMPORTS, HELPER, STEP) == before          # the same cells in another kernel
    edited = HELPER.replace("(w ** 2).sum()", "w.abs().sum()")
    assert key(IMPORTS, edited, STEP) != before
    # a helper of the helper, two calls away, counts too
    inner = "def square(w):\n    return w ** 2\n"
    outer = HELPER.replace("(w ** 2).sum()", "square(w).sum()")
    two_away = key(IMPORTS, inner, outer, STEP)
    assert key(IMPORTS, inner.replace("w ** 2", "w ** 4"), outer, STEP) != two_away
    assert "def square(w)" in describe_code(kernel(IMPORTS, inner, outer, STEP)["fit_step"])


def test_editing_a_global_the_step_reads_changes_the_key():
    step = STEP.replace("weight * penalty", "WEIGHT * SCALE.sum() * penalty")
    cells = (IMPORTS, HELPER, "WEIGHT = 0.5\nSCALE = torch.tensor([1.0, 2.0])\n", step)
    before = key(*cells)
    assert key(*cells) == before
    assert key(IMPORTS, HELPER, "WEIGHT = 0.25\nSCALE = torch.tensor([1.0, 2.0])\n", step) != before
    assert key(IMPORTS, HELPER, "WEIGHT = 0.5\nSCALE = torch.tensor([1.0, 3.0])\n", step) != before
    assert key(IMPORTS, HELPER, "WEIGHT = 0.5\nSCALE = torch.tensor([1.0, 2.0]).double()\n",
               step) != before                       # same values, another dtype
    # a global read by a helper, and a global list, dict and string, count as well
    helper = HELPER.replace("(w ** 2).sum()", "(w ** POWER[0]).sum() * len(NAMES['a'])")
    base = key(IMPORTS, helper, "POWER = [2]\nNAMES = {'a': 'xy'}\n", STEP)
    assert key(IMPORTS, helper, "POWER = [3]\nNAMES = {'a': 'xy'}\n", STEP) != base
    assert key(IMPORTS, helper, "POWER = [2]\nNAMES = {'a': 'xyz'}\n", STEP) != base


def test_globals_the_step_does_not_read_leave_the_key_alone():
    """Attribute names are not globals: `opt.step()` does not read a notebook variable `step`,
    and a cell that sets other variables does not retrain anything."""
    before = key(IMPORTS, HELPER, STEP)
    assert key(IMPORTS, HELPER, "step = 3\nloss = 2.0\nweight = torch.ones(2)\n", STEP) == before
    # an unknown name is part of the key too: defining it later is a change
    step = STEP.replace("weight * penalty", "weight * LATER * penalty")
    assert "global LATER = undefined" in describe_code(kernel(IMPORTS, HELPER, step)["fit_step"])
    assert key(IMPORTS, HELPER, step) != key(IMPORTS, HELPER, "LATER = 2.0\n", step)


LAMBDA_STEP = """
import torch

def lambda_step(net, opt, x, rng, squash=lambda v: torch.tanh(v)):
    loss = squash(net(x)).pow(2).mean()
    opt.zero_grad(); loss.backward(); opt.step()
    return {"loss": loss}
"""
A_NEW_KERNEL = """
import linecache, sys
from genlib.zoo.fingerprint import code_fingerprint
source = sys.stdin.read()
linecache.cache["<cell>"] = (len(source), None, source.splitlines(True), "<cell>")
namespace = {"__name__": "__main__"}
exec(compile(source, "<cell>", "exec"), namespace)
print(code_fingerprint(namespace["lambda_step"]))
"""


def test_a_step_with_a_lambda_default_keeps_its_key_in_a_new_kernel():
    one, two = kernel(LAMBDA_STEP)["lambda_step"], kernel(LAMBDA_STEP)["lambda_step"]
    assert repr(one.__defaults__[0]) != repr(two.__defaults__[0])  # addresses differ...
    assert code_fingerprint(one) == code_fingerprint(two)            # ...the key does not

    def new_kernel(source):
        done = subprocess.run([sys.executable, "-c", A_NEW_KERNEL], input=source, text=True,
                              capture_output=True, check=True, timeout=300)
        return done.stdout.strip()

    first, second = new_kernel(LAMBDA_STEP), new_kernel(LAMBDA_STEP)
    assert first.startswith("lambda_step:") and first == second == code_fingerprint(one)
    assert new_kernel(LAMBDA_STEP.replace("torch.tanh(v)", "torch.sigmoid(v)")) != first
    # a lambda kept in a global of another cell: by its source, too
    cells = (IMPORTS, "squash = lambda v: v.clamp(0, 1)\n",
             STEP.replace("net(x)", "squash(net(x))"))
    assert key(*cells) == key(*cells)
    assert key(cells[0], "squash = lambda v: v.clamp(-1, 1)\n", cells[2]) != key(*cells)


IPYTHON_KERNEL = """
import sys
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
for cell in sys.stdin.read().split("# -- next cell --\\n"):
    assert shell.run_cell(cell).success
shell.run_cell("from genlib.zoo.fingerprint import code_fingerprint; print(code_fingerprint(fit_step))")
"""


def test_ipython_cells_key_alike_in_two_kernels():
    """The real thing: IPython keeps each cell's source where `inspect` finds it."""
    pytest.importorskip("IPython")

    def ipython(*cells):
        done = subprocess.run([sys.executable, "-c", IPYTHON_KERNEL], text=True, timeout=300,
                              input="# -- next cell --\n".join(cells), capture_output=True,
                              check=True)
        return done.stdout.strip().splitlines()[-1]

    cells = (IMPORTS + "class Half(torch.nn.Module):\n    def forward(self, x):\n"
             "        return x / 2\n", HELPER,
             STEP.replace("weight=1.0", "weight=1.0, act=lambda v: Half()(v)"))
    first = ipython(*cells)
    assert first.startswith("fit_step:") and ipython(*cells) == first == key(*cells)
    assert ipython(cells[0], HELPER.replace("** 2", "** 4"), cells[2]) != first
    assert ipython(cells[0].replace("x / 2", "x / 3"), *cells[1:]) != first


def _notebook_imports(module) -> str:
    """The import lines a notebook cell would write for what ``module`` imports (absolute)."""
    lines = []
    for node in ast.parse(inspect.getsource(module)).body:
        if isinstance(node, ast.Import):
            lines.append(ast.unparse(node))
        elif isinstance(node, ast.ImportFrom):
            where = importlib.util.resolve_name("." * node.level + (node.module or ""),
                                                module.__package__)
            names = ", ".join(ast.unparse(alias) for alias in node.names)
            lines.append(f"from {where} import {names}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("name", genlib.steps.__all__)
def test_an_unchanged_step_has_genlibs_key(name):
    """`make pretrain` trains with genlib.steps; a notebook cell that writes the same step and
    imports the same names must find those checkpoints."""
    step = getattr(genlib.steps, name)
    module = inspect.getmodule(step)
    cell = kernel(_notebook_imports(module), cache.step_source(step))[name]
    assert cell is not step and cell.__globals__ is not step.__globals__
    assert code_fingerprint(cell) == code_fingerprint(step) == cache.step_fingerprint(step)
    # the notebook's own function of the same name is the notebook's code, not genlib's
    reads = [line.split()[1] for line in describe_code(step).splitlines()
             if line.startswith("global ") and " = function " in line]
    for read in reads:
        own = kernel(_notebook_imports(module), f"def {read}(*args, **kwargs):\n    return 0\n",
                     cache.step_source(step))[name]
        assert code_fingerprint(own) != code_fingerprint(step), read


NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))


def _notebook_steps(path):
    """The notebook's import statements, and ``{name: source}`` of the genlib steps its cells
    define."""
    imports, steps = [], {}
    for cell in json.loads(path.read_text())["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] != "code":
            continue
        try:
            tree = ast.parse(source)
        except SyntaxError:  # IPython magics
            continue
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                imports.append(ast.get_source_segment(source, node))
            elif isinstance(node, ast.FunctionDef) and node.name in genlib.steps.__all__:
                steps[node.name] = ast.get_source_segment(source, node)
    return "\n".join(imports) + "\n", steps


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_each_notebooks_steps_have_genlibs_keys(path):
    """The real notebooks: each step cell, run after the notebook's imports, keys like genlib's."""
    imports, steps = _notebook_steps(path)
    for name, source in steps.items():
        cell = kernel(imports, source)[name]
        assert code_fingerprint(cell) == code_fingerprint(getattr(genlib.steps, name)), (
            f"{path.name}: {name} reads names that differ from genlib/steps':\n"
            f"{describe_code(cell)}")


def test_helpers_that_call_each_other_end():
    cells = (IMPORTS,
             "def ping(w, n=2):\n    return w if n == 0 else pong(w, n - 1)\n",
             "def pong(w, n):\n    return ping(w * 2, n)\n",
             STEP.replace("penalty(net.weight)", "ping(net.weight).sum()"))
    before = key(*cells)
    assert "def pong(w, n)" in describe_code(kernel(*cells)["fit_step"])
    assert key(cells[0], cells[1], cells[2].replace("w * 2", "w * 3"), cells[3]) != before
    # a function that holds itself (a recursive closure) and a list that holds itself
    factory = ("def make():\n    def walk(n):\n        return 0 if n == 0 else walk(n - 1)\n"
               "    return walk\nwalk = make()\nLOOP = [1]\nLOOP.append(LOOP)\n")
    step = STEP.replace("weight * penalty", "walk(2) * len(LOOP) * weight * penalty")
    assert key(IMPORTS, HELPER, factory, step) == key(IMPORTS, HELPER, factory, step)


def test_classes_and_tensors_of_the_notebook_are_described_by_content():
    net = ("class Scale(torch.nn.Module):\n    def forward(self, x):\n        return x * FACTOR\n"
           "FACTOR = 2.0\n")
    step = STEP.replace("net(x)", "Scale()(net(x))")
    before = key(IMPORTS, HELPER, net, step)
    assert key(IMPORTS, HELPER, net.replace("FACTOR = 2.0", "FACTOR = 3.0"), step) != before
    assert key(IMPORTS, HELPER, net.replace("x * FACTOR", "x / FACTOR"), step) != before
    assert stable_repr(torch.zeros(3)) == stable_repr(torch.zeros(3))
    assert stable_repr(torch.zeros(3)) != stable_repr(torch.zeros(4))
    assert " at 0x" not in stable_repr(object())


def test_a_changed_helper_retrains_through_the_cache(cache_dir, quick_mode, monkeypatch):
    """End to end through `zoo.cached`: the same cells load the model, an edited helper trains."""
    monkeypatch.delenv("GENLIB_SHARED_CACHE", raising=False)
    trained = []

    def recipe(namespace):
        step = namespace["fit_step"]

        def build():
            net = torch.nn.Linear(2, 2)
            with torch.no_grad():
                net.weight.fill_(0.5), net.bias.zero_()
            return {"net": net}

        def fit(models):
            opt = torch.optim.SGD(models["net"].parameters(), lr=0.1)
            rng, history = torch.Generator().manual_seed(0), History("tiny")
            for t in range(3):
                history.log(t, **step(models["net"], opt, torch.ones(4, 2), rng))
            trained.append(step)
            return history

        return cache.cached("tiny", {"lr": 0.1}, step, {"weight": 1.0}, build, fit)

    _, first = recipe(kernel(IMPORTS, HELPER, STEP))
    _, again = recipe(kernel(IMPORTS, HELPER, STEP))                    # a new kernel
    edited_models, edited = recipe(kernel(IMPORTS, HELPER.replace("** 2", "** 4"), STEP))
    assert not first.from_cache and again.from_cache and not edited.from_cache
    assert len(trained) == 2
    assert len(list((cache_dir / "checkpoints").glob("tiny-*.pt"))) == 2
