"""The course model: a course folder, one graded submission, one graded cell, and where results live.

Every other grading module imports from here; this module imports none of them.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable

from .paths import SOURCE_DIR, assignments

NO_ANSWER = "no answer given"  # the message of a written answer left as released

GRADED, FAILED, MISSING, NEEDS_REVIEW = "graded", "failed", "missing", "needs review"


@dataclass
class TestOutcome:
    """One autograded (or hand-graded) cell of one submission."""

    grade_id: str
    max_points: float
    points: float | None  # what counts: the manual score where a grader gave one, else the autograder's
    message: str = ""  # what the student may read: an error line, or the instructor's hint for a hidden test
    manual: bool = False  # a written answer (graded by hand)
    auto_points: float | None = None  # what the autograder computed from the executed notebook
    manual_score: float | None = None  # what a grader entered in the formgrader, if anything
    hidden: bool = False  # the cell holds hidden tests: its kernel output is never shown
    comment: str = ""  # a grader's comment on a written answer, from the formgrader (shown in the feedback)
    stopped: str = ""  # the grader's limit that stopped this test cell ("time limit", "output limit"), else ""

    def __post_init__(self) -> None:
        if self.auto_points is None and self.manual_score is None:
            self.auto_points = self.points

    def stopped_word(self) -> str:
        """How a result names a test the grader's limit stopped ("" when none did or it kept its points)."""
        if not self.stopped or self.points is None or self.points >= self.max_points:
            return ""
        return "timed out" if self.stopped == "time limit" else "stopped at the output limit"

    def effective(self) -> float | None:
        return self.manual_score if self.manual_score is not None else self.auto_points


@dataclass
class SubmissionResult:
    """What grading one student's assignment gave."""

    student: str
    assignment: str
    status: str  # GRADED, FAILED (could not be graded), MISSING (nothing to grade), NEEDS_REVIEW (tampering)
    reason: str = ""
    fingerprint: str = ""
    seconds: float = 0.0
    tests: list[TestOutcome] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)  # code a TA should look at (found in the source alone)
    sandboxed: bool = True
    not_rerun: int = 0  # instructor cells left unexecuted: no grade depends on them (see cell_skipping)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per step of grading it (see `make bench`)
    memory_mb: dict[str, float] = field(default_factory=dict)  # peak resident memory of the worker and its kernels
    feedback_of: str = ""  # digest of what the feedback page written by the worker shows (see page_digest)
    unanswered: list[str] = field(default_factory=list)  # answer cells left as released (the gradebook's "No response.")

    def page_digest(self) -> str:
        """What a feedback page shows of this result, as a digest: a page is rewritten when it changes."""
        shown = (self.status, self.reason, [(t.grade_id, t.points, t.message, t.comment) for t in self.tests])
        return hashlib.sha256(repr(shown).encode()).hexdigest()[:16]

    @property
    def points(self) -> float:
        """Points that count: none while the submission needs review."""
        if self.status != GRADED:
            return 0.0
        return sum(t.points or 0.0 for t in self.tests)

    @property
    def pending_manual(self) -> list[str]:
        return [t.grade_id for t in self.tests if t.points is None] if self.status == GRADED else []

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "SubmissionResult":
        data = dict(data)
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
    sandboxed: bool = True
    skip_cells: list[str] = field(default_factory=list)  # sha256 of cells that never answered an interrupt
    skip_unneeded: bool = True  # leave out the instructor cells no grade depends on (see cell_skipping)
    warm_kernel: bool = True  # fork the kernel from the worker's zygote (see warm_kernels), if it has one
    # the feedback page, rendered by the worker: where, the student's id, the written answers' grades so far
    feedback_out: str = ""
    student_name: str = ""
    manual_scores: dict[str, float] = field(default_factory=dict)
    manual_comments: dict[str, str] = field(default_factory=dict)
    intake_note: str = ""

    @property
    def executed_notebook(self) -> Path:
        """Where the worker leaves the executed notebook; its folder is the kernel's working folder,
        laid out as nbgrader's autograded/ (the grader moves it into the course)."""
        return Path(self.work_dir) / "autograded" / self.student / self.assignment / f"{self.assignment}.ipynb"

    @property
    def student_view_file(self) -> Path:
        """Where the worker leaves the notebook the student's feedback page shows (see student_view)."""
        return Path(self.work_dir) / "student_view.ipynb"

    @property
    def progress_file(self) -> Path:
        """Where the worker notes the cell it is running (read when the job outruns its limit)."""
        return Path(self.work_dir + ".progress")

    def without_stuck_cell(self) -> "Job | None":
        """For a job whose kernel never answered an interrupt: once, the same job in a fresh kernel
        without the cell it was running (None if that cell is unknown, or a cell was left out already)."""
        try:
            stuck = self.progress_file.read_text().strip()
        except OSError:
            return None
        if not stuck or stuck in self.skip_cells or len(self.skip_cells) >= 1:
            return None
        return Job(**{**vars(self), "skip_cells": [*self.skip_cells, stuck]})


class Course:
    """An nbgrader course folder: gradebook, source/, submitted/, autograded/, feedback/, reports/."""

    def __init__(self, root: Path, scripts_dir: Path = SOURCE_DIR, submitted_dir: Path | None = None):
        self.root = root.resolve()
        self.scripts_dir = scripts_dir.resolve()
        self.submitted_dir = (submitted_dir or self.root / "submitted").resolve()
        self.state_dir = self.root / ".grading"
        self.synced_sources_file = self.state_dir / "synced_sources.json"  # what the gradebook learnt from what
        self.results_dir = self.state_dir / "results"
        self.reports_dir = self.root / "reports"
        self.feedback_dir = self.root / "feedback"
        self.autograded_dir = self.root / "autograded"

    @property
    def db_url(self) -> str:
        """The gradebook, as nbgrader's `db_url` (see nbgrader_config.GRADEBOOK_URL_FILE)."""
        from .nbgrader_config import gradebook_url

        return gradebook_url(self.root)

    @property
    def gradebook(self) -> Path | None:
        """The gradebook's sqlite file (`gradebook.db` unless the course names another database), or
        None when it is on a database server: nothing may then assume a file."""
        url = self.db_url
        return Path(url[len("sqlite:///"):]) if url.startswith("sqlite:///") else None

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
        try:
            return SubmissionResult.from_json(json.loads(path.read_text()))
        except (ValueError, TypeError):  # written by an older grader, or damaged: regrade
            return None

    def stored_results(self) -> list[SubmissionResult]:
        found = []
        for path in sorted(self.results_dir.glob("*.json")) if self.results_dir.is_dir() else []:
            try:
                found.append(SubmissionResult.from_json(json.loads(path.read_text())))
            except (ValueError, TypeError):
                continue
        return found

    def save_result(self, result: SubmissionResult) -> None:
        """Store a result atomically (a crash leaves the old one or the new one, never half)."""
        self.results_dir.mkdir(parents=True, exist_ok=True)
        path = self.result_path(result.student, result.assignment)
        partial = path.with_suffix(".json.partial")
        partial.write_text(json.dumps(result.to_json(), indent=1))
        os.replace(partial, path)

    def executed_notebook(self, student: str, assignment: str) -> Path:
        return self.autograded_dir / student / assignment / f"{assignment}.ipynb"

    def student_view(self, student: str, assignment: str) -> Path:
        """The notebook a student's feedback page shows (see student_view): never the executed one."""
        return self.state_dir / "student_view" / f"{student}__{assignment}.ipynb"


def feedback_path(course: Course, result: SubmissionResult) -> Path:
    return course.feedback_dir / result.student / result.assignment / f"{result.assignment}.html"


def submission_files(folder: Path) -> list[Path]:
    """A submission's files that count: regular files, no symbolic link, nothing in a checkpoint folder."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink() and ".ipynb_checkpoints" not in p.parts)


def file_digest(paths: Iterable[Path], base: Path) -> str:
    """sha256 over the relative names and bytes of `paths`."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.relative_to(base).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()
