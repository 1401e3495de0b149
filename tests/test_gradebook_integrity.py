"""The gradebook is the grader's alone: it is restored from the stored results when tampered with,
rebuilt when deleted or damaged, manual grades of written answers survive, and a manual score on an
autograded test (a way to forge points through the gradebook) is reported and not counted.
Also: without a working sandbox, `make grade` refuses unless told UNSAFE=1, and then says so."""
from __future__ import annotations

import csv
import sqlite3

import pytest
from nbgrader.api import Gradebook
from nbgrader.utils import is_grade, is_solution

from coursekit.example_class import expected_autograde_points, fill, solution_sources
from coursekit.gradebook import GradingError
from coursekit.grading import grade_class
from coursekit.model import Course
from coursekit.paths import assignments, source_script
from coursekit.releases import student_notebook
from coursekit.reports import summary_lines
from coursekit.sandbox import ENV_BWRAP
from coursekit.sources import notebook_from_script, write_notebook

from conftest import GRADING_CELL_TIMEOUT_S, results_by_key

ASSIGNMENT = assignments()[-1]


def _cells(kind):
    nb = notebook_from_script(source_script(ASSIGNMENT))
    return [c.metadata["nbgrader"]["grade_id"] for c in nb.cells
            if is_grade(c) and (is_solution(c) if kind == "written" else not is_solution(c))]


def _grade(course, **kwargs):
    return grade_class(course, jobs=2, cell_timeout_s=GRADING_CELL_TIMEOUT_S, progress=False, **kwargs)


def _gradebook_scores(course) -> dict[tuple[str, str], tuple[float | None, float | None]]:
    with Gradebook(course.config().CourseDirectory.db_url) as gradebook:
        return {(student, grade_id): (grade.auto_score, grade.manual_score)
                for student in ("complete", "blank") for grade_id in _cells("auto") + _cells("written")
                for grade in [gradebook.find_grade(grade_id, ASSIGNMENT, ASSIGNMENT, student)]}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = Course(tmp_path_factory.mktemp("gradebook") / "course")
    release = student_notebook(ASSIGNMENT)
    solutions = solution_sources(ASSIGNMENT)
    write_notebook(fill(release, solutions, set(solutions)), course.submitted_dir / "complete" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    write_notebook(release, course.submitted_dir / "blank" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    _grade(course, force=True)
    return course


def _points(run, student):
    return results_by_key(run)[(student, ASSIGNMENT)].points


def test_tampered_scores_are_restored_from_the_stored_results(course):
    honest = _gradebook_scores(course)
    full = expected_autograde_points(ASSIGNMENT, "complete")
    with sqlite3.connect(course.gradebook) as db:  # what a kernel with the grader's rights could do
        db.execute("UPDATE grade SET auto_score = 999")
        db.commit()
    with Gradebook(course.config().CourseDirectory.db_url) as gradebook:  # and forge points as a "manual grade"
        for grade_id in _cells("auto"):
            gradebook.find_grade(grade_id, ASSIGNMENT, ASSIGNMENT, "blank").manual_score = 30
        gradebook.db.commit()
    run = _grade(course)
    assert run.regraded == 0, "nothing was resubmitted: nothing is executed again"
    assert _points(run, "complete") == full and _points(run, "blank") == 0
    assert _gradebook_scores(course) == honest, "the gradebook must say exactly what the grader computed"
    notes = " ".join(run.notes)
    assert "restored from the stored results" in notes and "not counted" in notes, run.notes
    rows = {row["student"]: row for row in csv.DictReader(open(course.reports_dir / "grades.csv"))}
    assert float(rows["blank"]["total"]) == 0 and float(rows["complete"]["total"]) == full


def test_force_rebuilds_a_deleted_gradebook_and_manual_grades_survive(course):
    written = _cells("written")
    if not written:
        pytest.skip("no written answers in this notebook")
    with Gradebook(course.config().CourseDirectory.db_url) as gradebook:  # a TA grades a written answer
        gradebook.find_grade(written[0], ASSIGNMENT, ASSIGNMENT, "complete").manual_score = 1.0
        gradebook.db.commit()
    before = _grade(course)
    with_manual = _points(before, "complete")
    assert with_manual == expected_autograde_points(ASSIGNMENT, "complete") + 1.0
    course.gradebook.unlink()
    run = _grade(course, force=True)
    assert "the gradebook was missing" in " ".join(run.notes), run.notes
    assert _points(run, "complete") == with_manual, "the manual grade must survive a rebuilt gradebook"
    scores = _gradebook_scores(course)
    assert scores[("complete", written[0])][1] == 1.0


def test_a_damaged_gradebook_is_set_aside_and_rebuilt_without_regrading(course):
    expected = {s: _points(_grade(course), s) for s in ("complete", "blank")}
    course.gradebook.write_bytes(b"this is not a database" * 100)
    run = _grade(course)
    assert "could not be read" in " ".join(run.notes) and "set aside" in " ".join(run.notes), run.notes
    assert {s: _points(run, s) for s in expected} == expected
    assert run.regraded == 0, "the executed notebooks were kept: no notebook is executed again"
    assert list(course.root.glob("gradebook.damaged-*.db")), "the damaged file is kept for the TA"


def test_a_resubmission_that_cannot_be_graded_takes_the_earlier_one_out_of_the_gradebook(course):
    """The formgrader must not show (nor a grader mark) a notebook the reports no longer count."""
    target = course.submitted_dir / "complete" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    original = target.read_bytes()
    try:
        target.write_text('{"cells": [')  # a broken upload replaces a graded notebook
        run = _grade(course)
        assert results_by_key(run)[("complete", ASSIGNMENT)].status == "failed"
        assert "taken out of the gradebook" in " ".join(run.notes), run.notes
        with Gradebook(course.config().CourseDirectory.db_url) as gradebook:
            held = {(s.student.id, s.assignment.name) for s in gradebook.assignment_submissions(ASSIGNMENT)}
        assert ("complete", ASSIGNMENT) not in held and ("blank", ASSIGNMENT) in held
    finally:
        target.write_bytes(original)
    again = _grade(course)
    assert _points(again, "complete") >= expected_autograde_points(ASSIGNMENT, "complete")
    with Gradebook(course.config().CourseDirectory.db_url) as gradebook:
        assert gradebook.find_submission(ASSIGNMENT, "complete") is not None


def test_without_a_sandbox_grading_is_refused_unless_unsafe(tmp_path, monkeypatch):
    course = Course(tmp_path / "course")
    release = student_notebook(ASSIGNMENT)
    solutions = solution_sources(ASSIGNMENT)
    write_notebook(fill(release, solutions, set(solutions)), course.submitted_dir / "ann" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    monkeypatch.setenv(ENV_BWRAP, str(tmp_path / "no-such-bwrap"))
    with pytest.raises(GradingError, match="UNSAFE=1"):
        _grade(course)
    run = _grade(course, unsafe=True)
    assert _points(run, "ann") == expected_autograde_points(ASSIGNMENT, "complete")
    assert "UNSANDBOXED" in run.sandbox and any("UNSANDBOXED" in line for line in summary_lines(course, run))
    row = next(csv.DictReader(open(course.reports_dir / "grades.csv")))
    assert "WITHOUT the sandbox" in row["notes"]
