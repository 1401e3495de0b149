"""The gradebook merge: what it writes is what nbgrader's own `autograde` writes, a bad entry costs only
itself, a regrade keeps a grader's score and asks for a review, and 10,000 submissions go in within a
minute (see gradebook_merge)."""
from __future__ import annotations

import shutil
import warnings

from coursekit.simulated_class import time_merge, time_serial_part, tiny_result
from coursekit.gradebook_merge import NO_RESPONSE, GradebookEntry, merge_batch
from coursekit.model import GRADED


def gradebook_rows(db_url: str) -> dict[tuple[str, str, str, str], tuple]:
    """(student, assignment, kind, cell) -> what the formgrader reads: (auto score, needs manual grade, manual
    score) for a grade, the auto comment for a comment."""
    from nbgrader.api import Gradebook

    rows = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Gradebook(db_url) as gradebook:
            for assignment in gradebook.assignments:
                for submission in assignment.submissions:
                    for notebook in submission.notebooks:
                        for grade in notebook.grades:
                            rows[(submission.student.id, assignment.name, "grade", grade.cell.name)] = (
                                grade.auto_score, grade.needs_manual_grade, grade.manual_score)
                        for comment in notebook.comments:
                            rows[(submission.student.id, assignment.name, "comment", comment.cell.name)] = (
                                comment.auto_comment,)
    return rows


def test_the_batched_merge_writes_exactly_what_nbgrader_autograde_writes(example_class_parallel, tmp_path):
    """Oracle: nbgrader's `autograde` with execution off (how the grader merged before) stores the same
    executed notebooks into a gradebook that holds the assignments and no submission."""
    from nbgrader.api import Gradebook
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.preprocessors import AssignLatePenalties, CheckCellMetadata, LimitOutput, SaveAutoGrades

    from coursekit.model import Course

    course, run, _ = example_class_parallel
    graded = [r for r in run.results if r.status == GRADED]
    assert len(graded) >= 6
    ours = gradebook_rows(course.config().CourseDirectory.db_url)
    copy = Course(tmp_path / "course")
    shutil.copytree(course.root / "source", copy.root / "source")
    shutil.copy(course.gradebook, copy.gradebook)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Gradebook(copy.config().CourseDirectory.db_url) as gradebook:
            for assignment in gradebook.assignments:
                for submission in list(assignment.submissions):
                    gradebook.remove_submission(assignment.name, submission.student.id)
    for result in graded:
        folder = copy.root / "executed" / result.student / result.assignment
        folder.mkdir(parents=True)
        shutil.copy(course.executed_notebook(result.student, result.assignment), folder)
    config = copy.config()
    config.CourseDirectory.submitted_directory = str(copy.root / "executed")
    config.Autograde.sanitize_preprocessors = [CheckCellMetadata]
    config.Autograde.autograde_preprocessors = [LimitOutput, SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for result in graded:
            outcome = NbGraderAPI(config=config).autograde(result.assignment, result.student, force=True, create=True)
            assert outcome["success"], outcome.get("log", "")[-500:]
    theirs = gradebook_rows(copy.config().CourseDirectory.db_url)
    keys = {(r.student, r.assignment) for r in graded}
    assert {k for k in ours if k[:2] in keys} == set(theirs)  # the same rows
    differ = {k: (ours[k], theirs[k]) for k in theirs if ours[k] != theirs[k]}
    assert not differ, differ
    assert any(v == (NO_RESPONSE,) for v in theirs.values())  # the untouched release left answers as released
    assert any(k[2] == "grade" and v[0] is None for k, v in theirs.items())  # written answers to grade


def tiny_course(tmp_path, count: int):
    return time_merge(tmp_path / "merge", count)[1]


def test_one_bad_entry_costs_only_its_own_submission(tmp_path):
    course = tiny_course(tmp_path, 3)
    entries = [GradebookEntry("new_a", "tiny", {"test_value": 2.0, "test_type": 1.0, "why": None}),
               GradebookEntry("new_b", "no_such_assignment", {}),
               GradebookEntry("new_c", "tiny", {"test_value": 0.0, "test_type": 1.0, "why": 0.0}, ["why"])]
    failed = merge_batch(course, entries)
    assert list(failed) == [("new_b", "no_such_assignment")] and "no_such_assignment" in failed[("new_b", "no_such_assignment")]
    rows = gradebook_rows(course.config().CourseDirectory.db_url)
    assert rows[("new_a", "tiny", "grade", "test_value")] == (2.0, False, None)
    assert rows[("new_a", "tiny", "grade", "why")] == (None, True, None)
    assert rows[("new_c", "tiny", "grade", "test_value")] == (0.0, False, None)
    assert rows[("new_c", "tiny", "comment", "why")] == (NO_RESPONSE,)
    assert not any(k[0] == "new_b" for k in rows)


def test_a_regrade_updates_the_scores_keeps_a_graders_score_and_asks_for_a_review(tmp_path):
    """nbgrader's rule (SaveAutoGrades): a cell a grader scored needs a review after a regrade."""
    from nbgrader.api import Gradebook

    course = tiny_course(tmp_path, 3)
    with Gradebook(course.config().CourseDirectory.db_url) as gradebook:
        grade = gradebook.find_grade("why", "tiny", "tiny", "s00001")
        grade.manual_score = 0.5
        gradebook.db.commit()
    assert not merge_batch(course, [GradebookEntry("s00001", "tiny", {"test_value": 0.0, "test_type": 0.0, "why": None})])
    rows = gradebook_rows(course.config().CourseDirectory.db_url)
    assert rows[("s00001", "tiny", "grade", "why")] == (None, True, 0.5)
    assert rows[("s00001", "tiny", "grade", "test_value")] == (0.0, False, None)
    assert sum(1 for k in rows if k[0] == "s00001" and k[2] == "grade") == 3  # updated, not added twice


def grade_rows(db_url: str) -> dict[tuple[str, str, str], float | None]:
    """(student, assignment, cell) -> auto score, in one query (the ORM's lazy loads take minutes here)."""
    from nbgrader.api import Assignment, BaseCell, Grade, Gradebook, SubmittedAssignment, SubmittedNotebook

    with Gradebook(db_url) as gradebook:
        query = (gradebook.db.query(SubmittedAssignment.student_id, Assignment.name, BaseCell.name, Grade.auto_score)
                 .join(SubmittedNotebook, Grade.notebook_id == SubmittedNotebook.id)
                 .join(SubmittedAssignment, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
                 .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
                 .join(BaseCell, Grade.cell_id == BaseCell.id))
        return {(student, assignment, cell): score for student, assignment, cell, score in query}


def expected_scores(count: int) -> dict[tuple[str, str, str], float | None]:
    expected = {}
    for index in range(count):
        result = tiny_result(f"s{index:05d}", index)
        expected.update({(result.student, "tiny", t.grade_id): t.auto_points for t in result.tests})
    return expected


def test_ten_thousand_submissions_merge_within_a_minute(tmp_path):
    """A simulated class of a tiny assignment, merged in the grader's batches; every score checked."""
    count = 10_000
    seconds, course = time_merge(tmp_path / "merge", count)
    assert seconds < 60, f"{count} submissions took {seconds:.1f} s"
    assert grade_rows(course.config().CourseDirectory.db_url) == expected_scores(count)
    print(f"\n{count} submissions merged in {seconds:.1f} s ({count / seconds:.0f}/s)")


def test_the_whole_serial_part_stores_each_submission_for_the_formgrader(tmp_path):
    """ClassGrading.finish on simulated results: result saved, executed notebook moved, scores merged."""
    count = 300
    seconds, course = time_serial_part(tmp_path / "serial", count)
    assert grade_rows(course.config().CourseDirectory.db_url) == expected_scores(count)
    assert all(course.executed_notebook(f"s{i:05d}", "tiny").exists() for i in range(count))
    assert not any((course.state_dir / "work").iterdir())  # the workers' folders are gone
    assert len(course.stored_results()) == count
    print(f"\n{count} submissions through the serial part in {seconds:.1f} s ({seconds / count * 1000:.1f} ms each)")
