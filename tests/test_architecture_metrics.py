"""tools/architecture_metrics.py counts what it says, on a tree small enough to count by hand."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import architecture_metrics as metrics  # noqa: E402


@pytest.fixture
def tree(tmp_path):
    files = {"genlib/__init__.py": "x = 1\n",                    # the package itself: not counted
             "genlib/steps/gan.py": "a = 1\n\nb = 2\n",          # taught: 3 lines, a blank one too
             "genlib/models/mlp.py": "c = 3\n",                  # taught: 1
             "genlib/sampling.py": "k = 11\nl = 12\n",          # taught: 2 (a file)
             "genlib/zoo/cache.py": "d = 4\ne = 5\n",            # machinery: 2
             "genlib/config.py": "f = 6\n# a comment\n",         # machinery: 2
             "genlib/zoo/notes.md": "not python\nat all\n",      # not a .py file
             "bench/run.py": "g = 7\nh = 8\ni = 9\nj = 10\n"}   # bench: 4
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def test_lines_are_split_into_taught_and_machinery(tree):
    assert metrics.taught_and_machinery(tree / "genlib") == (6, 4)
    assert metrics.python_lines(tree / "bench") == 4
    assert metrics.python_lines(tree / "genlib" / "zoo") == 2


def test_the_script_prints_the_three_figures(tree):
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "architecture_metrics.py"),
                           "--root", str(tree), "--no-duplicates"],
                          capture_output=True, text=True, check=True)
    assert "taught (objectives, models, steps, metrics, sampling.py, broken_steps.py) 6;" in done.stdout
    assert "machinery (the rest, less genlib/__init__.py) 4;" in done.stdout
    assert "machinery / taught 0.67" in done.stdout
    assert "bench/, lines of .py files (wc -l): 4" in done.stdout


@pytest.mark.skipif(shutil.which("duplicates") is None, reason="needs the duplicates command")
def test_duplicate_pairs_are_counted(tmp_path):
    body = "".join(f"    v{i} = x * {i} + y\n" for i in range(8))
    (tmp_path / "a.py").write_text("def f(x, y):\n" + body + "    return v0\n")
    (tmp_path / "c.py").write_text("def h():\n    return 1\n")
    assert metrics.duplicate_pairs(tmp_path, seconds=10) == 0
    (tmp_path / "b.py").write_text("def g(x, y):\n" + body + "    return v1\n")
    assert metrics.duplicate_pairs(tmp_path, seconds=10) == 1
