"""Grade a class in parallel around nbgrader's single-writer sqlite gradebook.

nbgrader's `autograde` does three things per submission: sanitise it (restore locked cells from
the gradebook), execute it, and save the scores to the gradebook. Only the last one writes to
sqlite, and execution is where the time goes. So:

1. **Sync** (serial): the course gradebook learns the current source of each assignment.
2. **Execute** (parallel, `jobs` worker processes): each submission is copied into a private
   nbgrader course with its own copy of the gradebook and autograded there by nbgrader itself;
   kernels talk over IPC sockets under a per-worker path, so no two kernels race for a TCP port.
   A worker that overruns its wall-clock limit (a cell that swallows the interrupt) is killed
   with its kernels and the submission is reported as failed, not the run.
3. **Merge** (serial, in this process): nbgrader's `autograde` runs once more on the *executed*
   notebook against the course gradebook with execution switched off, which stores the scores.

The submitted folder is only read (every job works on a copy). A fingerprint of each submission
and of the assignment's source decides what a re-run must regrade.
"""
from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import os
import shutil
import signal
import tempfile
import time
import traceback
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import nbformat

from .paths import DATA_DIR, SOURCE_DIR, assignments

GRADER_VERSION = "1"  # bump when a change to grading must invalidate earlier results
NO_ANSWER = "no answer given"  # the message of a written answer left as released


# ---------------------------------------------------------------------------- data types
@dataclass
class TestOutcome:
    """One autograded (or hand-graded) cell of one submission."""

    grade_id: str
    max_points: float
    points: float | None  # None: waiting for a manual grade
    message: str = ""  # first line of the error, or why the points are missing
    manual: bool = False


@dataclass
class SubmissionResult:
    """What grading one student's assignment gave."""

    student: str
    assignment: str
    status: str  # "graded", "failed" (could not be graded), "missing" (nothing to grade)
    reason: str = ""
    fingerprint: str = ""
    seconds: float = 0.0
    tests: list[TestOutcome] = field(default_factory=list)

    @property
    def points(self) -> float:
        return sum(t.points or 0.0 for t in self.tests)

    @property
    def pending_manual(self) -> list[str]:
        return [t.grade_id for t in self.tests if t.points is None]

    @classmethod
    def from_json(cls, data: dict) -> "SubmissionResult":
        tests = [TestOutcome(**t) for t in data.pop("tests", [])]
        return cls(**data, tests=tests)


@dataclass
class Job:
    """Everything a worker needs to execute one submission (plain data: it crosses processes)."""

    student: str
    assignment: str
    submission_dir: str
    source_notebook: str
    gradebook_snapshot: str
    work_dir: str
    wall_limit_s: float
    cell_timeout_s: int


# ---------------------------------------------------------------------------- the course
class Course:
    """An nbgrader course folder: gradebook, source/, submitted/, autograded/, feedback/, reports/."""

    def __init__(self, root: Path, scripts_dir: Path = SOURCE_DIR, submitted_dir: Path | None = None):
        self.root = root.resolve()
        self.scripts_dir = scripts_dir.resolve()
        self.submitted_dir = (submitted_dir or self.root / "submitted").resolve()
        self.state_dir = self.root / ".grading"
        self.results_dir = self.state_dir / "results"
        self.reports_dir = self.root / "reports"
        self.feedback_dir = self.root / "feedback"
        self.autograded_dir = self.root / "autograded"
        self.gradebook = self.root / "gradebook.db"

    def assignments(self) -> list[str]:
        return assignments(self.scripts_dir)

    def source_notebook(self, assignment: str) -> Path:
        return self.root / "source" / assignment / f"{assignment}.ipynb"

    def config(self, **kwargs):
        from .nbgrader_config import course_config

        return course_config(self.root, **kwargs)

    def result_path(self, student: str, assignment: str) -> Path:
        return self.results_dir / f"{student}__{assignment}.json"

    def load_result(self, student: str, assignment: str) -> SubmissionResult | None:
        path = self.result_path(student, assignment)
        if not path.exists():
            return None
        return SubmissionResult.from_json(json.loads(path.read_text()))

    def save_result(self, result: SubmissionResult) -> None:
        self.results_dir.mkdir(parents=True, exist_ok=True)
        self.result_path(result.student, result.assignment).write_text(json.dumps(asdict(result), indent=1))


def file_digest(paths: Iterable[Path], base: Path) -> str:
    """sha256 over the relative names and bytes of `paths`."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.relative_to(base).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


# ---------------------------------------------------------------------------- 1. sync
class GradingError(RuntimeError):
    """The course itself (not one submission) cannot be graded."""


def sync_assignments(course: Course) -> dict[str, str]:
    """Make the gradebook know the current source of every assignment; return source digests.

    `generate_assignment` runs only for an assignment whose source changed since the last sync,
    writing its release into the course's git-ignored release/ (the student release in
    notebooks/ is made elsewhere and never from a gradebook that holds submissions).
    """
    from nbgrader.apps.api import NbGraderAPI

    from .sources import notebook_from_script, write_notebook

    course.state_dir.mkdir(parents=True, exist_ok=True)
    synced_file = course.state_dir / "synced_sources.json"
    synced = json.loads(synced_file.read_text()) if synced_file.exists() else {}
    digests = {}
    for assignment in course.assignments():
        notebook = notebook_from_script(course.scripts_dir / assignment / f"{assignment}.py")
        write_notebook(notebook, course.source_notebook(assignment))
        digests[assignment] = file_digest([course.source_notebook(assignment)], course.root)
        if synced.get(assignment) == digests[assignment] and course.gradebook.exists():
            continue
        result = NbGraderAPI(config=course.config()).generate_assignment(assignment, force=True, create=True)
        if not result["success"]:
            raise GradingError(
                f"nbgrader could not register {assignment} in {course.gradebook}; if its graded cells "
                f"changed after students were graded, grade in a fresh course folder.\n{result.get('log', '')[-2000:]}")
        synced[assignment] = digests[assignment]
        synced_file.write_text(json.dumps(synced, indent=1, sort_keys=True))
    return digests


# ---------------------------------------------------------------------------- 2. discover
def find_submissions(course: Course) -> tuple[list[tuple[str, str]], list[SubmissionResult]]:
    """(student, assignment) pairs to grade, and results for what cannot be graded at all."""
    known = set(course.assignments())
    pairs, unusable = [], []
    if not course.submitted_dir.is_dir():
        return pairs, unusable
    for student_dir in sorted(p for p in course.submitted_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
        student = student_dir.name
        folders = {p.name for p in student_dir.iterdir() if p.is_dir() and not p.name.startswith(".")}
        for unknown in sorted(folders - known):
            unusable.append(SubmissionResult(student, unknown, "failed",
                                             f"folder {unknown!r} is not an assignment of this course "
                                             f"(expected one of {', '.join(sorted(known))})"))
        for assignment in sorted(known):
            if assignment in folders:
                pairs.append((student, assignment))
            else:
                unusable.append(SubmissionResult(student, assignment, "missing", "no submission"))
    return pairs, unusable


def submission_fingerprint(course: Course, student: str, assignment: str, source_digest: str) -> str:
    folder = course.submitted_dir / student / assignment
    files = [p for p in folder.rglob("*") if p.is_file() and ".ipynb_checkpoints" not in p.parts]
    return hashlib.sha256(f"{GRADER_VERSION}|{source_digest}|{file_digest(files, folder)}".encode()).hexdigest()


def precheck(course: Course, student: str, assignment: str) -> str:
    """Why this submission cannot be executed at all ('' if it can)."""
    folder = course.submitted_dir / student / assignment
    expected = folder / f"{assignment}.ipynb"
    if not expected.exists():
        others = sorted(p.name for p in folder.glob("*.ipynb"))
        found = f"found {', '.join(others)} instead" if others else "the folder holds no notebook"
        return f"missing notebook {assignment}.ipynb ({found}); rename it and resubmit"
    try:
        with warnings.catch_warnings():  # duplicate cell ids: repaired before grading
            warnings.simplefilter("ignore")
            nbformat.reads(expected.read_text(encoding="utf-8"), as_version=4)
    except Exception as error:  # corrupt JSON, not a notebook, wrong encoding, ...
        if type(error).__name__ == "NotJSONError" or isinstance(error, (ValueError, UnicodeDecodeError)):
            why = "it is not valid JSON: the file is damaged or truncated"
        else:
            why = f"{type(error).__name__}: {str(error).strip().splitlines()[0][:150] if str(error).strip() else ''}"
        return f"{assignment}.ipynb is not a readable notebook ({why}); re-download and resubmit it"
    return ""


# ---------------------------------------------------------------------------- 3. execute
def _read_outcomes(notebook_path: Path, source_path: Path) -> list[TestOutcome]:
    """Score every grade cell of an executed notebook as nbgrader does, with its error line."""
    from nbgrader.utils import determine_grade, is_grade

    nb = nbformat.read(notebook_path, as_version=4)
    by_id = {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells if is_grade(c)}
    source = nbformat.read(source_path, as_version=4)
    outcomes = []
    for source_cell in (c for c in source.cells if is_grade(c)):
        grade_id = source_cell.metadata["nbgrader"]["grade_id"]
        max_points = float(source_cell.metadata["nbgrader"]["points"])
        cell = by_id.get(grade_id)
        manual = source_cell.metadata["nbgrader"].get("solution", False)
        if cell is None:
            outcomes.append(TestOutcome(grade_id, max_points, 0.0, "answer cell missing", manual))
            continue
        points, _ = determine_grade(cell)
        message = NO_ANSWER if manual and points == 0 else error_line(cell)  # nbgrader: unchanged answer = 0
        outcomes.append(TestOutcome(grade_id, max_points, points, message, manual))
    return outcomes


def error_line(cell) -> str:
    """The first line of a cell's error (or stderr), which feedback may show; never code."""
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            value = (output.get("evalue") or "").strip().splitlines()
            return f"{output.ename}: {value[0] if value else ''}".strip().rstrip(":")[:500]
        if output.output_type == "stream" and output.name == "stderr":
            text = output.text.strip().splitlines()
            return "wrote to stderr (tests must run silently): " + (text[0][:300] if text else "")
    return ""


def _summarise_failure(log: str) -> str:
    """A one-line reason from nbgrader's captured log."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    for needle, reason in (("DeadKernelError", "the kernel died while running the notebook"),
                           ("Kernel died", "the kernel died while running the notebook"),
                           ("CellTimeoutError", "a cell did not finish within the time limit"),
                           ("TimeoutError", "a cell did not finish within the time limit")):
        if any(needle in line for line in lines):
            return reason
    errors = [line for line in lines if "Error" in line or "error" in line]
    return (errors[-1] if errors else (lines[-1] if lines else "unknown error"))[:300]


def repair_duplicates(path: Path) -> str:
    """Make a copied submission safe for nbgrader; return a note for the student ('' if untouched).

    A copied cell keeps its grade_id and cell id. nbgrader's DeduplicateIds then leaves an empty
    `nbgrader` entry that crashes OverwriteCells, so later copies become ordinary cells here.
    """
    nb = json.loads(path.read_text(encoding="utf-8"))
    seen_grade_ids, seen_ids, dropped = set(), set(), []
    for index, cell in enumerate(nb.get("cells", [])):
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in seen_grade_ids:
            del cell["metadata"]["nbgrader"]
            dropped.append(grade_id)
        elif grade_id:
            seen_grade_ids.add(grade_id)
        if "id" in cell:
            while cell["id"] in seen_ids:
                cell["id"] = f"{cell['id'][:50]}-copy{index}"
            seen_ids.add(cell["id"])
    if not dropped:
        return ""
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return f"copies of graded cells ignored: {', '.join(sorted(set(dropped)))}"


def execute_job(job: Job) -> SubmissionResult:
    """Autograde one submission in a private course (runs inside a worker process)."""
    from nbgrader.apps.api import NbGraderAPI

    from .nbgrader_config import course_config

    started = time.monotonic()
    work = Path(job.work_dir)
    shutil.rmtree(work, ignore_errors=True)
    (work / "source" / job.assignment).mkdir(parents=True)
    shutil.copy(job.source_notebook, work / "source" / job.assignment / f"{job.assignment}.ipynb")
    shutil.copy(job.gradebook_snapshot, work / "gradebook.db")
    shutil.copytree(job.submission_dir, work / "submitted" / job.student / job.assignment,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    note = repair_duplicates(work / "submitted" / job.student / job.assignment / f"{job.assignment}.ipynb")
    ipc_dir = tempfile.mkdtemp(prefix="fmk-")  # short absolute path: unix sockets allow ~100 bytes
    config = course_config(work, ipc_prefix=Path(ipc_dir) / "k")
    config.Execute.timeout = job.cell_timeout_s
    result = NbGraderAPI(config=config).autograde(job.assignment, job.student, force=True, create=True)
    shutil.rmtree(ipc_dir, ignore_errors=True)
    outcome = SubmissionResult(job.student, job.assignment, "graded", reason=note)
    executed = work / "autograded" / job.student / job.assignment / f"{job.assignment}.ipynb"
    if not result["success"] or not executed.exists():
        outcome.status = "failed"
        outcome.reason = _summarise_failure(result.get("log", "") + "\n" + (result.get("error") or ""))
    else:
        outcome.tests = _read_outcomes(executed, Path(job.source_notebook))
    outcome.seconds = round(time.monotonic() - started, 2)
    return outcome


def _worker_main(conn) -> None:
    """A worker process: import nbgrader once, then execute jobs until told to stop."""
    os.setpgrp()  # its kernels join this process group, so a stuck job can be killed whole
    warnings.simplefilter("ignore")  # nbgrader's SQLAlchemy use warns on every submission; harmless
    # the kernels inherit this environment
    os.environ.setdefault("COURSE_DATA_DIR", str(DATA_DIR))
    os.environ["OMP_NUM_THREADS"] = "1"  # same numbers serial or parallel, no oversubscription
    os.environ["MKL_NUM_THREADS"] = "1"
    os.environ["PYTHONWARNINGS"] = "ignore"  # a library warning in a test cell would cost points
    os.environ["MPLBACKEND"] = "Agg"

    while True:
        job = conn.recv()
        if job is None:
            return
        try:
            result = execute_job(Job(**job))
        except Exception as error:  # a bug or a broken submission must not take the run down
            result = SubmissionResult(job["student"], job["assignment"], "failed",
                                      f"grader error: {type(error).__name__}: {error}"[:300])
            result.reason += " | " + traceback.format_exc().strip().splitlines()[-1][:200]
        conn.send(asdict(result))


class WorkerPool:
    """`size` worker processes, each running one job at a time; stuck workers are replaced."""

    def __init__(self, size: int):
        # fork: workers inherit the imported nbgrader instead of paying seconds of imports each;
        # the pool starts before any thread (tqdm's monitor) exists in this process.
        self.context = mp.get_context("fork")
        self.size = max(1, size)
        self.workers: list[tuple[mp.Process, object]] = [self._start() for _ in range(self.size)]

    def _start(self):
        parent, child = self.context.Pipe()
        process = self.context.Process(target=_worker_main, args=(child,), daemon=True)
        process.start()
        return process, parent

    def run(self, jobs: list[Job], on_result: Callable[[SubmissionResult], None]) -> None:
        pending = list(jobs)
        busy: dict[int, tuple[Job, float]] = {}
        while pending or busy:
            for slot in range(self.size):
                if slot not in busy and pending:
                    job = pending.pop(0)
                    self.workers[slot][1].send(asdict(job))
                    busy[slot] = (job, time.monotonic())
            for slot, (job, started) in list(busy.items()):
                process, conn = self.workers[slot]
                if conn.poll(0.05):
                    try:
                        on_result(SubmissionResult.from_json(conn.recv()))
                    except (EOFError, OSError):
                        on_result(SubmissionResult(job.student, job.assignment, "failed", "the grading worker crashed"))
                        self._replace(slot)
                    del busy[slot]
                elif not process.is_alive() or time.monotonic() - started > job.wall_limit_s:
                    reason = (f"grading did not finish within {job.wall_limit_s:.0f} s (a cell ignored the "
                              "interrupt at its time limit)") if process.is_alive() else "the grading worker crashed"
                    self._replace(slot)
                    on_result(SubmissionResult(job.student, job.assignment, "failed", reason,
                                               seconds=round(time.monotonic() - started, 2)))
                    del busy[slot]

    def _replace(self, slot: int) -> None:
        process, conn = self.workers[slot]
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        process.join(5)
        self.workers[slot] = self._start()

    def close(self) -> None:
        for process, conn in self.workers:
            try:
                conn.send(None)
            except (BrokenPipeError, OSError):
                pass
        for process, _ in self.workers:
            process.join(10)
            if process.is_alive():
                os.killpg(process.pid, signal.SIGKILL)


# ---------------------------------------------------------------------------- 4. merge
def merge_into_gradebook(course: Course, job: Job) -> str:
    """Store an executed submission's scores in the course gradebook (serial); '' or the error."""
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, LimitOutput,
                                        SaveAutoGrades)

    config = course.config()
    config.CourseDirectory.submitted_directory = str(Path(job.work_dir) / "autograded")
    config.Autograde.sanitize_preprocessors = [CheckCellMetadata]  # sanitised in the private course
    config.Autograde.autograde_preprocessors = [LimitOutput, SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]
    with warnings.catch_warnings():  # nbgrader's SQLAlchemy use warns on every regrade; harmless
        warnings.simplefilter("ignore")
        result = NbGraderAPI(config=config).autograde(job.assignment, job.student, force=True, create=True)
    return "" if result["success"] else _summarise_failure(result.get("log", ""))


def scores_from_gradebook(course: Course, student: str, assignment: str) -> dict[str, tuple[float | None, bool]]:
    """grade_id -> (score, needs manual grade and has none yet), manual grades included."""
    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook(course.config().CourseDirectory.db_url) as gradebook:
        submission = gradebook.find_submission(assignment, student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                pending = grade.needs_manual_grade and grade.manual_score is None
                scores[grade.cell.name] = (None if pending else grade.score, pending)
    return scores


# ---------------------------------------------------------------------------- the whole run
@dataclass
class GradeRun:
    results: list[SubmissionResult]
    regraded: int
    reused: int
    seconds: float


def wall_limit(cell_timeout_s: int) -> float:
    """Seconds one notebook may take in all: a few cells at their limit plus kernel start-up."""
    return 30.0 + 4 * cell_timeout_s


def grade_class(course: Course, jobs: int | None = None, force: bool = False, cell_timeout_s: int | None = None,
                progress: bool = True) -> GradeRun:
    """Autograde every submission under course.submitted_dir; write feedback and reports."""
    from tqdm import tqdm

    from .feedback import write_feedback
    from .nbgrader_config import CELL_TIMEOUT_S
    from .reports import write_reports

    started = time.monotonic()
    jobs = jobs or os.cpu_count() or 1
    cell_timeout_s = cell_timeout_s or CELL_TIMEOUT_S
    digests = sync_assignments(course)
    pairs, results = find_submissions(course)
    snapshot = course.state_dir / "gradebook-snapshot.db"
    shutil.copy(course.gradebook, snapshot)  # workers read locked cells from copies of this

    todo: list[Job] = []
    fingerprints: dict[tuple[str, str], str] = {}
    reused: set[tuple[str, str]] = set()
    for student, assignment in pairs:
        fingerprint = submission_fingerprint(course, student, assignment, digests[assignment])
        fingerprints[(student, assignment)] = fingerprint
        previous = course.load_result(student, assignment)
        if not force and previous is not None and previous.fingerprint == fingerprint:
            results.append(previous)
            reused.add((student, assignment))
            continue
        reason = precheck(course, student, assignment)
        if reason:
            result = SubmissionResult(student, assignment, "failed", reason, fingerprint)
            course.save_result(result)
            results.append(result)
            continue
        todo.append(Job(student, assignment, str(course.submitted_dir / student / assignment),
                        str(course.source_notebook(assignment)), str(snapshot),
                        str(course.state_dir / "work" / f"{student}__{assignment}"),
                        wall_limit_s=wall_limit(cell_timeout_s), cell_timeout_s=cell_timeout_s))

    by_key = {(job.student, job.assignment): job for job in todo}
    fresh = {(r.student, r.assignment) for r in results} - reused  # their feedback must be (re)written

    def finish(result: SubmissionResult) -> None:
        job = by_key[(result.student, result.assignment)]
        result.fingerprint = fingerprints[(result.student, result.assignment)]
        if result.status == "graded":
            merge_error = merge_into_gradebook(course, job)
            if merge_error:
                result.status, result.reason, result.tests = "failed", f"could not save grades: {merge_error}", []
        course.save_result(result)
        results.append(result)
        fresh.add((result.student, result.assignment))
        shutil.rmtree(job.work_dir, ignore_errors=True)
        bar.set_postfix_str(f"last: {result.student}/{result.assignment} {result.status}")
        bar.update(1)

    if todo:
        pool = WorkerPool(min(jobs, len(todo)))  # before tqdm starts its monitor thread: workers are forked
        bar = tqdm(total=len(todo), desc="grading", unit="notebook", disable=not progress,
                   bar_format="{desc}: {n}/{total} |{bar:20}| {elapsed} elapsed, ETA {remaining} {postfix}")
        try:
            pool.run(todo, finish)
        finally:
            pool.close()
            bar.close()

    # manual grades entered in the formgrader since the last run
    for result in results:
        if result.status == "graded" and refresh_manual_scores(course, result):
            course.save_result(result)
            fresh.add((result.student, result.assignment))
    results.sort(key=lambda r: (r.student, r.assignment))
    stale = [r for r in results if (r.student, r.assignment) in fresh or not feedback_path(course, r).exists()]
    write_feedback(course, stale)
    write_reports(course, results)
    return GradeRun(results, len(todo), len(reused), round(time.monotonic() - started, 1))


def refresh_manual_scores(course: Course, result: SubmissionResult) -> bool:
    """Take the gradebook's view of each cell (autograder scores plus manual grades); True if it changed."""
    try:
        scores = scores_from_gradebook(course, result.student, result.assignment)
    except Exception:  # not in the gradebook (e.g. an older result): keep what we have
        return False
    changed = False
    for test in result.tests:
        if test.grade_id in scores:
            score, pending = scores[test.grade_id]
            points = None if pending else float(score)
            changed = changed or points != test.points
            test.points = points
    return changed


def feedback_path(course: Course, result: SubmissionResult) -> Path:
    return course.feedback_dir / result.student / result.assignment / f"{result.assignment}.html"


__all__ = ["Course", "grade_class", "GradeRun", "SubmissionResult", "TestOutcome"]
