"""Every way a submission can be broken costs its owner the affected points, with a reason,
and never the run or another student's grade."""
from __future__ import annotations

import html
import json

import nbformat
import pytest
from nbgrader.utils import is_grade, is_solution

from coursekit.example_class import solution_sources, expected_autograde_points, fill
from coursekit.grading import grade_class
from coursekit.model import Course, feedback_path
from coursekit.paths import assignments
from coursekit.releases import student_notebook
from coursekit.sources import write_notebook

from conftest import results_by_key, tree_digest

ASSIGNMENT = assignments()[-1]  # the quickest notebook: what goes wrong does not depend on the assignment
# its slowest cell the grader runs takes 0.34 s (2 workers at once): 8 s is ample, and the hung cells'
# cases (interrupted at the limit, one twice, one answering 10 s later) cost that much less than the
# example class's 20 s limit
GRADING_CELL_TIMEOUT_S = 8
HUNG = "import time\ntime.sleep(3600)  # never returns by itself"
# A call busy in native code (a long BLAS call, a step of torch.optim.LBFGS) cannot take the interrupt
# until it returns: blocking SIGINT in the main thread around a sleep behaves exactly so.
STUCK_IN_NATIVE_CODE = ("import signal, time\nsignal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})\n"
                        "time.sleep(GRADING_CELL_TIMEOUT_S + 10)  # the interrupt waits until this returns\n"
                        "signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})")
SLOW_FUNCTION, SLOW_TEST = "predict_n_opt", "test_predict_n_opt"  # an answer too slow for its test's time limit
HUNG_IGNORING_INTERRUPT = ("import time\nwhile True:\n    try:\n        time.sleep(3600)\n"
                           "    except KeyboardInterrupt:\n        pass  # swallows the grader's interrupt")


def _is_test(cell) -> bool:
    return is_grade(cell) and not is_solution(cell)


def _with_cell(nb, source: str, index: int = 1):
    nb.cells.insert(index, nbformat.v4.new_code_cell(source))
    return nb


def _too_slow(nb, function: str):
    """The notebook with `function` made slower than any time limit (right, were it ever to return)."""
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == function)
    lines = cell.source.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith(f"def {function}("))
    body = next(i for i in range(start, len(lines)) if lines[i].rstrip().endswith(":")) + 1
    cell.source = "\n".join(lines[:body] + ["    import time", "    time.sleep(3600)  # a very slow way to the answer"]
                            + lines[body:])
    return nb


def build_cases(submitted):
    """student -> (how the notebook is broken, expected status, expected auto points or reason words)."""
    release = student_notebook(ASSIGNMENT)
    solutions = solution_sources(ASSIGNMENT)
    full = expected_autograde_points(ASSIGNMENT, "complete")

    def complete():
        return fill(release, solutions, set(solutions))

    folder = {s: submitted / s / ASSIGNMENT for s in (
        "control", "corrupt_json", "empty_folder", "renamed", "deleted_tests", "edited_tests_on_stubs",
        "edited_tests_on_solution", "duplicated_ids", "raising_cell", "kernel_dies", "hung_cell",
        "hung_ignoring_interrupt", "stuck_in_native_code", "json_list", "json_dict", "old_format",
        "renamed_cell_id", "slow_answer", "copy_named")}
    target = {s: f / f"{ASSIGNMENT}.ipynb" for s, f in folder.items()}
    write_notebook(complete(), target["control"])
    target["corrupt_json"].parent.mkdir(parents=True)
    target["corrupt_json"].write_text('{"cells": [')
    folder["empty_folder"].mkdir(parents=True)
    write_notebook(complete(), folder["renamed"] / "my_solution.ipynb")
    write_notebook(complete(), folder["copy_named"] / f"{ASSIGNMENT} (1).ipynb")  # a browser's second download
    nb = complete()
    nb.cells = [c for c in nb.cells if not _is_test(c)]
    write_notebook(nb, target["deleted_tests"])
    for student, base in (("edited_tests_on_stubs", release), ("edited_tests_on_solution", complete())):
        nb = json.loads(json.dumps(base))
        for cell in nb["cells"]:
            if _is_test(nbformat.from_dict(cell)):
                cell["source"] = "pass  # the student 'fixed' the test"
        write_notebook(nbformat.from_dict(nb), target[student])
    nb = complete()
    first_test = next(i for i, c in enumerate(nb.cells) if _is_test(c))
    nb.cells.insert(first_test, nbformat.from_dict(json.loads(json.dumps(nb.cells[first_test]))))
    (target["duplicated_ids"]).parent.mkdir(parents=True)
    target["duplicated_ids"].write_text(json.dumps(nb, indent=1))  # nbformat would refuse to write it
    write_notebook(_with_cell(complete(), 'raise RuntimeError("my scratch cell")'), target["raising_cell"])
    write_notebook(_with_cell(complete(), "import os\nos._exit(1)"), target["kernel_dies"])
    write_notebook(_with_cell(complete(), HUNG), target["hung_cell"])
    write_notebook(_with_cell(complete(), HUNG_IGNORING_INTERRUPT), target["hung_ignoring_interrupt"])
    for student, text in (("json_list", "[]"), ("json_dict", "{}"),
                          ("old_format", '{"nbformat": 3, "nbformat_minor": 0, "cells": [], "worksheets": []}')):
        target[student].parent.mkdir(parents=True)
        target[student].write_text(text)
    nb = complete()
    renamed = next(c for c in nb.cells if _is_test(c))
    renamed.metadata["nbgrader"]["grade_id"] = "my_" + renamed.metadata["nbgrader"]["grade_id"]
    write_notebook(nb, target["renamed_cell_id"])
    stuck = STUCK_IN_NATIVE_CODE.replace("GRADING_CELL_TIMEOUT_S", str(GRADING_CELL_TIMEOUT_S))
    write_notebook(_with_cell(complete(), stuck), target["stuck_in_native_code"])
    write_notebook(_too_slow(complete(), SLOW_FUNCTION), target["slow_answer"])
    (submitted / "typo" / f"{ASSIGNMENT}-final").mkdir(parents=True)
    write_notebook(complete(), submitted / "typo" / f"{ASSIGNMENT}-final" / f"{ASSIGNMENT}.ipynb")
    return {
        "control": ("graded", full),
        "corrupt_json": ("failed", "not valid JSON"),
        "empty_folder": ("failed", "missing notebook"),
        "renamed": ("failed", "found my_solution.ipynb instead"),
        "copy_named": ("graded", full),  # graded as the notebook, with a note (test_a_copy_name_is_graded...)
        "deleted_tests": ("graded", full),  # the tests are put back and run
        "edited_tests_on_stubs": ("graded", 0.0),  # the original tests run, the stubs fail them
        "edited_tests_on_solution": ("graded", full),
        "duplicated_ids": ("graded", full),
        "raising_cell": ("graded", full),  # an error outside the tests costs nothing
        "kernel_dies": ("failed", "kernel died"),
        "hung_cell": ("graded", full),  # interrupted at the cell limit, the rest still runs
        # never answers the interrupt: graded again in a fresh kernel without that cell
        "hung_ignoring_interrupt": ("graded", full),
        # interrupted at the cell limit, answers 10 s later: only that cell is lost
        "stuck_in_native_code": ("graded", full),
        "json_list": ("failed", "a JSON list, not a notebook; re-download it from JupyterLab (File > Download)"),
        "json_dict": ("failed", "JSON but not a notebook"),
        "old_format": ("failed", "old notebook format (version 3): open it in JupyterLab, save it"),
        "renamed_cell_id": ("graded", full),  # the source's cell is put back and run
        "slow_answer": ("graded", full - _points(SLOW_TEST)),  # only the test that timed out is lost
    }


def _points(grade_id: str) -> float:
    from coursekit.sources import notebook_from_script, source_script

    cells = notebook_from_script(source_script(ASSIGNMENT)).cells
    return float(next(c.metadata["nbgrader"]["points"] for c in cells
                      if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id))


@pytest.fixture(scope="module")
def broken_class(tmp_path_factory):
    course = Course(tmp_path_factory.mktemp("broken") / "course")
    expected = build_cases(course.submitted_dir)
    before = tree_digest(course.submitted_dir)
    run = grade_class(course, jobs=2, force=True, cell_timeout_s=GRADING_CELL_TIMEOUT_S, progress=False)
    return course, run, expected, before


@pytest.mark.parametrize("student", ["control", "corrupt_json", "empty_folder", "renamed", "deleted_tests",
                                     "edited_tests_on_stubs", "edited_tests_on_solution", "duplicated_ids",
                                     "raising_cell", "kernel_dies", "hung_cell", "hung_ignoring_interrupt",
                                     "stuck_in_native_code", "json_list", "json_dict", "old_format",
                                     "renamed_cell_id", "slow_answer", "copy_named"])
def test_broken_submission_gets_its_expected_outcome(broken_class, student):
    _, run, expected, _ = broken_class
    result = results_by_key(run)[(student, ASSIGNMENT)]
    status, detail = expected[student]
    assert result.status == status, f"{student}: expected status {status!r}, got {result.status!r} ({result.reason})"
    if status == "graded":
        got = sum(t.points or 0.0 for t in result.tests if not t.manual)
        assert got == pytest.approx(detail), (
            f"{student}: expected {detail} autograded points, got {got}: "
            f"{[(t.grade_id, t.points, t.message) for t in result.tests if t.points != t.max_points]}")
    else:
        assert detail in result.reason, f"{student}: expected a reason mentioning {detail!r}, got {result.reason!r}"
        assert result.points == 0


def test_a_cell_that_never_answers_the_interrupt_is_skipped_and_named(broken_class):
    course, run, _, _ = broken_class
    result = results_by_key(run)[("hung_ignoring_interrupt", ASSIGNMENT)]
    assert "skipped" in result.reason and "fresh kernel" in result.reason, result.reason
    executed = nbformat.read(course.executed_notebook("hung_ignoring_interrupt", ASSIGNMENT), as_version=4)
    assert any(o.get("ename") == "CellSkipped" for c in executed.cells if c.cell_type == "code" for o in c.outputs)


def test_a_test_stopped_at_the_time_limit_is_reported_as_a_time_out_not_a_failed_test(broken_class):
    """A right answer too slow for its test: the feedback's message, grades.csv's notes, tests.csv's count and the
    summary's attention list all say the time limit; nothing says "hidden test failed"."""
    import csv

    course, run, _, _ = broken_class
    result = results_by_key(run)[("slow_answer", ASSIGNMENT)]
    lost = {t.grade_id: t for t in result.tests if not t.manual and t.points != t.max_points}
    assert set(lost) == {SLOW_TEST}, {g: t.message for g, t in lost.items()}
    message = lost[SLOW_TEST].message
    assert message == f"did not finish within the time limit of {GRADING_CELL_TIMEOUT_S} s per cell", message
    assert lost[SLOW_TEST].stopped == "time limit"
    with open(course.reports_dir / "grades.csv", newline="", encoding="utf-8") as handle:
        notes = {row["folder"]: row["notes"] for row in csv.DictReader(handle)}
    assert f"{ASSIGNMENT}: {SLOW_TEST} stopped at the time limit ({message})" in notes["slow_answer"], notes["slow_answer"]
    assert "hidden test failed" not in notes["slow_answer"] and "time limit" not in notes["control"]
    with open(course.reports_dir / "tests.csv", newline="", encoding="utf-8") as handle:
        rows = {(row["assignment"], row["test"]): row for row in csv.DictReader(handle)}
    assert rows[(ASSIGNMENT, SLOW_TEST)]["timed_out"] == "1", rows[(ASSIGNMENT, SLOW_TEST)]
    assert all(row["timed_out"] == "0" for key, row in rows.items() if key != (ASSIGNMENT, SLOW_TEST))
    summary = (course.reports_dir / "summary.html").read_text(encoding="utf-8")
    assert f'>stopped at a limit</td><td>{SLOW_TEST} (time limit)</td>' in summary
    page = feedback_path(course, result).read_text(encoding="utf-8")
    assert "did not finish within the time limit" in page and "hidden test failed" not in page
    row = next(line for line in page.splitlines() if f"<code>{SLOW_TEST}</code>" in line)
    assert 'class="cf-timed"' in row and "<td>timed out</td>" in row, row


def test_a_copy_name_is_graded_as_the_notebook_and_the_note_says_so(broken_class):
    course, run, _, _ = broken_class
    result = results_by_key(run)[("copy_named", ASSIGNMENT)]
    note = f"graded '{ASSIGNMENT} (1).ipynb' as {ASSIGNMENT}.ipynb"
    assert note in result.reason, result.reason
    page = (course.feedback_dir / "copy_named" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert html.escape(note) in page or note in page, "the student's feedback page does not say which file was graded"


def test_renamed_graded_cells_are_named_in_the_note(broken_class):
    _, run, _, _ = broken_class
    result = results_by_key(run)[("renamed_cell_id", ASSIGNMENT)]
    assert "was renamed" in result.reason and "restored from the source" in result.reason, result.reason


def test_unknown_assignment_folder_is_reported_not_graded(broken_class):
    _, run, _, _ = broken_class
    result = results_by_key(run)[("typo", f"{ASSIGNMENT}-final")]
    assert result.status == "failed" and "not an assignment" in result.reason, result


def test_broken_class_leaves_the_submitted_folder_untouched(broken_class):
    course, _, _, before = broken_class
    assert tree_digest(course.submitted_dir) == before


def test_deleted_test_and_read_only_cells_go_back_where_the_source_has_them():
    """Every assignment: with all its test and locked cells deleted, the put-back restores each one, in the
    source's order, right after the cell that precedes it there (nbgrader's own put-back fails the notebook when
    that cell is a locked one, as `kgram_helpers` and `bootstrap_estimators` are)."""
    from coursekit.submission_checks import restore_missing_cells
    from coursekit.sources import notebook_from_script, source_script

    for assignment in assignments():
        source = notebook_from_script(source_script(assignment))
        ids = [c.metadata["nbgrader"]["grade_id"] for c in source.cells if c.metadata.get("nbgrader", {}).get("grade_id")]
        nb = json.loads(json.dumps(fill(student_notebook(assignment), solution_sources(assignment),
                                        set(solution_sources(assignment)))))
        nb["cells"] = [c for c in nb["cells"] if not (c["metadata"].get("nbgrader", {}).get("grade")
                                                       and not c["metadata"]["nbgrader"].get("solution"))
                       and not c["metadata"].get("nbgrader", {}).get("locked")]
        restored = restore_missing_cells(nb, source.cells)
        assert restored, f"{assignment}: nothing was missing?"
        after = [c["metadata"]["nbgrader"]["grade_id"] for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id")]
        assert after == ids, f"{assignment}: restored cells out of the source's order"
        assert all(c["source"] == "" for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") in restored)
