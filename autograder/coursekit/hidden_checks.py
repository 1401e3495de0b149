"""A test cell's hidden checks reach the kernel only after the student's answers are frozen, and only
a kernel still in its first state receives them.

In the source, a test cell's hidden block has two halves (`autograder/AUTHORING.md`):

    ### BEGIN HIDDEN TESTS
    _x = ...                                       # the answers: the student's functions run here,
    _got = frozen(fit_power_law(_x, _y))           # and only here, their results frozen to plain data
    ### HIDDEN CHECKS
    def _ref(x, y): ...                            # the checks: references and comparisons, which call
    check_close("coef", _got[0], _ref(_x, _y)[0])  # no student code
    ### END HIDDEN TESTS

As one cell, the whole text would be in the kernel (its history, `linecache`, the running frame's
code object) while the student's functions run. The grader sends it in steps instead:

1. the visible part and the answers (the cell as the kernel's history records it);
2. a state report (`kernel_state`, after a garbage collection that runs any pending finalizer):
   a kernel that differs from its first state (a trace function, a thread still running, a hook, a
   library function replaced by the notebook's, ...) gets no hidden checks: the test fails and the
   submission goes to review;
3. the checks, kept out of the kernel's history;
4. a clean-up: every name the hidden block bound, the last traceback (its frames hold the checks'
   locals), and the checks' source in `linecache` are removed.

A line `NAME = <integer>  # per-submission seed` in the answers gets an integer drawn from the
submission instead (stable for the same submission: a re-run gives the same grades), so an expected
value read from one student's run is useless to another.
"""
from __future__ import annotations

import ast
import re

import nbformat

from .kernel_state import compare_states, read_state, state_source
from .student_view import HIDDEN_BEGIN, HIDDEN_END

CHECKS_MARK = "### HIDDEN CHECKS"
_SEED_LINE = re.compile(r"^(?P<head>\s*[A-Za-z_]\w*\s*=\s*)(?P<seed>\d+)(?P<tail>\s*#\s*per-submission seed\b.*)$", re.M)


def split_hidden(source: str) -> tuple[str, str] | None:
    """(the visible part and the answers, the checks) of a test cell's source, or None if its hidden
    block has no CHECKS_MARK (then it runs as one cell)."""
    lines = source.split("\n")
    begin = next((i for i, line in enumerate(lines) if HIDDEN_BEGIN in line), None)
    mark = next((i for i, line in enumerate(lines) if line.strip() == CHECKS_MARK), None)
    if begin is None or mark is None or mark < begin:
        return None
    checks = [line for line in lines[mark + 1:] if HIDDEN_END not in line]
    return "\n".join(lines[:mark]), "\n".join(checks)


def with_seed(answers: str, seed: int) -> str:
    """The answers with every per-submission seed line given `seed` (a different one per line)."""
    count = iter(range(1_000_000))
    return _SEED_LINE.sub(lambda m: f"{m['head']}{(seed + 7919 * next(count)) % 2**31}{m['tail']}", answers)


def seed_lines(source: str) -> list[str]:
    return [m.group(0) for m in _SEED_LINE.finditer(source)]


def hidden_names(source: str) -> list[str]:
    """The names a test cell's hidden block binds at its top level (the clean-up removes them)."""
    hidden = []
    inside = False
    for line in source.split("\n"):
        if HIDDEN_BEGIN in line:
            inside = True
        elif HIDDEN_END in line:
            inside = False
        elif inside and line.strip() != CHECKS_MARK:
            hidden.append(line)
    try:
        tree = ast.parse("\n".join(hidden))
    except SyntaxError:
        return []
    names = set()
    for node in tree.body:
        for child in ast.walk(node) if not isinstance(node, (ast.FunctionDef, ast.ClassDef)) else [node]:
            if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Store):
                names.add(child.id)
            elif isinstance(child, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
                names.add(child.name)
            elif isinstance(child, (ast.Import, ast.ImportFrom)):
                names.update(a.asname or a.name.split(".")[0] for a in child.names)
    return sorted(names)


WITHHELD = ("HiddenChecksWithheld", "the grader did not run this test's hidden checks: the kernel was not in the "
                                    "state it started in (see the grader's note)")
GUARD_PROBLEMS: list[str] = []  # this worker's current job: why a test's hidden checks were withheld
STEP_SECONDS: dict[str, float] = {}  # this worker's current job: the grader's requests around the checks


def guard_source(token: str, helpers: list[str]) -> str:
    """Step 2: pending finalizers run first (a collection), then the state report. What survives the
    collection is frozen (moved out of the collector's generations): the next guard's collection walks
    only what was made since (in 01_contrastive about 1.5 ms a test instead of 19 ms). A frozen object that becomes
    garbage later is never collected, so its finalizer never runs: in particular not during the checks."""
    return ("exec(compile('import gc; gc.collect(); gc.freeze()', '<grader>', 'exec'), {})\n"
            + state_source(token, helpers))

_CLEANUP = r'''
import sys as _sys, linecache as _linecache
_ns = get_ipython().user_ns
for _name in NAMES:
    _ns.pop(_name, None)
_sys.last_type = _sys.last_value = _sys.last_traceback = None
for _key, _entry in list(_linecache.cache.items()):
    if len(_entry) > 2 and _entry[2] and TOKEN in "".join(_entry[2]):
        _linecache.cache.pop(_key, None)
'''


def cleanup_source(token: str, names: list[str]) -> str:
    """The clean-up after a test's hidden checks (step 4 of the module docstring)."""
    code = _CLEANUP.replace("NAMES", repr(names)).replace("TOKEN", repr(token))
    return f"# {token}\nexec(compile({code!r}, '<grader>', 'exec'), {{'get_ipython': get_ipython}})"


class Baseline:
    """What the grader's state reports said so far in one execution: the first report, and the ids
    of the locked cells' functions and modules (read as their cells' outputs arrive)."""

    def __init__(self, token: str):
        self.token, self.first, self.helpers = token, None, {}

    def note(self, cell) -> None:
        """Read a grader cell's state report, if it is one."""
        if not self.token or cell.metadata.get("coursekit") != self.token:
            return
        report = read_state(cell.get("outputs", []), self.token)
        if report is not None:
            if self.first is None:
                self.first = report
            self.helpers.update(report.get("helpers", {}))


def _has_error(outputs: list) -> bool:
    return any(o.get("output_type") == "error" for o in outputs)


async def execute_in_steps(execute_one, cell, cell_index: int, execution_count, baseline: Baseline,
                           helpers: list[str], seed: int):
    """Run a test cell whose hidden block has CHECKS_MARK in the steps of the module docstring;
    `execute_one(cell, cell_index, execution_count, store_history)` runs one request as nbclient does.
    The cell ends with its source as given, the outputs of every step it ran, and in its metadata
    `execution["coursekit.seconds"]` the seconds of its own two steps (as text) (the grader's requests around
    them are counted in STEP_SECONDS)."""
    import time

    original = cell.source
    answers, checks = split_hidden(original)
    token = baseline.token
    timings: dict = {}
    own = 0.0
    try:
        cell.source = with_seed(answers, seed)
        started = time.perf_counter()
        cell = await execute_one(cell, cell_index, execution_count, True)
        own += time.perf_counter() - started
        outputs = list(cell.outputs)
        timings = dict(cell.metadata.get("execution", {}))
        if _has_error(outputs) or cell.get("execution_count") is None:
            return cell, outputs
        started = time.perf_counter()
        guard = nbformat.v4.new_code_cell(guard_source(token, helpers))
        guard.metadata["coursekit"] = token
        guard = await execute_one(guard, cell_index, None, False)
        STEP_SECONDS["guard"] = STEP_SECONDS.get("guard", 0.0) + time.perf_counter() - started
        report = read_state(guard.outputs, token)
        problems = (["the state report before the hidden checks did not come"] if report is None or baseline.first is None
                    else compare_states(baseline.first, report, baseline.helpers))
        if problems:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
            GUARD_PROBLEMS.append(f"hidden checks of `{grade_id}` withheld: " + "; ".join(problems))
            outputs.append(nbformat.v4.new_output("error", ename=WITHHELD[0], evalue=WITHHELD[1],
                                                  traceback=[f"{WITHHELD[0]}: {WITHHELD[1]}"]))
            return cell, outputs
        cell.source = f"# {token}\n{checks}"
        started = time.perf_counter()
        cell = await execute_one(cell, cell_index, execution_count, False)
        own += time.perf_counter() - started
        outputs += list(cell.outputs)
        timings.update({k: v for k, v in cell.metadata.get("execution", {}).items() if k != "iopub.execute_input"})
        return cell, outputs
    finally:
        started = time.perf_counter()
        tidy = nbformat.v4.new_code_cell(cleanup_source(token, hidden_names(original)))
        tidy.metadata["coursekit"] = token
        try:
            await execute_one(tidy, cell_index, None, False)
        finally:
            STEP_SECONDS["clean-up"] = STEP_SECONDS.get("clean-up", 0.0) + time.perf_counter() - started
            cell.source = original
            cell.metadata["execution"] = {**timings, "coursekit.seconds": f"{own:.6f}"}  # nbformat: strings only
