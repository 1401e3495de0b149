"""The course gradebook (nbgrader's, at its `db_url`): the grader writes it, and only from its results.

- the sources are made and registered by `source_registration`.
- graded submissions go in by batches (see `gradebook_merge`).
- `read_manual_grades`: what graders entered in the formgrader. Only written answers count:
  points of autograded tests come from the autograder alone, so a manual score on a test cell
  (a way to forge a grade through the gradebook) is reported and ignored.
- `restore_scores`: makes the gradebook say exactly what the stored results say (autograder
  scores, and the manual scores read when the run started; no submission that is failed or under
  review); a damaged or missing gradebook is set aside and rebuilt from the stored results by
  `ensure_gradebook`.
"""
from __future__ import annotations

import shutil
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from .model import FAILED, GRADED, NEEDS_REVIEW, Course, SubmissionResult
from .nbgrader_config import GRADEBOOK_URL_FILE


class GradingError(RuntimeError):
    """The course itself (not one submission) cannot be graded."""


def open_gradebook(course: Course):
    from nbgrader.api import Gradebook

    _create_if_new(course.db_url)
    return Gradebook(course.db_url)


def _create_schema(engine, version: str) -> None:
    """nbgrader's tables and the alembic version it stamps, in an empty database."""
    from nbgrader.api import Base
    from sqlalchemy import text

    Base.metadata.create_all(engine)
    with engine.begin() as write:
        write.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        write.execute(text("INSERT INTO alembic_version (version_num) VALUES (:version)"), {"version": version})


def _create_if_new(db_url: str) -> None:
    """Make a new gradebook's tables as nbgrader's `Gradebook` would, but ask alembic's API in this
    process for the schema's version, not the `alembic` executable (a new Python process: 3 s for
    every new course); tests/test_gradebook_location.py checks both give the same database."""
    import nbgrader
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine, inspect

    engine = create_engine(db_url)
    try:
        if not inspect(engine).get_table_names():
            _create_schema(engine, ScriptDirectory(str(Path(nbgrader.__file__).parent / "alembic")).get_current_head())
    finally:
        engine.dispose()


def gradebook_location(course: Course) -> str:
    """Where the gradebook is, to tell a TA (a database server's password left out)."""
    if course.gradebook is not None:
        return str(course.gradebook)
    from sqlalchemy.engine import make_url

    return make_url(course.db_url).render_as_string(hide_password=True)


ASSIGNMENT_TABLES = ("course", "assignment", "notebook", "base_cell", "source_cell", "grade_cells", "solution_cells",
                     "task_cells")
"""nbgrader's tables that describe the assignments; the others hold students and their grades."""


def write_assignments_snapshot(course: Course, path: Path) -> Path:
    """A new sqlite gradebook at `path` with the course's assignments and their cells, and nothing of
    any student: what a worker's nbgrader preprocessors read (locked cells, checksums, points), whatever
    database the course's own gradebook is in, small enough to send to a cluster with every task.
    Its tables are made here, not by nbgrader's `Gradebook`, which asks the `alembic` executable for
    the schema's version (3 s: see `_create_if_new`); the version is the course gradebook's own."""
    from nbgrader.api import Base
    from sqlalchemy import create_engine, text

    path.unlink(missing_ok=True)
    source, snapshot = create_engine(course.db_url), create_engine(f"sqlite:///{path}")
    try:
        with source.connect() as read:
            _create_schema(snapshot, read.execute(text("SELECT version_num FROM alembic_version")).scalar_one())
        with source.connect() as read, snapshot.begin() as write:
            for table in Base.metadata.sorted_tables:
                if table.name in ASSIGNMENT_TABLES:
                    rows = [dict(row) for row in read.execute(table.select()).mappings()]
                    if rows:
                        write.execute(table.insert(), rows)
    finally:
        source.dispose()
        snapshot.dispose()
    return path


def gradebook_problem(course: Course) -> str:
    """'' if the gradebook can be read, else what is wrong with it."""
    if course.gradebook is not None and not course.gradebook.exists():
        return "the gradebook was missing"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with open_gradebook(course) as gradebook:
                gradebook.assignments
                for student in gradebook.students:
                    student.id
    except Exception as error:
        return f"the gradebook could not be read ({type(error).__name__})"
    return ""


def ensure_gradebook(course: Course) -> str:
    """Set a damaged gradebook aside (it is never deleted); return what was done ('' if nothing)."""
    problem = gradebook_problem(course)
    if not problem:
        return ""
    if course.gradebook is None:  # a database server: not ours to set aside
        raise GradingError(f"{problem[:1].upper()}{problem[1:]} at {gradebook_location(course)}: repair the database "
                           f"(the grader sets aside and rebuilds only a sqlite file of its own), or name another in "
                           f"{course.root / GRADEBOOK_URL_FILE}")
    if not course.gradebook.exists() and not course.stored_results():
        return ""  # a new course
    if course.gradebook.exists():
        aside = course.gradebook.with_name(f"gradebook.damaged-{time.strftime('%Y%m%d-%H%M%S')}.db")
        shutil.move(course.gradebook, aside)
        problem += f", set aside as {aside.name}"
    course.synced_sources_file.unlink(missing_ok=True)  # every source is registered again
    return problem + "; rebuilt from the stored results (manual grades included)"


@dataclass
class ManualGrades:
    """What graders entered in the formgrader, per (student, assignment) and grade_id."""

    scores: dict[tuple[str, str], dict[str, float]] = field(default_factory=dict)
    comments: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    held: set[tuple[str, str]] = field(default_factory=set)  # every submission the gradebook holds


def read_manual_grades(course: Course) -> ManualGrades:
    """The manual scores and non-empty comments of every submission the gradebook holds."""
    grades = ManualGrades()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with open_gradebook(course) as gradebook:
            for assignment in gradebook.assignments:
                for submission in assignment.submissions:
                    key = (submission.student.id, assignment.name)
                    grades.held.add(key)
                    for notebook in submission.notebooks:
                        for grade in notebook.grades:
                            if grade.manual_score is not None:
                                grades.scores.setdefault(key, {})[grade.cell.name] = float(grade.manual_score)
                        for comment in notebook.comments:
                            if (comment.manual_comment or "").strip():
                                grades.comments.setdefault(key, {})[comment.cell.name] = comment.manual_comment.strip()
    return grades


def apply_manual_scores(result: SubmissionResult, manual: dict[str, float], comments: dict[str, str]) -> list[str]:
    """Take a grader's scores and comments for written answers; return the ignored scores (manual
    scores on autograded tests)."""
    ignored = []
    for test in result.tests:
        score = manual.get(test.grade_id)
        if test.manual:
            test.manual_score = None if score is None else min(max(score, 0.0), test.max_points)
            test.comment = comments.get(test.grade_id, "")
        elif score is not None:
            ignored.append(f"{result.student}/{result.assignment}/{test.grade_id}")
        test.points = test.effective() if test.manual else test.auto_points
    return ignored


@dataclass
class Restoration:
    corrected: list[str] = field(default_factory=list)  # scores the gradebook held that the results did not
    withdrawn: list[str] = field(default_factory=list)  # earlier submissions it held that are no longer graded


def restore_scores(course: Course, results: list[SubmissionResult]) -> Restoration:
    """Make the gradebook say what the results say; report what differed.

    A graded result's scores are written where they differ. A submission that can no longer be
    graded (failed, or under review) is taken out: the formgrader must not show, nor a grader mark,
    an earlier notebook the reports no longer count.
    """
    from nbgrader.api import MissingEntry

    report = Restoration()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with open_gradebook(course) as gradebook:
            for result in results:
                where = f"{result.student}/{result.assignment}"
                if result.status in (FAILED, NEEDS_REVIEW):
                    if not result.fingerprint:  # no notebook of its own was tried (an interrupted run)
                        continue
                    try:
                        gradebook.find_submission(result.assignment, result.student)
                    except MissingEntry:
                        continue
                    gradebook.remove_submission(result.assignment, result.student)
                    report.withdrawn.append(where)
                    continue
                if result.status != GRADED:
                    continue
                try:
                    submission = gradebook.find_submission_notebook(result.assignment, result.assignment, result.student)
                except MissingEntry:
                    continue
                grades = {grade.cell.name: grade for grade in submission.grades}
                for test in result.tests:
                    grade = grades.get(test.grade_id)
                    if grade is None:
                        continue
                    want_auto = test.auto_points
                    want_manual = test.manual_score if test.manual else None
                    if grade.auto_score != want_auto or grade.manual_score != want_manual:
                        report.corrected.append(f"{where}/{test.grade_id}")
                        grade.auto_score = want_auto
                        grade.manual_score = want_manual
                        grade.needs_manual_grade = bool(test.manual and test.effective() is None)
            gradebook.db.commit()
    return report
