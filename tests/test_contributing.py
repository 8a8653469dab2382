"""CONTRIBUTING.md's layout is exact: every file it lists exists, every genlib module is listed."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def listed_paths():
    text = (ROOT / "CONTRIBUTING.md").read_text()
    block = text.split("## Layout", 1)[1].split("```")[1]
    return [line.split()[0] for line in block.strip().splitlines() if line.strip()]


def test_every_listed_file_exists():
    # an entry with a * (genlib/exercises/notebook*.py) stands for the files it matches: one at least
    missing = [p for p in listed_paths() if not (list(ROOT.glob(p)) if "*" in p else (ROOT / p).exists())]
    assert not missing, f"CONTRIBUTING.md lists files that do not exist: {missing}"


def test_every_genlib_module_and_bench_script_is_listed():
    listed = {q.relative_to(ROOT).as_posix() if "*" in p else p
              for p in listed_paths() for q in (ROOT.glob(p) if "*" in p else [ROOT / p])}
    modules = [p.relative_to(ROOT).as_posix() for folder in ("genlib", "bench", "tools")
               for p in (ROOT / folder).rglob("*.py")
               if p.name not in ("__init__.py",) and not (p.name == "__main__.py" and
                                                           p.parent.name != "bench")]
    unlisted = sorted(m for m in modules if m not in listed)
    assert not unlisted, f"add these to CONTRIBUTING.md's layout: {unlisted}"
    assert re.search(r"genlib/steps/gan\.py\s", (ROOT / "CONTRIBUTING.md").read_text())
