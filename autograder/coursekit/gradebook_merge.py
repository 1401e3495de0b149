"""Graded submissions into the gradebook in batches: one gradebook session per batch.

The formgrader shows a submission from two places: its executed notebook in `autograded/` (copied
by `store_executed_notebook` as soon as the result is in) and its rows in the gradebook (written
here). nbgrader's own `autograde` (with execution off) writes those rows one submission at a time,
opening the gradebook five times and committing every cell: 0.3-0.4 s per submission, serial, which
would cap a class of thousands. `merge_batch` writes the same rows with nbgrader's own tables
(`SubmittedAssignment`, `SubmittedNotebook`, `Grade`, `Comment`) and rules (`SaveAutoGrades`: the
autograder's score, `needs_manual_grade` when there is no autograder score or a grader had scored
the cell before; "No response." on an answer left as released), for a whole batch in one
transaction: milliseconds per submission. A batch that fails is written again one submission at
a time, so a bad entry costs only its own submission.

The gradebook is nbgrader's `db_url` (sqlite by default); nothing here assumes sqlite.
"""
from __future__ import annotations

import shutil
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from .model import Course, SubmissionResult

Key = tuple[str, str]  # (student, assignment)
NO_RESPONSE = "No response."  # nbgrader's auto comment on an answer left as released


@dataclass
class GradebookEntry:
    """The rows one graded submission puts in the gradebook."""

    student: str
    assignment: str
    scores: dict[str, float | None]  # grade_id -> the autograder's score (None: a written answer to grade)
    unanswered: list[str] = field(default_factory=list)  # answer cells left as released

    @property
    def key(self) -> Key:
        return (self.student, self.assignment)


def entry_for(result: SubmissionResult) -> GradebookEntry:
    return GradebookEntry(result.student, result.assignment, {t.grade_id: t.auto_points for t in result.tests},
                          list(result.unanswered))


def store_executed_notebook(course: Course, student: str, assignment: str, executed_folder: Path) -> None:
    """Move a submission's executed folder (the worker's, about to be deleted) where the formgrader reads
    it, replacing an earlier one."""
    target = course.autograded_dir / student / assignment
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(target, ignore_errors=True)
    shutil.move(executed_folder, target)  # a rename on one file system


def _write(db, entries: list[GradebookEntry]) -> None:
    """Add or update the rows of `entries` in an open session (no commit). New submissions are
    inserted as nbgrader's `add_submission` lays them out (a submitted notebook per notebook, a grade
    per grade and task cell, a comment per solution and task cell), in one statement per table."""
    from nbgrader.api import (Assignment, Comment, Grade, Student, SubmittedAssignment, SubmittedNotebook,
                              new_uuid)

    names = {e.assignment for e in entries}
    assignments = {a.name: a for a in db.query(Assignment).filter(Assignment.name.in_(names))}
    ids = {e.student for e in entries}
    known = {row[0] for row in db.query(Student.id).filter(Student.id.in_(ids))}
    existing = {(s.student_id, s.assignment.name): s for s in
                db.query(SubmittedAssignment).join(Assignment).filter(Assignment.name.in_(names),
                                                                      SubmittedAssignment.student_id.in_(ids))}
    rows: dict[type, list[dict]] = {Student: [], SubmittedAssignment: [], SubmittedNotebook: [], Grade: [], Comment: []}
    for entry in entries:
        assignment = assignments.get(entry.assignment)
        if assignment is None:
            raise LookupError(f"the gradebook has no assignment {entry.assignment}")
        if entry.student not in known:
            rows[Student].append({"id": entry.student})
            known.add(entry.student)
        submission = existing.get(entry.key)
        if submission is not None:  # graded before: nbgrader's SaveAutoGrades on the rows it has
            for submitted in submission.notebooks:
                for grade in submitted.grades:
                    if grade.cell.type == "GradeCell":
                        grade.auto_score = entry.scores.get(grade.cell.name)
                        grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None
                for comment in submitted.comments:
                    comment.auto_comment = NO_RESPONSE if comment.cell.name in entry.unanswered else None
            continue
        submission_id = new_uuid()
        rows[SubmittedAssignment].append({"id": submission_id, "assignment_id": assignment.id,
                                          "student_id": entry.student})
        for notebook in assignment.notebooks:
            notebook_id = new_uuid()
            rows[SubmittedNotebook].append({"id": notebook_id, "assignment_id": submission_id,
                                            "notebook_id": notebook.id, "flagged": False})
            for cell in notebook.grade_cells:
                score = entry.scores.get(cell.name)
                rows[Grade].append({"id": new_uuid(), "notebook_id": notebook_id, "cell_id": cell.id,
                                    "auto_score": score, "needs_manual_grade": score is None})
            for cell in notebook.task_cells:
                rows[Grade].append({"id": new_uuid(), "notebook_id": notebook_id, "cell_id": cell.id,
                                    "needs_manual_grade": True})
            for cell in [*notebook.solution_cells, *notebook.task_cells]:
                rows[Comment].append({"id": new_uuid(), "notebook_id": notebook_id, "cell_id": cell.id,
                                      "auto_comment": NO_RESPONSE if cell.name in entry.unanswered else None})
    for table, values in rows.items():
        if values:
            db.execute(table.__table__.insert(), values)


def merge_batch(course: Course, entries: list[GradebookEntry]) -> dict[Key, str]:
    """Write every entry's rows; return the entries that could not be written, with why."""
    from nbgrader.api import Gradebook

    if not entries:
        return {}
    with warnings.catch_warnings():  # nbgrader's SQLAlchemy use warns on some versions; harmless
        warnings.simplefilter("ignore")
        with Gradebook(course.db_url) as gradebook:
            try:
                _write(gradebook.db, entries)
                gradebook.db.commit()
                return {}
            except Exception:  # noqa: BLE001 - one bad entry must not cost the batch: one at a time
                gradebook.db.rollback()
            failed = {}
            for entry in entries:
                try:
                    _write(gradebook.db, [entry])
                    gradebook.db.commit()
                except Exception as error:  # noqa: BLE001
                    gradebook.db.rollback()
                    first_line = (str(error).splitlines() or [""])[0][:200]
                    failed[entry.key] = f"{type(error).__name__}: {first_line}"
            return failed


class BatchedMerge:
    """Collects entries as results come in; writes them when `size` are waiting or `max_wait_s` passed."""

    def __init__(self, course: Course, size: int = 100, max_wait_s: float = 10.0):
        self.course, self.size, self.max_wait_s = course, size, max_wait_s
        self.waiting: list[GradebookEntry] = []
        self.since = 0.0
        self.seconds = 0.0  # spent writing, in all

    def add(self, entry: GradebookEntry) -> dict[Key, str]:
        if not self.waiting:
            self.since = time.monotonic()
        self.waiting.append(entry)
        if len(self.waiting) >= self.size or time.monotonic() - self.since >= self.max_wait_s:
            return self.flush()
        return {}

    def flush(self) -> dict[Key, str]:
        batch, self.waiting = self.waiting, []
        started = time.monotonic()
        failed = merge_batch(self.course, batch)
        self.seconds += time.monotonic() - started
        return failed
