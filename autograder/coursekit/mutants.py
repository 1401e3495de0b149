"""Run the wrong and alternative answers of `tests/answers/<assignment>.py` against the tests.

The solution notebook (hidden tests included) runs once in one kernel (every cell, or, as the
grader runs it, without the instructor cells no grade depends on). Then, for every variant,
the variant's code redefines the graded function, the test cells listed for that function run
again and are scored exactly as nbgrader scores them (`nbgrader.utils.determine_grade`: an error
or any stderr output is 0 points), and the solution cell is run again to restore the function.

A wrong variant must lose points in at least one listed cell; an alternative must keep them all.

    python -m coursekit.mutants 01_contrastive
"""
from __future__ import annotations

import copy
import importlib.util
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import nbformat
from nbclient import NotebookClient
from nbgrader.utils import determine_grade, is_grade

from .hidden_checks import with_seed
from .paths import ANSWERS_DIR, BUILD_DIR, DATA_DIR, KERNEL_NAME, source_script
from .sources import notebook_from_script


@dataclass
class VariantOutcome:
    """How the listed test cells scored one variant of one graded function."""

    assignment: str
    function: str
    name: str
    kind: str  # "wrong" or "alternative"
    scores: dict[str, tuple[float, float]] = field(default_factory=dict)  # grade_id -> (score, max)
    errors: dict[str, str] = field(default_factory=dict)  # grade_id -> first error line
    setup_error: str = ""  # the variant's own code failed to run
    stderr_only: set[str] = field(default_factory=set)  # cells whose 0 came from stderr alone (no failed assert)

    @property
    def lost_points(self) -> bool:
        return any(score < max_score for score, max_score in self.scores.values())

    @property
    def caught_by_stderr_only(self) -> bool:
        """A wrong answer whose every lost cell lost only because something (a RuntimeWarning) reached
        stderr: nbgrader's rule caught it, no assert did, and a student who silences warnings keeps the points."""
        lost = {gid for gid, (score, most) in self.scores.items() if score < most}
        return bool(lost) and lost <= self.stderr_only

    @property
    def as_expected(self) -> bool:
        if self.setup_error or not self.scores:
            return False
        return self.lost_points if self.kind == "wrong" else not self.lost_points

    def describe(self) -> str:
        cells = ", ".join(f"{gid} {s:g}/{m:g}" for gid, (s, m) in self.scores.items())
        verdict = ("UNEXPECTED" if not self.as_expected else
                   "ok: stderr" if self.kind == "wrong" and self.caught_by_stderr_only else "ok")
        why = self.setup_error or "; ".join(f"{gid}: {e}" for gid, e in self.errors.items())
        return f"{verdict:10s} {self.kind:11s} {self.function}/{self.name}: {cells}" + (f"  [{why}]" if why else "")


def mutant_seed() -> int:
    """The per-submission seed the variants' test cells run with: COURSEKIT_MUTANT_SEED, else 8101 (not
    the sources' own, so `make mutants` shows the hidden tests discriminate with another draw)."""
    return int(os.environ.get("COURSEKIT_MUTANT_SEED", "8101"))


def load_answers(assignment: str) -> ModuleType:
    """Import `tests/answers/<assignment>.py` (it defines TESTS, WRONG and ALTERNATIVE)."""
    path = ANSWERS_DIR / f"{assignment}.py"
    spec = importlib.util.spec_from_file_location(f"answers_{assignment}", path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name in ("TESTS", "WRONG", "ALTERNATIVE"):
        if not isinstance(getattr(module, name, None), dict):
            raise ValueError(f"{path} must define a dict {name}")
    return module


def _only_stderr(cell: nbformat.NotebookNode) -> bool:
    """The cell wrote to stderr and raised nothing (nbgrader gives it 0 for the stderr alone)."""
    outputs = cell.get("outputs", [])
    return (not any(o.output_type == "error" for o in outputs)
            and any(o.output_type == "stream" and o.name == "stderr" for o in outputs))


def _first_error(cell: nbformat.NotebookNode) -> str:
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            return f"{output.ename}: {output.evalue}".splitlines()[0][:300]
        if output.output_type == "stream" and output.name == "stderr":
            return "stderr: " + output.text.strip().splitlines()[0][:300] if output.text.strip() else "stderr"
    return ""


class NotebookSession:
    """One kernel that has run the whole solution notebook; cells can be re-run in it."""

    def __init__(self, assignment: str, workdir: Path, timeout: int = 120, sandboxed: bool = False):
        from traitlets.config import Config

        from .sandbox import KERNEL_NAME as SANDBOX_KERNEL

        self.assignment = assignment
        self.nb = notebook_from_script(source_script(assignment))
        self.cells = {c.metadata["nbgrader"]["grade_id"]: c for c in self.nb.cells if "nbgrader" in c.metadata}
        config = Config()
        self.socket_dir = ""
        if sandboxed:  # the grader's kernel: bubblewrap, talking over sockets in a short private folder
            self.socket_dir = tempfile.mkdtemp(prefix="fmk-")
            config.KernelManager.transport = "ipc"
            config.KernelManager.ip = self.socket_dir + "/k"
        self.client = NotebookClient(self.nb, timeout=timeout, kernel_name=SANDBOX_KERNEL if sandboxed else KERNEL_NAME,
                                     allow_errors=True, config=config, resources={"metadata": {"path": str(workdir)}})

    def run(self, cell: nbformat.NotebookNode) -> nbformat.NotebookNode:
        """Execute `cell` (in place) in the session's kernel and return it."""
        cell.outputs = []
        for index, known in enumerate(self.nb.cells):
            if known is cell:
                self.client.execute_cell(cell, index)
                return cell
        self.nb.cells.append(cell)  # nbclient writes the executed cell back by index
        try:
            self.client.execute_cell(cell, len(self.nb.cells) - 1)
        finally:
            self.nb.cells.pop()
        return cell

    def run_all(self, skip_unneeded: bool = False) -> list[str]:
        """Run the solution notebook top to bottom; return the problems (errors, lost points).
        skip_unneeded: leave out the cells the grader leaves out (see cell_skipping)."""
        from .cell_skipping import plan_skips

        skip = plan_skips(self.nb.cells, self.nb.cells).skip if skip_unneeded else set()
        problems = []
        for index, cell in enumerate(self.nb.cells):
            if cell.cell_type != "code" or index in skip:
                continue
            if is_grade(cell):  # as every variant's scoring will run it (see score)
                cell.source = with_seed(cell.source, mutant_seed())
            self.run(cell)
            error = _first_error(cell)
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", cell.get("id"))
            if error:
                problems.append(f"{grade_id}: {error}")
        return problems

    def score(self, grade_id: str) -> tuple[tuple[float, float], str, bool]:
        """Re-run a test cell and score it as nbgrader would (its per-submission seeds drawn afresh:
        `mutant_seed`): (score, max), its first error line, whether stderr alone cost the points."""
        cell = copy.deepcopy(self.cells[grade_id])
        cell.source = with_seed(cell.source, mutant_seed())
        cell = self.run(cell)
        score, max_score = determine_grade(cell)
        return (float(score or 0.0), max_score), _first_error(cell), _only_stderr(cell)


def run_variants(assignment: str, sandboxed: bool = False,
                 skip_unneeded: bool = False) -> tuple[list[str], list[VariantOutcome]]:
    """Run the solution, then every variant; return (problems of the solution run, outcomes).

    sandboxed: run them in the grader's sandboxed kernel instead of the course kernel;
    skip_unneeded: leave out the instructor cells that `make grade` leaves out."""
    from .sandbox import ENV_DATA_DIR, write_kernelspec
    from .sandbox_caps import remove_cgroups

    answers = load_answers(assignment)
    BUILD_DIR.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=BUILD_DIR, prefix=f"mutants-{assignment}-") as workdir:
        saved = {key: os.environ.get(key) for key in ("JUPYTER_PATH", ENV_DATA_DIR)}
        if sandboxed:
            os.environ["JUPYTER_PATH"] = str(write_kernelspec(Path(workdir) / "kernelspec"))
            os.environ[ENV_DATA_DIR] = str(DATA_DIR)
        try:
            return _run_variants(assignment, answers, Path(workdir) / "run", sandboxed, skip_unneeded)
        finally:
            if sandboxed:
                remove_cgroups(wait_s=5.0)  # the caps' cgroups of the finished sandbox
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def _run_variants(assignment: str, answers: ModuleType, workdir: Path, sandboxed: bool,
                  skip_unneeded: bool) -> tuple[list[str], list[VariantOutcome]]:
    workdir.mkdir()
    session = NotebookSession(assignment, workdir, sandboxed=sandboxed)
    outcomes: list[VariantOutcome] = []
    with session.client.setup_kernel():
        problems = session.run_all(skip_unneeded)
        for kind, table in (("wrong", answers.WRONG), ("alternative", answers.ALTERNATIVE)):
            for function, variants in table.items():
                test_ids = answers.TESTS.get(function, [])
                for name, code in variants.items():
                    outcome = VariantOutcome(assignment, function, name, kind)
                    outcomes.append(outcome)
                    missing = [g for g in [function, *test_ids] if g not in session.cells]
                    if missing or not test_ids:
                        outcome.setup_error = f"no cell with grade_id {missing or 'for its tests'}"
                        continue
                    if not all(is_grade(session.cells[g]) for g in test_ids):
                        outcome.setup_error = "a listed test cell is not a grade cell"
                        continue
                    definition = session.run(nbformat.v4.new_code_cell(code))
                    if _first_error(definition):
                        outcome.setup_error = "variant code failed: " + _first_error(definition)
                    else:
                        for grade_id in test_ids:
                            outcome.scores[grade_id], error, stderr_only = session.score(grade_id)
                            if error:
                                outcome.errors[grade_id] = error
                            if stderr_only:
                                outcome.stderr_only.add(grade_id)
                    session.run(copy.deepcopy(session.cells[function]))  # restore the solution
    if session.socket_dir:
        shutil.rmtree(session.socket_dir, ignore_errors=True)
    return problems, outcomes


def catches_by_cell(outcomes: list[VariantOutcome]) -> dict[str, dict[str, tuple[int, int, int]]]:
    """graded function -> test cell -> (wrong answers it caught, of them the ones no other cell caught, the
    function's wrong answers that ran): which cell does the work. A variant whose code failed counts for no cell."""
    table: dict[str, dict[str, tuple[int, int, int]]] = {}
    by_function: dict[str, list[VariantOutcome]] = {}
    for outcome in outcomes:
        if outcome.kind == "wrong" and not outcome.setup_error and outcome.scores:
            by_function.setdefault(outcome.function, []).append(outcome)
    for function, wrong in by_function.items():
        cells = list(dict.fromkeys(gid for o in wrong for gid in o.scores))
        caught = {o.name: {gid for gid, (score, most) in o.scores.items() if score < most} for o in wrong}
        table[function] = {gid: (sum(gid in c for c in caught.values()), sum(c == {gid} for c in caught.values()),
                                 len(wrong)) for gid in cells}
    return table


def catches_report(outcomes: list[VariantOutcome]) -> list[str]:
    """The lines `make mutants` prints under a notebook: per graded function, what each test cell caught."""
    lines = []
    for function, cells in catches_by_cell(outcomes).items():
        parts = [f"{gid} {caught}/{total}" + (f" ({alone} only here)" if alone else "")
                 for gid, (caught, alone, total) in cells.items()]
        lines.append(f"   {function}: " + ", ".join(parts))
    return lines


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    failed = False
    for assignment in argv:
        problems, outcomes = run_variants(assignment)
        print(f"== {assignment}: solution run {'clean' if not problems else 'HAS PROBLEMS'}")
        for problem in problems:
            print("   solution:", problem)
        for outcome in outcomes:
            print("  ", outcome.describe())
        print("   wrong answers each test cell caught, per graded function:")
        for line in catches_report(outcomes):
            print(line)
        bad = [o for o in outcomes if not o.as_expected]
        by_stderr = [o for o in outcomes if o.kind == "wrong" and o.as_expected and o.caught_by_stderr_only]
        print(f"   {len(outcomes) - len(bad)} of {len(outcomes)} variants as expected"
              + (f"; {len(by_stderr)} wrong answer(s) lost points only to stderr (no assert failed: 'ok: stderr')"
                 if by_stderr else "; every wrong answer failed an assert"))
        failed = failed or bool(problems) or bool(bad)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
