"""Every exercise of the notebooks has a tested answer and a self-check a student can trust.

The exercises are found in the notebooks by their headings ("### Exercise N", "### Bug N" in
notebook 10), and each must be registered in genlib.exercises.EXERCISES, with a folded hint; the
committed notebooks hold no answer, and the instructor's copy (instructor/build.py) a folded answer
for each. For every coded exercise (and every bug to fix): the answer shown in the instructor's copy
is instructor/answers.py's function, character for character, and passes its check; at least three
plausible wrong answers (tests/exercise_attempts.py, those a student reported among them) are
each rejected; at least one correct answer in another style passes; genlib's own functions are
refused; and no verdict reveals the reference's value.
"""
from __future__ import annotations

import ast
import builtins
import functools
import inspect
import linecache
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest
import torch

import instructor.answers as answers
from exercise_attempts import RIGHT, WRONG
from genlib.exercise_expected import expected
from genlib.exercises import EXERCISES, ExerciseNotDone, check
from genlib.pitfalls import PITFALLS, check_fix
from instructor.build import answer_blocks, with_answers

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
HEADING = re.compile(r"^### (Exercise|Bug) (\d+)( \(think\))?", re.M)
FOLDED = re.compile(r"<details><summary>(Hint|Answer)</summary>(.*?)</details>", re.S)
CODE_BLOCK = re.compile(r"```python\n(.*?)\n```", re.S)
CHECKED = sorted(k for k, e in EXERCISES.items() if e.kind in ("code", "fix"))


@dataclass
class Block:
    """The cells of one exercise: from its heading to its Answer cell."""
    key: str
    heading: str
    cells: list = field(default_factory=list)

    def code_cells(self):
        return [c.source for c in self.cells if c.cell_type == "code"]

    def folded(self, kind: str) -> str:
        found = [body for cell in self.cells if cell.cell_type == "markdown"
                 for summary, body in FOLDED.findall(cell.source) if summary == kind]
        assert len(found) == 1, f"{self.key}: expected one folded {kind} block, found {len(found)}"
        return found[0].strip()


def notebook_exercises() -> dict[str, Block]:
    """The exercises of the instructor's copy of the notebooks (the Answer blocks put back)."""
    blocks, current = {}, None
    for path in NOTEBOOKS:
        number = path.name[:2]
        for cell in with_answers(nbformat.read(path, as_version=4), number).cells:
            match = HEADING.search(cell.source) if cell.cell_type == "markdown" else None
            if match:
                key = f"{number}.{match.group(2)}"
                assert key not in blocks, f"{path.name}: two exercises numbered {match.group(2)}"
                current = blocks[key] = Block(key, match.group(0))
            if current is not None:
                current.cells.append(cell)
                if cell.cell_type == "markdown" and "<summary>Answer</summary>" in cell.source:
                    current = None
        assert current is None, f"{path.name}: {current.key} has no Answer block"
    return blocks


BLOCKS = notebook_exercises()


def displayed_answer(key: str) -> str:
    (code,) = CODE_BLOCK.findall(BLOCKS[key].folded("Answer"))
    return code


def as_a_student_would(key: str):
    """The notebook's displayed answer, run in a notebook-like namespace (not genlib's)."""
    namespace = {name: value for name, value in vars(answers).items()
                 if getattr(value, "__module__", None) != answers.__name__}
    namespace["__name__"] = "__main__"
    exec(displayed_answer(key), namespace)
    return namespace[EXERCISES[key].name]


# ---------------------------------------------------------------- the notebooks and the registry
def test_every_exercise_in_the_notebooks_is_registered_and_every_registered_one_is_there():
    assert set(BLOCKS) == set(EXERCISES), (
        f"in the notebooks, not registered: {sorted(set(BLOCKS) - set(EXERCISES))}; registered, "
        f"not in the notebooks: {sorted(set(EXERCISES) - set(BLOCKS))}")
    for key, block in BLOCKS.items():
        kind = EXERCISES[key].kind
        assert (block.heading.startswith("### Bug")) == (kind == "fix"), key
        assert ("(think)" in block.heading) == (kind == "think"), key
    assert len(BLOCKS) >= 30


@pytest.mark.parametrize("key", sorted(EXERCISES))
def test_each_exercise_has_a_folded_hint_and_answer(key):
    hint, answer = BLOCKS[key].folded("Hint"), BLOCKS[key].folded("Answer")
    assert len(hint) > 40 and len(answer) > 40
    if EXERCISES[key].kind != "think":
        lines = [line.strip() for line in displayed_answer(key).splitlines()[1:]]
        substantial = [line.split("#")[0].strip() for line in lines if len(line) > 25]
        leaked = [line for line in substantial if line and line in hint]
        assert not leaked, f"{key}: the hint holds a line of the answer: {leaked}"


@pytest.mark.parametrize("key", CHECKED)
def test_the_displayed_answer_is_instructor_answers_character_for_character(key):
    source = inspect.getsource(getattr(answers, EXERCISES[key].name)).rstrip()
    assert displayed_answer(key) == source, (
        f"{key}: the Answer block does not show instructor/answers.py's {EXERCISES[key].name}")
    assert answer_blocks()[key].function == EXERCISES[key].name, key


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_committed_notebooks_hold_no_answer(path):
    """The answers' one source is instructor/ (answers.py, answer_blocks.md), never a notebook."""
    nb = nbformat.read(path, as_version=4)
    text = "\n".join(cell.source for cell in nb.cells)
    assert not re.search(r"<summary>\s*Answer", text), f"{path.name} holds an Answer block"
    for key, exercise in EXERCISES.items():
        if key[:2] != path.name[:2] or exercise.kind == "think":
            continue
        source = inspect.getsource(getattr(answers, exercise.name))
        assert source.strip() not in text, f"{path.name} shows {key}'s answer"
        if exercise.kind == "code":   # a fixed step shares most of its lines with the broken one
            shown = [line for line in source.splitlines()[1:] if len(line.strip()) > 25 and line in text]
            assert not shown, f"{path.name}: a line of {key}'s answer is in the notebook: {shown}"


def test_every_exercise_has_one_answer_block_in_the_instructors_source():
    assert set(answer_blocks()) == set(EXERCISES)


@pytest.mark.parametrize("key", sorted(EXERCISES))
def test_stub_and_check_cells(key):
    exercise, block = EXERCISES[key], BLOCKS[key]
    cells = block.code_cells()
    if exercise.kind == "think":
        assert not cells, f"{key}: a think exercise has no code cells"
        return
    (stub,) = [c for c in cells if re.search(rf"^def {exercise.name}\(", c, re.M)]
    checks = [c for c in cells if re.search(r"\bcheck(_fix)?\(", c)]
    assert len(checks) == 1, f"{key}: expected one check cell"
    last = checks[0].strip().splitlines()[-1]
    assert last.endswith(";"), f"{key}: end the check cell's last line with ';' (no bare verdict)"
    if exercise.kind == "code":
        assert "raise ExerciseNotDone" in stub
        comments = [line.strip() for line in stub.splitlines() if line.strip().startswith("#")]
        for comment in comments:
            assert re.fullmatch(r"# your code here(: [a-z ]+)?", comment), \
                f"{key}: the stub's comment gives away too much: {comment!r}"
        assert re.search(rf'check\("{re.escape(key)}", {exercise.name}\b', checks[0]), checks[0]
    else:
        task = PITFALLS[list(PITFALLS)[int(key[3:]) - 1]].task
        assert re.search(rf'check_fix\({exercise.name}, "{task}"', checks[0]), checks[0]


def _bound_names(path: Path) -> set[str]:
    names = set()
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names |= {(a.asname or a.name).split(".")[0] for a in node.names}
            elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
    return names


@pytest.mark.parametrize("key", CHECKED)
def test_the_displayed_answer_runs_in_its_notebook(key):
    """Every name the answer uses is imported or defined in the notebook."""
    (path,) = [p for p in NOTEBOOKS if p.name.startswith(key[:2])]
    function = ast.parse(displayed_answer(key)).body[0]
    local = {a.arg for a in function.args.args} | {
        n.id for n in ast.walk(function) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    used = {n.id for n in ast.walk(function) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    missing = used - local - set(dir(builtins)) - _bound_names(path)
    assert not missing, f"{key}: the answer uses {missing}, which {path.name} never imports or defines"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_cell_shows_a_bare_boolean(path):
    shown = [i for i, cell in enumerate(nbformat.read(path, as_version=4).cells)
             if cell.cell_type == "code" for out in cell.outputs
             if out.output_type == "execute_result"
             and out.get("data", {}).get("text/plain", "").strip() in ("True", "False")]
    assert not shown, f"{path.name}: cells {shown} display a bare True/False"


def test_the_bug_headings_do_not_give_the_symptom_away():
    for number, pitfall in enumerate(PITFALLS.values(), 1):
        heading = BLOCKS[f"10.{number}"].heading
        assert heading == f"### Bug {number}", heading
        cell = next(c for c in BLOCKS[f"10.{number}"].cells if c.cell_type == "markdown")
        kind = "VAE" if pitfall.task == "vae" else "GAN"
        assert cell.source == f"### Bug {number} · a {kind} step"
    path = next(p for p in NOTEBOOKS if p.name.startswith("10"))
    visible = "\n".join(FOLDED.sub("", c.source) for c in nbformat.read(path, as_version=4).cells
                        if c.cell_type == "markdown")
    for pitfall in PITFALLS.values():
        assert pitfall.symptom.lower() not in visible.lower(), pitfall.symptom


# ---------------------------------------------------------------- right and wrong answers
@pytest.mark.parametrize("key", CHECKED)
def test_each_checked_exercise_has_attempts(key):
    assert len(WRONG.get(key, [])) >= 3, f"{key}: add plausible wrong answers to exercise_attempts.py"
    assert len(RIGHT.get(key, [])) >= 1, f"{key}: add a correct answer in another style"


@pytest.mark.parametrize("key", CHECKED)
def test_the_displayed_answer_passes(key, capsys):
    verdict = check(key, as_a_student_would(key))
    assert verdict, verdict.message
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and ("right!" in out or "learns" in out)


WRONG_CASES = [(key, fn, expect) for key in sorted(WRONG) for fn, expect in WRONG[key]]
RIGHT_CASES = [(key, fn) for key in sorted(RIGHT) for fn in RIGHT[key]]


@pytest.mark.parametrize("key, attempt, expect", WRONG_CASES,
                         ids=[f"{k}-{fn.__name__}" for k, fn, _ in WRONG_CASES])
def test_a_wrong_answer_is_rejected_and_told_why(key, attempt, expect):
    verdict = check(key, attempt, quiet=True)
    assert not verdict, f"{key}: the wrong answer {attempt.__name__} passes"
    if expect:
        assert expect in verdict.message, verdict.message
    assert "factor of" not in verdict.message
    if EXERCISES[key].kind == "code":
        problem = re.sub(r"on test case \d+ \(.*?\)(,| it)", "", verdict.message)  # the inputs
        problem = re.sub(r"\((\d+, )*\d*,?\)|section \d+(\.\d+)?", "", problem)   # shapes, pointers
        assert not re.search(r"\d\.\d|\d{3,}", problem), f"a number in the verdict: {verdict.message}"


@pytest.mark.parametrize("key, attempt", RIGHT_CASES, ids=[f"{k}-{fn.__name__}" for k, fn in RIGHT_CASES])
def test_a_correct_answer_in_another_style_passes(key, attempt):
    verdict = check(key, attempt, quiet=True)
    assert verdict, f"{key}: the correct answer {attempt.__name__} is rejected: {verdict.message}"


@pytest.mark.parametrize("key", sorted(k for k, e in EXERCISES.items() if e.kind == "code"))
def test_no_verdict_lets_the_reference_be_recovered(key):
    """Any two wrong constants get the same verdict but for the direction of a single number
    ("too large", "too small"): no factor or difference leaks, and no value."""
    messages = {_without_direction(check(key, lambda *args, c=c: c, quiet=True).message)
                for c in (0.123, 1.234, 7.77)}
    assert len(messages) == 1, messages


DIRECTION = re.compile(r": it is too (large|small)")


def _without_direction(message: str) -> str:
    return DIRECTION.sub("", message)


def test_a_wrong_single_number_is_told_its_direction():
    """A scalar that is wrong says which way it is off (0.123 is below, 7.77 above every W1)."""
    assert "too small" in check("04.1", lambda x, y: 0.001, quiet=True).message
    assert "too large" in check("04.1", lambda x, y: 100.0, quiet=True).message
    assert "too large" in check("02.2", _attempt("02.2", "exponential_approximation"),
                                quiet=True).message      # e^x > 1 + x


SINGLE_NUMBER = sorted(k for k, e in EXERCISES.items()
                       if e.kind == "code" and e.cases is not None and expected(k).results[0].dim() == 0)


@pytest.mark.parametrize("key", SINGLE_NUMBER)
def test_every_single_number_exercise_tells_the_direction(key):
    """Issue 34.5: a wrong single number says which way it is off, in every such exercise."""
    assert len(SINGLE_NUMBER) >= 10
    for guess, direction in ((-1e6, "too small"), (1e6, "too large")):
        message = check(key, lambda *args: guess, quiet=True).message
        assert f"it is {direction}" in message, message


@pytest.mark.parametrize("key", CHECKED)
def test_genlibs_own_function_is_refused(key):
    verdict = check(key, getattr(answers, EXERCISES[key].name), quiet=True)
    assert not verdict, verdict.message
    assert "write it yourself" in verdict.message or "not your fix" in verdict.message, verdict.message


def test_the_library_references_are_refused_too():
    from genlib.objectives.elbo import gaussian_kl, iwae_bound
    from genlib.objectives.wasserstein import gradient_penalty
    for key, function in [("05.1", gaussian_kl), ("06.1", iwae_bound), ("04.2", gradient_penalty),
                          ("05.1", functools.partial(gaussian_kl))]:
        verdict = check(key, function, quiet=True)
        assert not verdict and "not an answer - write it yourself" in verdict.message


def test_an_unknown_key_says_which_keys_exist():
    with pytest.raises(ValueError, match="00.1"):
        check("99.1", lambda: 0)
    with pytest.raises(ValueError, match="keys"):
        check("05.4", lambda: 0)   # a think exercise has no check


@pytest.mark.parametrize("key", sorted(k for k, e in EXERCISES.items() if e.kind == "code"))
def test_the_stub_is_reported_as_not_done(key):
    def stub(*args, **kwargs):
        raise ExerciseNotDone
    assert "not done yet" in check(key, stub, quiet=True).message


def test_a_check_leaves_the_notebooks_random_numbers_alone():
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    check("06.2", as_a_student_would("06.2"), quiet=True)
    check("04.2", as_a_student_would("04.2"), quiet=True)
    assert torch.equal(torch.rand(3), expected)


# ---------------------------------------------------------------- what the student reported
def _attempt(key, name):
    attempts = [fn for fn, _ in WRONG.get(key, [])] + RIGHT.get(key, [])
    (found,) = [fn for fn in attempts if fn.__name__ == name]
    return found


# exercise | attempt | passes or fails | the verdict must say | the verdict must not say (- none)
STUDENT_VERDICTS = [(key, name, verdict == "passes", says, None if never == "-" else never)
                    for key, name, verdict, says, never in (
                        [cell.strip() for cell in line.split("|")] for line in """
00.1 | naive_exp_mean               | fails  | NaN or Inf                                | factor
00.1 | logsumexp_without_log_k      | fails  | common constant                           | log N
00.1 | minus_log_n                  | fails  | log N, from the number of points          | a missing term
01.2 | mixture_not_halved           | fails  | does not sum to 1                         | factor
01.2 | summed_over_everything       | fails  | shape                                     | -
01.3 | sign_inside_logsigmoid       | fails  | log(1 - D(G(z)))                          | factor
02.1 | a_count                      | fails  | a count                                   | factor
02.2 | exponential_approximation    | fails  | not the right one                         | factor
02.3 | min_share_ignored            | fails  | min_share = 0.001                         | -
02.3 | strictly_more_than_the_share | fails  | exactly the minimum share                 | -
03.1 | angle_not_normalised         | fails  | arccos                                    | log of 0?
03.1 | no_fallback_for_equal_codes  | fails  | two equal codes                           | -
06.1 | largest_weight_only          | fails  | values differ                             | missing constant
04.1 | unsorted                     | fails  | not the right one                         | factor
04.1 | a_guess                      | fails  | not the right one                         | factor
04.2 | without_create_graph         | fails  | create_graph=True                         | -
04.2 | one_eps_per_batch            | fails  | one eps per example                       | -
04.2 | at_real_points               | fails  | real examples only                        | -
04.2 | one_sided                    | fails  | norm below 1                              | -
05.2 | kl_subtracted                | fails  | wrong sign                                | -
05.3 | guess_one                    | fails  | not the right one                         | factor
06.2 | own_generator_like_cell_13   | passes | right!                                    | -
07.2 | clamp_per_example            | fails  | clamp the KL of each example              | factor
08.1 | mean_term_forgotten          | fails  | not the right one                         | factor
09.2 | pairs_not_swapped            | fails  | discriminator's own loss                  | factor
09.2 | saturating_form              | fails  | sign flipped                              | factor
10.1 | moment_matching              | fails  | does not depend on the discriminator      | -
10.5 | zero_grad_after_the_step     | fails  | zero the gradients before each backward() | -
10.6 | kl_dropped                   | fails  | no KL term                                | -
10.6 | mean_bce_with_summed_kl      | fails  | weighted differently                      | -
""".strip().splitlines())]


@pytest.mark.parametrize("key, name, passes, says, never", STUDENT_VERDICTS,
                         ids=[f"{k}-{n}" for k, n, *_ in STUDENT_VERDICTS])
def test_the_students_attempts_get_the_verdict_they_should(key, name, passes, says, never):
    verdict = check(key, _attempt(key, name), quiet=True)
    assert bool(verdict) == passes, verdict.message
    assert says in verdict.message, verdict.message
    if never:
        assert never not in verdict.message, verdict.message


def test_every_reported_attempt_is_among_the_verdicts():
    reported = {(k, fn.__name__) for k, attempts in WRONG.items() for fn, _ in attempts
                if fn.student_reported}
    assert reported <= {(k, n) for k, n, *_ in STUDENT_VERDICTS}


def test_the_02_3_reference_takes_min_share_as_min_share():
    """The old check passed min_share into radius_in_std: a right answer failed, a wrong one passed."""
    assert check("02.3", as_a_student_would("02.3"), quiet=True)
    assert not check("02.3", _attempt("02.3", "min_share_ignored"), quiet=True)


def test_a_wrong_guess_cannot_be_inverted():
    """Returning 1.0 to 04.1 used to print the factor whose inverse is W1."""
    first = _without_direction(check("04.1", lambda x, y: 1.0, quiet=True).message)
    second = _without_direction(check("04.1", lambda x, y: 0.915, quiet=True).message)
    assert first == second and not re.search(r"\d\.\d{2}", first)


def test_an_unchanged_bug_is_not_run_and_the_check_asks_for_a_prediction(capsys):
    path = next(p for p in NOTEBOOKS if p.name.startswith("10"))
    cells = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    for number in range(1, 7):
        (cell,) = [c for c in cells if re.search(rf"^def step_{number}\(", c, re.M)]
        filename = f"<bug {number}>"   # as IPython does, so that inspect finds the cell's source
        linecache.cache[filename] = (len(cell), None, cell.splitlines(True), filename)
        namespace = {**{k: v for k, v in vars(answers).items() if not k.startswith("step_")},
                     "__name__": "__main__"}
        exec(compile(cell, filename, "exec"), namespace)
        task = PITFALLS[list(PITFALLS)[number - 1]].task
        result = check_fix(namespace[f"step_{number}"], task, name=f"bug {number}")
        assert not result and f"still bug {number} as given" in result.message
    assert "not fixed yet" in capsys.readouterr().out
