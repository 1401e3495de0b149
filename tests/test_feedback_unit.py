"""Feedback cleaning, on small hand-made cells (the end-to-end check is in test_grading.py)."""
from __future__ import annotations

import json

import nbformat

from coursekit.feedback import clean_for_student, strip_hidden
from coursekit.grading import repair_duplicates


def test_strip_hidden_removes_regions_and_markers_only():
    source = 'assert f(1) == 1, "visible"\n### BEGIN HIDDEN TESTS\nassert f(2) == _secret()\n### END HIDDEN TESTS\nprint("after")'
    assert strip_hidden(source) == 'assert f(1) == 1, "visible"\nprint("after")'


def test_graded_cell_errors_keep_the_message_but_lose_the_traceback():
    cell = nbformat.v4.new_code_cell("### BEGIN HIDDEN TESTS\nassert _ref(x) == 3, 'expected 3, got 2'\n### END HIDDEN TESTS")
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": "t", "points": 1, "solution": False, "locked": True}
    cell.outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue="expected 3, got 2",
                                           traceback=["Traceback", "----> 2 assert _ref(x) == 3"])]
    own = nbformat.v4.new_code_cell("1/0")
    own.outputs = [nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="division by zero",
                                          traceback=["----> 1 1/0"])]
    nb = clean_for_student(nbformat.v4.new_notebook(cells=[cell, own]))
    assert nb.cells[0].source == ""
    assert nb.cells[0].outputs[0].traceback == ["AssertionError: expected 3, got 2"]
    assert nb.cells[1].outputs[0].traceback == ["----> 1 1/0"], "the student's own tracebacks stay"


def test_repair_duplicates_keeps_the_first_graded_cell_and_renames_ids(tmp_path):
    nb = nbformat.v4.new_notebook()
    for _ in range(2):
        cell = nbformat.v4.new_code_cell("assert True")
        cell["id"] = "test_a"
        cell.metadata["nbgrader"] = {"grade": True, "grade_id": "test_a", "points": 1}
        nb.cells.append(cell)
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(nb))
    note = repair_duplicates(path)
    repaired = json.loads(path.read_text())
    assert "test_a" in note
    assert "nbgrader" in repaired["cells"][0]["metadata"] and "nbgrader" not in repaired["cells"][1]["metadata"]
    assert repaired["cells"][0]["id"] != repaired["cells"][1]["id"]
    assert repair_duplicates(path) == "", "a clean notebook is left alone"
