"""`make grade` on the bundled example class: expected grades, serial == parallel, re-runs, reports."""
from __future__ import annotations

import csv

import nbformat
import pytest
from nbgrader.api import Gradebook
from nbgrader.utils import is_grade, is_solution

from coursekit.example_class import STUDENTS, expected_autograde_points
from coursekit.model import NO_ANSWER
from coursekit.grading import grade_class
from coursekit.paths import assignments, source_script
from coursekit.sources import notebook_from_script

from conftest import GRADING_CELL_TIMEOUT_S, region_only_lines, results_by_key, tree_digest, visible_text


def auto_points(result) -> float:
    return sum(t.points or 0.0 for t in result.tests if not t.manual)


@pytest.mark.parametrize("assignment", assignments())
def test_complete_submission_scores_full_marks_through_the_autograder(example_class_parallel, assignment):
    """The solution, handed in as a student would, passes every autograded test."""
    _, run, _ = example_class_parallel
    result = results_by_key(run)[("complete", assignment)]
    assert result.status == "graded", f"complete/{assignment} was not graded: {result.reason}"
    lost = [(t.grade_id, t.points, t.max_points, t.message) for t in result.tests
            if not t.manual and t.points != t.max_points]
    assert not lost, f"the solution loses points in {assignment}: {lost}"
    assert auto_points(result) == expected_autograde_points(assignment, "complete")


@pytest.mark.parametrize("assignment", assignments())
def test_untouched_release_scores_zero_on_every_autograded_test(example_class_parallel, assignment):
    """The student release handed in unchanged: 0 on each autograded test and each written answer."""
    _, run, _ = example_class_parallel
    result = results_by_key(run)[("blank", assignment)]
    assert result.status == "graded", f"blank/{assignment} was not graded: {result.reason}"
    scored = [(t.grade_id, t.points) for t in result.tests if t.points != 0]
    assert not scored, f"an unchanged stub earns points in {assignment}: {scored}"


@pytest.mark.parametrize("assignment", assignments())
def test_partial_submission_gets_exactly_the_points_of_what_it_solved(example_class_parallel, assignment):
    _, run, _ = example_class_parallel
    result = results_by_key(run)[("partial", assignment)]
    expected = expected_autograde_points(assignment, "partial")
    assert 0 < expected < expected_autograde_points(assignment, "complete"), "the partial student must be partial"
    assert auto_points(result) == pytest.approx(expected), (
        f"partial/{assignment}: expected {expected} autograded points, got {auto_points(result)}: "
        f"{[(t.grade_id, t.points) for t in result.tests]}")


def test_broken_student_fails_with_reasons_and_nobody_else_is_affected(example_class_parallel):
    _, run, _ = example_class_parallel
    results = results_by_key(run)
    reasons = {a: results[("broken", a)].reason for a in assignments()}
    assert all(results[("broken", a)].status == "failed" for a in assignments()), reasons
    expected_words = ["not valid JSON", "kernel died", "the grader cannot tell which one counts"]
    for assignment, words in zip(assignments(), expected_words * 2):
        assert words in reasons[assignment], f"broken/{assignment}: expected a reason with {words!r}, got {reasons[assignment]!r}"
    assert all(results[("complete", a)].status == "graded" for a in assignments())


def test_sandboxed_grades_equal_unsandboxed_grades(example_class_parallel, example_class_unsandboxed):
    """Graded as `make grade` does (in the sandbox, leaving out the instructor cells no grade depends on)
    and with neither (UNSAFE=1 EVERYCELL=1), every submission gets the same status and the same points
    on every cell: neither the sandbox nor the skipped cells change a grade (test_mutants checks the same
    for every wrong and alternative answer)."""
    def table(run):
        return {(r.student, r.assignment): (r.status, [(t.grade_id, t.points) for t in r.tests]) for r in run.results}

    sandboxed, unsandboxed = table(example_class_parallel[1]), table(example_class_unsandboxed[1])
    differ = {k: (sandboxed.get(k), unsandboxed.get(k)) for k in set(sandboxed) | set(unsandboxed)
              if sandboxed.get(k) != unsandboxed.get(k)}
    assert not differ, f"sandboxed and unsandboxed grading disagree: {differ}"
    assert all(r.sandboxed for r in example_class_parallel[1].results if r.status != "missing")
    assert not any(r.sandboxed for r in example_class_unsandboxed[1].results if r.status != "missing")
    skipped = {(r.student, r.assignment): r.not_rerun for r in example_class_parallel[1].results}
    assert all(skipped[("complete", a)] >= 10 for a in assignments()), f"cells left out per submission: {skipped}"
    assert not any(r.not_rerun for r in example_class_unsandboxed[1].results), "EVERYCELL=1 skipped cells"


def test_sandboxed_and_unsandboxed_runs_give_a_student_the_same_messages(example_class_parallel,
                                                                         example_class_unsandboxed):
    """Each test's message (from the visible run, for a test that lost points) is the same either way:
    the visible run works with a cold kernel's sockets as with a warm one's."""
    def messages(run):
        return {(r.student, r.assignment, t.grade_id): t.message for r in run.results for t in r.tests}

    sandboxed, unsandboxed = messages(example_class_parallel[1]), messages(example_class_unsandboxed[1])
    differ = {k: (sandboxed.get(k), unsandboxed.get(k)) for k in set(sandboxed) | set(unsandboxed)
              if sandboxed.get(k) != unsandboxed.get(k)}
    assert not differ, f"the messages differ: {dict(list(differ.items())[:3])}"
    wrong = {k: m for k, m in unsandboxed.items() if k[0] == "partial" and m and "not written yet" not in m
             and m != NO_ANSWER}
    assert wrong, "no message from a visible run (the partial student's wrong answer)"


def test_grading_never_modifies_the_submitted_folder(example_class_parallel):
    course, _, before = example_class_parallel
    assert tree_digest(course.submitted_dir) == before


def test_grades_csv_tells_failed_to_grade_from_scored_zero(example_class_parallel):
    course, _, _ = example_class_parallel
    rows = {row["student"]: row for row in csv.DictReader(open(course.reports_dir / "grades.csv"))}
    assert sorted(rows) == sorted(STUDENTS)
    first = assignments()[0]
    assert rows["blank"][first] == "0" and rows["blank"][f"{first} status"] == "graded"
    assert rows["broken"][first] == "0" and rows["broken"][f"{first} status"] == "failed to grade"
    assert "not valid JSON" in rows["broken"]["notes"]
    assert rows["complete"][f"{first} status"] in {"graded", "pending manual"}
    totals = {s: float(rows[s]["total"]) for s in rows}
    assert totals["complete"] > totals["partial"] > totals["blank"] == 0.0


def test_tests_csv_has_a_row_per_test_with_the_class_counts(example_class_parallel):
    course, run, _ = example_class_parallel
    rows = list(csv.DictReader(open(course.reports_dir / "tests.csv")))
    expected = {(a, c.metadata["nbgrader"]["grade_id"]) for a in assignments()
                for c in notebook_from_script(source_script(a)).cells if is_grade(c)}
    assert {(r["assignment"], r["test"]) for r in rows} == expected
    graded = [r for r in run.results if r.status == "graded"]
    for row in rows:
        students = sum(1 for r in graded if r.assignment == row["assignment"])
        assert int(row["students"]) == students, row
        assert int(row["full_points"]) + int(row["lost_points"]) + int(row["pending"]) == students, row


def test_cells_no_grade_needs_are_labelled_not_rerun_in_the_feedback_and_the_gradebook(example_class_parallel):
    """Every cell the grader left out says so on the student's page and in the notebook the
    formgrader shows, and nothing else says so."""
    from coursekit.execution import NOT_RERUN_LABEL

    course, run, _ = example_class_parallel
    label = NOT_RERUN_LABEL.strip()
    for assignment in assignments():
        result = results_by_key(run)[("complete", assignment)]
        page = course.feedback_dir / "complete" / assignment / f"{assignment}.html"
        assert visible_text(page.read_text()).count(label) == result.not_rerun >= 10
        executed = nbformat.read(course.executed_notebook("complete", assignment), as_version=4)
        labelled = [c for c in executed.cells if c.cell_type == "code"
                    and any(o.get("text", "") == NOT_RERUN_LABEL for o in c.outputs)]
        assert len(labelled) == result.not_rerun
        assert all(c.execution_count is None and "skip-execution" not in c.metadata.get("tags", []) for c in labelled)


def test_feedback_shows_each_test_result_but_never_hidden_code(example_class_parallel):
    course, run, _ = example_class_parallel
    for result in run.results:
        if result.status == "missing":
            continue
        page = course.feedback_dir / result.student / result.assignment / f"{result.assignment}.html"
        assert page.exists(), f"no feedback for {result.student}/{result.assignment}"
        text = visible_text(page.read_text())
        assert "HIDDEN TESTS" not in text
        shown = {line.strip() for line in text.split("\n")}
        leaked = [line for line in region_only_lines(result.assignment, "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS", 25)
                  if line in shown]
        assert not leaked, f"feedback {page} shows hidden-test code: {leaked[:3]}"
        for test in result.tests:
            assert test.grade_id in text, f"feedback {page} does not list {test.grade_id}"
        if result.status == "failed":
            assert result.reason[:40] in text


def test_rerun_reuses_unchanged_submissions_and_regrades_changed_ones(example_class_parallel):
    course, first_run, _ = example_class_parallel
    again = grade_class(course, jobs=2, cell_timeout_s=GRADING_CELL_TIMEOUT_S, progress=False)
    assert again.regraded == 0, "an unchanged class must not be regraded"

    def table(run):
        return {(r.student, r.assignment): (r.status, r.points) for r in run.results}

    assert table(again) == table(first_run)
    # a student resubmits: only that notebook is regraded (in a copy, so the fixture stays intact)
    assignment = assignments()[0]
    target = course.submitted_dir / "blank" / assignment / f"{assignment}.ipynb"
    original = target.read_bytes()
    try:
        nb = nbformat.read(target, as_version=4)
        nb.cells.append(nbformat.v4.new_markdown_cell("a late note"))
        nbformat.write(nb, target)
        changed = grade_class(course, jobs=2, cell_timeout_s=GRADING_CELL_TIMEOUT_S, progress=False)
        assert changed.regraded == 1
        assert table(changed) == table(first_run)
    finally:
        target.write_bytes(original)
        grade_class(course, jobs=2, cell_timeout_s=GRADING_CELL_TIMEOUT_S, progress=False)


def test_written_answers_are_pending_until_graded_in_the_gradebook(example_class_parallel):
    course, run, _ = example_class_parallel
    manual = {(a, c.metadata["nbgrader"]["grade_id"]) for a in assignments()
              for c in notebook_from_script(source_script(a)).cells if is_grade(c) and is_solution(c)}
    if not manual:
        pytest.skip("no written answers in this course")
    assignment, grade_id = sorted(manual)[0]
    complete = results_by_key(run)[("complete", assignment)]
    assert grade_id in complete.pending_manual
    rows = {row["student"]: row for row in csv.DictReader(open(course.reports_dir / "grades.csv"))}
    assert f"{assignment}/{grade_id}" in rows["complete"]["pending_manual"]
    db_url = course.config().CourseDirectory.db_url
    with Gradebook(db_url) as gradebook:
        grade = gradebook.find_grade(grade_id, assignment, assignment, "complete")
        grade.manual_score = 1.0
        gradebook.db.commit()
    try:
        rerun = grade_class(course, jobs=2, cell_timeout_s=GRADING_CELL_TIMEOUT_S, progress=False)
        after = results_by_key(rerun)[("complete", assignment)]
        assert grade_id not in after.pending_manual
        assert after.points == pytest.approx(complete.points + 1.0)
        rows = {row["student"]: row for row in csv.DictReader(open(course.reports_dir / "grades.csv"))}
        assert f"{assignment}/{grade_id}" not in rows["complete"]["pending_manual"]
        page = course.feedback_dir / "complete" / assignment / f"{assignment}.html"
        assert "graded by hand" in visible_text(page.read_text()), "the feedback must show the new manual grade"
    finally:
        with Gradebook(db_url) as gradebook:
            gradebook.find_grade(grade_id, assignment, assignment, "complete").manual_score = None
            gradebook.db.commit()


def test_the_similarity_report_pairs_the_students_who_share_code_and_never_the_stubs(example_class_parallel):
    """complete and partial filled their answers from one solution (partial half of them): paired in every
    assignment; blank handed in the release, whose stubs are boilerplate: never paired; broken has no
    graded notebook to compare."""
    course, _, _ = example_class_parallel
    with open(course.reports_dir / "similarity.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    pairs = {(row["assignment"], row["student_a"], row["student_b"]) for row in rows}
    assert pairs == {(a, "complete", "partial") for a in assignments()}, rows
    assert all(int(row["similarity"].rstrip("%")) >= 50 for row in rows)
    summary = (course.reports_dir / "summary.html").read_text(encoding="utf-8")
    assert f"Similar answers ({len(rows)})" in summary and 'href="similarity.html#pair-1"' in summary
