"""What a student installs holds no worked answer and no reference an answer could be copied from.

The wheel built from the repository (what `pip install .`, `make lab` and the notebooks' Colab
install cell install) contains genlib and its stored right results, but neither instructor/ nor a
function whose code is an exercise's worked answer or a check's reference, whatever its name:
functions are compared by their syntax tree without names, docstrings or comments.
"""
from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

import genlib
import instructor.answers as answers
import instructor.references as references
from genlib.exercises import EXERCISES

ROOT = Path(__file__).resolve().parents[1]
ANSWER_NAMES = sorted({e.name for e in EXERCISES.values() if e.kind in ("code", "fix")})


def _shape(function_node: ast.AST) -> str:
    """A function's syntax tree without its name, argument names, docstring or decorators."""
    node = ast.parse(ast.unparse(function_node)).body[0]
    node.name, node.decorator_list, node.returns = "f", [], None
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        node.body = body[1:] or [ast.Pass()]
    names = [a.arg for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs]
    renamed = {name: f"a{i}" for i, name in enumerate(names)}
    for child in ast.walk(node):
        if isinstance(child, ast.arg):
            child.arg, child.annotation = renamed.get(child.arg, child.arg), None
        elif isinstance(child, ast.Name) and child.id in renamed:
            child.id = renamed[child.id]
    return ast.dump(node, annotate_fields=False)


def _function_nodes(source: str):
    return [n for n in ast.walk(ast.parse(source)) if isinstance(n, (ast.FunctionDef, ast.Lambda))]


def _shapes_of_module(module) -> set[str]:
    return {_shape(n) for n in _function_nodes(inspect.getsource(module))
            if isinstance(n, ast.FunctionDef)}


ANSWER_SHAPES = _shapes_of_module(answers) | {   # and notebook 10's fixes, made by answers._fix
    _shape(ast.parse(inspect.getsource(getattr(answers, name))).body[0]) for name in ANSWER_NAMES}
REFERENCE_SHAPES = {s for s in _shapes_of_module(references)
                    if len(s) > 200}   # one-line wrappers (a call of a library function) excepted


def _setuptools_at_least(major: int) -> bool:
    try:
        from importlib.metadata import version
        return int(version("setuptools").split(".")[0]) >= major
    except Exception:  # not installed, or an unusual version string
        return False


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel `pip install .` would install, built from a copy of the repository's files."""
    source = tmp_path_factory.mktemp("source")
    for name in ["pyproject.toml", "README.md", "LICENSE", "LICENSE-CC-BY-4.0"]:
        if (ROOT / name).exists():
            shutil.copy(ROOT / name, source / name)
    for folder in ["genlib", "instructor"]:
        shutil.copytree(ROOT / folder, source / folder,
                        ignore=shutil.ignore_patterns("__pycache__", "notebooks"))
    out = tmp_path_factory.mktemp("wheel")
    # the venv's own setuptools when it meets pyproject's build requirement (offline, fast);
    # else pip fetches it, as `pip install .` would
    isolation = [] if _setuptools_at_least(77) else ["--use-pep517"]
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", *(isolation or
                    ["--no-build-isolation"]), "--quiet", "-w", str(out), str(source)],
                   check=True, capture_output=True)
    (path,) = out.glob("genlib-*.whl")
    return path


def test_the_wheel_holds_genlib_and_its_stored_results_but_not_instructor(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "genlib/exercises/framework.py" in names and "genlib/exercises/notebook04.py" in names
    assert "genlib/exercise_expected.json" in names
    assert not [n for n in names if n.startswith("instructor/") or n.endswith("answers.py")], names
    assert not [n for n in names if "references" in n or "answer_blocks" in n], names


def test_no_function_in_the_wheel_is_an_answer_or_a_reference(wheel):
    archive = zipfile.ZipFile(wheel)
    found = []
    for name in archive.namelist():
        if not name.endswith(".py"):
            continue
        source = archive.read(name).decode()
        for node in _function_nodes(source):
            if isinstance(node, ast.FunctionDef) and node.name in ANSWER_NAMES \
                    and name != "genlib/broken_steps.py":   # notebook 10's bugs, as given
                found.append(f"{name}: def {node.name}")
            if isinstance(node, ast.FunctionDef) and _shape(node) in ANSWER_SHAPES | REFERENCE_SHAPES:
                found.append(f"{name}: {node.name} is an answer or a reference")
    assert not found, found


def test_getsource_on_anything_in_genlib_yields_no_answer():
    """Every function and method reachable in the installed genlib, compared with every answer."""
    seen = 0
    for info in pkgutil.walk_packages(genlib.__path__, "genlib."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            members = [obj] + (list(vars(obj).values()) if inspect.isclass(obj) else [])
            for member in members:
                member = getattr(member, "__func__", member)
                if not inspect.isfunction(member) or not member.__module__.startswith("genlib"):
                    continue
                try:
                    source = textwrap.dedent(inspect.getsource(member))
                except (OSError, TypeError):
                    continue
                tree = ast.parse(source).body[0]
                if isinstance(tree, ast.FunctionDef):
                    seen += 1
                    assert _shape(tree) not in ANSWER_SHAPES, f"{info.name}.{member.__name__}"
    assert seen > 200   # the walk did reach the library
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("genlib.answers")


def test_the_shape_comparison_finds_an_answer_under_another_name():
    """The comparison above can fail: a renamed copy of an answer is found."""
    source = inspect.getsource(answers.my_gaussian_kl).replace("my_gaussian_kl", "kl_terms")
    source = source.replace("mu", "mean")
    assert _shape(ast.parse(source).body[0]) in ANSWER_SHAPES
