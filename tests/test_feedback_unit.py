"""Small unit checks: feedback cleaning on hand-made cells, the summary page's histogram, the grader's
known answers (the end-to-end checks are in test_grading.py and test_hostile_class.py)."""
from __future__ import annotations

import json

import nbformat

from coursekit.feedback import clean_for_student, strip_hidden
from coursekit.submission_checks import repair_duplicates


def test_strip_hidden_removes_regions_and_markers_only():
    source = 'assert f(1) == 1, "visible"\n### BEGIN HIDDEN TESTS\nassert f(2) == _secret()\n### END HIDDEN TESTS\nprint("after")'
    assert strip_hidden(source) == 'assert f(1) == 1, "visible"\nprint("after")'


def _test_cell(source, outputs):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": "t", "points": 1, "solution": False, "locked": True}
    cell.outputs = outputs
    return cell


def test_hidden_test_cells_show_no_kernel_output_at_all():
    """Whatever the kernel printed in a test with hidden parts (a hook could print the hidden code) is dropped."""
    leaked = "assert _ref(x) == 3, 'expected 3, got 2'"
    cell = _test_cell("### BEGIN HIDDEN TESTS\n" + leaked + "\n### END HIDDEN TESTS",
                      [nbformat.v4.new_output("stream", name="stdout", text=leaked + "\n"),
                       nbformat.v4.new_output("error", ename="AssertionError", evalue=leaked, traceback=[leaked])])
    nb = clean_for_student(nbformat.v4.new_notebook(cells=[cell]))
    assert nb.cells[0].source == ""
    assert "_ref" not in json.dumps(nb.cells[0].outputs), nb.cells[0].outputs


def test_visible_test_errors_keep_the_message_but_lose_the_traceback():
    cell = _test_cell("assert f(2) == 3, 'expected 3, got 2'",
                      [nbformat.v4.new_output("error", ename="AssertionError", evalue="expected 3, got 2",
                                              traceback=["Traceback", "----> 1 assert f(2) == 3"])])
    own = nbformat.v4.new_code_cell("1/0")
    own.outputs = [nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="division by zero",
                                          traceback=["----> 1 1/0"])]
    nb = clean_for_student(nbformat.v4.new_notebook(cells=[cell, own]))
    assert nb.cells[0].outputs[0].traceback == ["AssertionError: expected 3, got 2"]
    assert nb.cells[1].outputs[0].traceback == ["----> 1 1/0"], "the student's own tracebacks stay"


def test_outputs_are_capped_and_lines_of_hidden_code_are_removed_everywhere():
    secret_line = "check_close('secret reference', f(_hidden_input), 42.0)"
    own = nbformat.v4.new_code_cell("print(stolen)")
    own.outputs = [nbformat.v4.new_output("stream", name="stdout", text="x" * 5_000_000 + "\n" + secret_line + "\n")]
    nb = clean_for_student(nbformat.v4.new_notebook(cells=[own]), {secret_line})
    text = nb.cells[0].outputs[0].text
    assert len(text) < 20_000, "a 5 MB print must not make a 5 MB feedback page"
    assert secret_line not in text
    own.outputs = [nbformat.v4.new_output("stream", name="stdout", text="ok\n" + secret_line + "\n")]
    nb = clean_for_student(nbformat.v4.new_notebook(cells=[own]), {secret_line})
    assert nb.cells[0].outputs[0].text.startswith("ok\n") and secret_line not in nb.cells[0].outputs[0].text


def test_repair_duplicates_keeps_the_first_graded_cell_and_renames_ids():
    nb = nbformat.v4.new_notebook()
    for _ in range(2):
        cell = nbformat.v4.new_code_cell("assert True")
        cell["id"] = "test_a"
        cell.metadata["nbgrader"] = {"grade": True, "grade_id": "test_a", "points": 1}
        nb.cells.append(cell)
    repaired = json.loads(json.dumps(nb))
    note = repair_duplicates(repaired)
    assert "test_a" in note
    assert "nbgrader" in repaired["cells"][0]["metadata"] and "nbgrader" not in repaired["cells"][1]["metadata"]
    assert repaired["cells"][0]["id"] != repaired["cells"][1]["id"]
    assert repair_duplicates(repaired) == "", "a clean notebook is left alone"


def test_the_summary_histogram_counts_as_numpy_does():
    """The summary page's grade histogram (drawn without matplotlib) puts every grade in numpy's bin,
    the top grade in the last bin, and says each count in its bar's tooltip."""
    import re

    import numpy as np

    from coursekit.summary_page import _svg_histogram, histogram

    rng = np.random.default_rng(7)
    for upper in (26.0, 9.5, 1.0):
        grades = list(np.round(rng.uniform(0, upper, 200) * 2) / 2) + [0.0, upper, upper / 10]
        expected, _ = np.histogram(grades, bins=10, range=(0, upper))
        assert histogram(grades, upper) == list(expected)
    svg = _svg_histogram("a <b>", [0.0, 26.0, 26.0, 13.0], 26.0)
    tooltips = [int(n) for n in re.findall(r"points: (\d+) student", svg)]
    assert tooltips == [1, 0, 0, 0, 0, 1, 0, 0, 0, 2] and "a &lt;b&gt;" in svg


def test_a_must_fail_known_answer_never_passes():
    """The number a must-fail cell expects is never the value it computes: at least 0.01 away, also
    for the values where the old rule (value * factor + offset) gave the value back (0.5 * 0.98 + 0.01);
    and every drawn cell, whichever form it takes, fails in an honest kernel (must-pass cells pass)."""
    import random

    import numpy as np

    from coursekit.known_answers import MUST_FAIL, MUST_PASS, _different, _number, known_answer_source

    rng = random.Random(2026)
    values = ["0.500", "0.600", "0.2000", "5.000", "4.99999", "0.05", "9.5"] + [_number(rng) for _ in range(200)]
    for value in values:
        for _ in range(100):
            assert abs(float(_different(rng, value)) - float(value)) >= 0.01, value

    def check_close(label, value, expected, atol, rtol):
        assert abs(value - expected) <= atol + rtol * abs(expected), label

    for draw in range(3_000):
        kind = MUST_FAIL if draw % 4 else MUST_PASS
        source = known_answer_source(kind, rng, has_check_close=True, form=draw % 3 if kind == MUST_FAIL else None)
        try:
            exec(source, {"np": np, "check_close": check_close})
            failed = False
        except AssertionError:
            failed = True
        assert failed == (kind == MUST_FAIL), source
