"""Collect the update steps the notebooks teach into ``genlib/steps/`` (d2l's ``#@save``).

    python tools/collect_steps.py           # write genlib/steps/<family>.py from the notebooks
    python tools/collect_steps.py --check   # exit 1, naming each file that the notebooks would change

Notebook 10's broken steps (its "Spot the bug") are collected the same way, into
``genlib/broken_steps.py``, for ``genlib.pitfalls`` to check.

The notebook is where a step is written; the package is where it is collected. A code cell
whose first line is ``#@save`` is the source of the functions it defines (it holds nothing
else). The notebooks are read in order; each saved function goes to its family's module
(``tools/collect_steps.md``), after a generated header, the module's docstring (the maths, kept
there and nowhere else) and the imports its functions use (``IMPORTS``), exactly as the cell writes
it. A later notebook may show a saved step again in a cell of its own (notebook 03 shows
notebook 02's ``gan_step``): such a repeat is rewritten from the saved cell, so a step is
edited in one place only.

``genlib/steps/classifier.py`` is the one hand-written step module: the metrics' classifier
is trained for the measurements, and no notebook teaches its step.
"""
from __future__ import annotations

import argparse
import ast
import builtins
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
GENLIB = ROOT / "genlib"
TAG = "#@save"
HAND_WRITTEN = {"__init__.py", "classifier.py"}

MODULES_FILE = Path(__file__).with_name("collect_steps.md")


def read_modules(path: Path = MODULES_FILE) -> dict[str, tuple[str, list[str]]]:
    """``{module: (docstring, function names)}`` from ``tools/collect_steps.md``: a heading
    ``## <path under genlib/>: name, name`` per module, its docstring below it."""
    modules, heading, lines = {}, None, []
    for line in path.read_text().splitlines() + ["## end"]:
        if line.startswith("## "):
            if heading is not None:
                module, names = heading.split(":", 1)
                modules[module.strip()] = ("\n".join(lines).strip("\n"),
                                           [n.strip() for n in names.split(",")])
            heading, lines = line[3:], []
        elif heading is not None:
            lines.append(line)
    return modules


# each module (a path under genlib/): its docstring and the functions it collects, in this order
MODULES = read_modules()

# the import that binds each global name a step may use (genlib's are written relative)
IMPORTS = {
    "torch": "import torch",
    "F": "import torch.nn.functional as F",
    "nn": "from torch import nn",
    "gradient_penalty": "from genlib.objectives.wasserstein import gradient_penalty",
    "q_sample": "from genlib.objectives.diffusion import q_sample",
    "bernoulli_log_likelihood": "from genlib.objectives.elbo import bernoulli_log_likelihood",
    "gaussian_kl": "from genlib.objectives.elbo import gaussian_kl",
    "reparameterize": "from genlib.objectives.elbo import reparameterize",
}


class StepError(Exception):
    """A tagged cell or a repeat that the tool cannot collect; the message says where."""


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def _source(cell: dict) -> str:
    return "".join(cell["source"])


def _functions(source: str, where: str) -> dict[str, str]:
    """``{name: source}`` of the functions a cell defines, each line as the cell writes it."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise StepError(f"{where}: {exc}") from None
    found = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            segment = ast.get_source_segment(source, node, padded=False)
            found[node.name] = "\n".join(line.rstrip() for line in segment.splitlines())
    return found


def saved_steps(notebooks: Path = NOTEBOOKS) -> dict[str, tuple[str, str]]:
    """``{function name: (notebook file name, source)}`` of every ``#@save`` cell, in order."""
    saved = {}
    for path in sorted(notebooks.glob("*.ipynb")):
        for i, cell in enumerate(_cells(path)):
            source = _source(cell)
            if cell["cell_type"] != "code" or source.split("\n", 1)[0].strip() != TAG:
                continue
            where = f"{path.name}, code cell {i}"
            body = source.split("\n", 1)[1] if "\n" in source else ""
            functions = _functions(body, where)
            if not functions or len(functions) != len(ast.parse(body).body):
                raise StepError(f"{where}: a {TAG} cell holds function definitions only")
            for name, text in functions.items():
                if name in saved:
                    raise StepError(f"{where}: {name} is already saved in {saved[name][0]}; "
                                    f"save each step in one cell")
                saved[name] = (path.name, text)
    return saved


def module_text(module: str, saved: dict[str, tuple[str, str]]) -> str:
    """The text of ``genlib/<module>``: header, docstring, imports, functions."""
    docstring, names = MODULES[module]
    missing = [name for name in names if name not in saved]
    if missing:
        raise StepError(f"genlib/{module}: no notebook has a {TAG} cell defining "
                        f"{', '.join(missing)}")
    sources = [saved[name][1] for name in names]
    notebooks = sorted({saved[name][0] for name in names})
    header = (f"# Generated by tools/collect_steps.py from "
              f"{' and '.join('notebooks/' + n for n in notebooks)};\n"
              f"# edit the notebook, then run python tools/collect_steps.py\n")
    imports = _imports(module, names, sources)
    return (header + f'r"""{docstring}\n"""\n' + (imports + "\n" if imports else "")
            + "\n\n" + "\n\n\n".join(sources) + "\n")


def _imports(module: str, names: list[str], sources: list[str]) -> str:
    """The import lines that bind every global name the functions read, torch's first and
    genlib's relative to ``genlib/<module>``."""
    used = set()
    for source in sources:
        function = ast.parse(source).body[0]
        local = {a.arg for a in (*function.args.posonlyargs, *function.args.args,
                                 *function.args.kwonlyargs)}
        local |= {n.id for n in ast.walk(function) if isinstance(n, ast.Name)
                  and isinstance(n.ctx, ast.Store)}
        used |= {n.id for n in ast.walk(function) if isinstance(n, ast.Name)
                 and isinstance(n.ctx, ast.Load)} - local
    used -= set(dir(builtins)) | set(names)
    unknown = sorted(used - set(IMPORTS))
    if unknown:
        raise StepError(f"genlib/{module}: the steps read {', '.join(unknown)}; add "
                        f"the import of each to IMPORTS in tools/collect_steps.py")
    plain = sorted({IMPORTS[n] for n in used if IMPORTS[n].startswith("import ")})
    grouped: dict[str, set[str]] = {}
    for n in used - {n for n in used if IMPORTS[n].startswith("import ")}:
        origin = IMPORTS[n].split()[1]
        if origin.startswith("genlib."):
            origin = "." * len(Path(module).parts) + origin[len("genlib."):]
        grouped.setdefault(origin, set()).add(n)
    third = plain + [f"from {o} import {', '.join(sorted(v))}"
                     for o, v in sorted(grouped.items()) if not o.startswith(".")]
    local = [f"from {o} import {', '.join(sorted(v))}" for o, v in sorted(grouped.items())
             if o.startswith(".")]
    return "\n".join(third) + ("\n\n" + "\n".join(local) if local else "")


def repeats(saved: dict[str, tuple[str, str]], notebooks: Path = NOTEBOOKS):
    """``(path, cell index, name)`` of every untagged cell that defines a saved step again."""
    for path in sorted(notebooks.glob("*.ipynb")):
        for i, cell in enumerate(_cells(path)):
            source = _source(cell)
            if cell["cell_type"] != "code" or source.startswith(TAG):
                continue
            try:
                names = [n.name for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)]
            except SyntaxError:   # IPython magics: no step there
                continue
            for name in names:
                if name in saved:
                    if len(ast.parse(source).body) != 1:
                        raise StepError(f"{path.name}, code cell {i}: a cell that shows "
                                        f"{name} again holds that function only")
                    yield path, i, name


def collect(notebooks: Path = NOTEBOOKS, genlib: Path = GENLIB) -> dict[Path, str]:
    """Every file the notebooks give, with its text: the step modules, and each notebook
    whose repeated steps differ from their saved cell (its repeats rewritten)."""
    saved = saved_steps(notebooks)
    homeless = sorted(set(saved) - {n for _, names in MODULES.values() for n in names})
    if homeless:
        raise StepError(f"{', '.join(homeless)}: saved in {saved[homeless[0]][0]} but in no "
                        f"module; add it to a module's heading in tools/collect_steps.md")
    files = {genlib / module: module_text(module, saved) for module in MODULES}
    for path, i, name in list(repeats(saved, notebooks)):
        nb = json.loads(files[path] if path in files else path.read_text())
        if _source(nb["cells"][i]).rstrip() != saved[name][1]:
            nb["cells"][i]["source"] = saved[name][1].splitlines(True)
            files[path] = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    return files


def differing(notebooks: Path = NOTEBOOKS, genlib: Path = GENLIB) -> list[Path]:
    """The files whose committed text differs from what the notebooks give (the check), and
    any module of ``genlib/steps/`` that is neither generated nor hand-written."""
    files = collect(notebooks, genlib)
    stray = [p for p in (genlib / "steps").glob("*.py")
             if p not in files and p.name not in HAND_WRITTEN]
    return sorted([p for p, text in files.items()
                   if not p.is_file() or p.read_text() != text] + stray)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a file differs from what the notebooks give")
    args = parser.parse_args(argv)
    try:
        if args.check:
            stale = differing()
            for path in stale:
                print(f"{path.relative_to(ROOT)} differs from the notebooks' {TAG} cells: "
                      f"run python tools/collect_steps.py")
            return 1 if stale else 0
        for path, text in collect().items():
            if not path.is_file() or path.read_text() != text:
                path.write_text(text)
                print(f"wrote {path.relative_to(ROOT)}")
    except StepError as exc:
        print(f"collect_steps: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
