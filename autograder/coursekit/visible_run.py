"""The visible run: a graded notebook executed again without a single hidden test, for the messages
a student reads (see `student_view`).

Only a submission that lost autograded points gets one, and only up to its last failed test: every
cell as graded (the same sources, the same cells left out), each test cell cut to its visible part,
in a fresh kernel (forked from the same zygote, which kills and wipes everything the grading kernel
left before it forks again; the kernels' socket folder is emptied between the two). No hidden test
ever reaches this kernel, so what it prints can carry none.

A failed test's message then says what the student can act on: the visible part's error, in the
words the test wrote; or, when the visible part passes, that a hidden check failed (the instructor's
docstring); or the grader's own words for a cell stopped at its time or output limit.
"""
from __future__ import annotations

import copy

import nbformat
from nbformat import NotebookNode

from .model import TestOutcome
from .student_view import HIDDEN_BEGIN, strip_hidden
from .stub_messages import functions_called, not_written_message, unwritten_functions

SKIP_TAG = "skip-execution"  # nbclient's tag for a cell it must not run
# errors that only the grader's side writes: their message is the grader's, whatever a kernel printed
GRADER_ERRORS = {
    "CellTimeoutError": "did not finish within the time limit of {timeout} s per cell",
    "OutputLimit": "stopped by the grader: its output passed the limit (print less)",
    "CellSkipped": "skipped: it did not stop when interrupted at its time limit",
}
# which limit each of them is (grades.csv and tests.csv count a test stopped at one apart from a failed one)
LIMIT_OF = {"CellTimeoutError": "time limit", "OutputLimit": "output limit", "CellSkipped": "time limit"}


def _is_test(cell) -> bool:
    meta = cell.metadata.get("nbgrader", {})
    return bool(meta.get("grade")) and not meta.get("solution")


def lost_tests(tests: list[TestOutcome]) -> set[str]:
    """The autograded tests that did not get full points."""
    return {t.grade_id for t in tests if not t.manual and t.points is not None and t.points < t.max_points}


def tests_to_rerun(tests: list[TestOutcome], graded: NotebookNode) -> set[str]:
    """The lost tests whose message needs the visible run: not those that call a function the student has not
    written yet (their message says so without running anything, see `messages`)."""
    unwritten = unwritten_functions(graded)
    cells = {c.metadata["nbgrader"]["grade_id"]: c for c in graded.cells if _is_test(c)}
    return {grade_id for grade_id in lost_tests(tests)
            if not (grade_id in cells and functions_called(cells[grade_id].source, unwritten))}


def grader_error(cell: NotebookNode) -> str | None:
    """The name of the grader's own error in a graded cell (a time-out, an output limit, a skip), if any."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error" and output.get("ename") in GRADER_ERRORS:
            return output["ename"]
    return None


def visible_notebook(graded: NotebookNode, failed: set[str]) -> NotebookNode | None:
    """The notebook of the visible run, from the graded one (before its left-out cells got their
    submitted outputs back: they still carry their skip tag); None if no failed test needs it."""
    nb = copy.deepcopy(graded)
    last = max((i for i, c in enumerate(nb.cells) if _is_test(c)
                and c.metadata["nbgrader"].get("grade_id") in failed), default=None)
    if last is None:
        return None
    nb.cells = nb.cells[:last + 1]
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if grader_error(cell) in ("CellTimeoutError", "CellSkipped"):  # it would only time out again
            cell.metadata.setdefault("tags", []).append(SKIP_TAG)
        if _is_test(cell) or HIDDEN_BEGIN in cell.source:
            cell.source = strip_hidden(cell.source)
        cell.outputs, cell.execution_count = [], None
    return nb


def test_outputs(executed: NotebookNode) -> dict[str, list]:
    """grade_id -> the outputs of each test cell of the executed visible run."""
    return {c.metadata["nbgrader"]["grade_id"]: list(c.outputs) for c in executed.cells
            if c.cell_type == "code" and _is_test(c) and SKIP_TAG not in c.metadata.get("tags", [])}


def first_error(outputs: list) -> str:
    """The first line of the first error (or stderr) among a cell's outputs ('' if none)."""
    for output in outputs:
        if output.get("output_type") == "error":
            value = (output.get("evalue") or "").strip().splitlines()
            if output.get("ename") == "NotImplementedError" and not value:
                return "NotImplementedError: not written yet (its answer cell still raises NotImplementedError)"
            return f"{output.get('ename')}: {value[0] if value else ''}".strip().rstrip(":")[:500]
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            text = str(output.get("text", "")).strip().splitlines()
            return "wrote to stderr (tests must run silently): " + (text[0][:300] if text else "")
    return ""


def messages(tests: list[TestOutcome], graded: NotebookNode, visible: dict[str, list] | None, docstrings: dict[str, str],
             hidden: set[str], timeout_s: int) -> None:
    """Give every test that lost points its message (in place; see the module docstring)."""
    cells = {c.metadata["nbgrader"]["grade_id"]: c for c in graded.cells if _is_test(c)}
    unwritten = unwritten_functions(graded)  # read from the student's cells: it holds for a hidden test too
    for test in tests:
        if test.grade_id not in lost_tests([test]) or test.message == "answer cell missing":
            continue
        own = grader_error(cells[test.grade_id]) if test.grade_id in cells else None
        if own:
            test.message = GRADER_ERRORS[own].format(timeout=timeout_s)
            test.stopped = LIMIT_OF[own]
            continue
        called = functions_called(cells[test.grade_id].source, unwritten) if test.grade_id in cells else []
        if called:
            test.message = not_written_message(called, unwritten)
            continue
        shown = first_error(visible.get(test.grade_id, [])) if visible is not None and test.grade_id in visible else None
        described = docstrings.get(test.grade_id) or test.grade_id
        if shown:
            test.message = shown
        elif shown is None:  # no visible run for it (it could not run): the instructor's words only
            test.message = "failed: " + described
        elif test.grade_id in hidden:
            test.message = "hidden test failed: " + described
        else:
            test.message = ("failed when graded, but passes when run again on its own: run the notebook top to "
                            "bottom in a fresh kernel (Kernel > Restart Kernel and Run All Cells) and check it again")
