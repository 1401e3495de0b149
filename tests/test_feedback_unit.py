"""Small unit checks: feedback cleaning on hand-made cells, the summary page's histogram, the grader's
known answers (the end-to-end checks are in test_grading.py and test_hostile_class.py)."""
from __future__ import annotations

import json

import nbformat

from coursekit.model import TestOutcome
from coursekit.safe_html import clean, markdown
from coursekit.student_view import SUBMITTED_KEY, remember_outputs, shown_output, strip_hidden, student_view
from coursekit.submission_checks import repair_duplicates


def test_strip_hidden_removes_regions_and_markers_only():
    source = 'assert f(1) == 1, "visible"\n### BEGIN HIDDEN TESTS\nassert f(2) == _secret()\n### END HIDDEN TESTS\nprint("after")'
    assert strip_hidden(source) == 'assert f(1) == 1, "visible"\nprint("after")'


ROLES = {"t": {"grade": True, "grade_id": "t", "points": 1, "solution": False, "locked": True},
         "f": {"grade": False, "grade_id": "f", "solution": True, "locked": False}}


def _graded(cells):
    """A graded notebook and its submitted outputs, as execution leaves them for student_view."""
    submitted_nb = nbformat.v4.new_notebook(cells=[c for c, _ in cells])
    for cell, outputs in cells:
        cell.outputs = outputs
    as_json = json.loads(nbformat.writes(submitted_nb))
    memory = remember_outputs(as_json)
    graded = nbformat.reads(json.dumps(as_json), as_version=4)
    for cell in graded.cells:  # what the grading kernel printed: never on the page
        if cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="KERNEL PRINTED assert _ref(x) == 3\n")]
    return graded, memory


def _cell(source, grade_id=None):
    cell = nbformat.v4.new_code_cell(source)
    if grade_id:
        cell.metadata["nbgrader"] = dict(ROLES[grade_id])
    return cell


def test_the_page_shows_nothing_the_grading_kernel_printed():
    """A test cell shows the visible part, the verdict and the visible run's error only; the student's own
    cells show what they handed in, their tracebacks included: never an output of the grading kernel."""
    test = _cell('"""checks f"""\nassert f(2) == 3, "expected 3"\n### BEGIN HIDDEN TESTS\nassert f(9) == _ref(9)\n'
                 '### END HIDDEN TESTS', "t")
    own = _cell("def f(x):\n    return x\n1/0", "f")
    mine = nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="division by zero", traceback=["----> 3 1/0"])
    graded, memory = _graded([(own, [mine]), (test, [])])
    visible = {"t": [nbformat.v4.new_output("error", ename="AssertionError", evalue="expected 3",
                                            traceback=["Traceback", "----> 2 assert f(2) == 3"])]}
    view = student_view(graded, memory, ROLES, [TestOutcome("t", 1.0, 0.0, "AssertionError: expected 3")], visible,
                        "[not re-run]\n", set())
    text = nbformat.writes(view)
    assert "KERNEL PRINTED" not in text and "_ref" not in text and SUBMITTED_KEY not in text
    assert view.cells[1].source == '"""checks f"""\nassert f(2) == 3, "expected 3"'
    assert view.cells[1].outputs[0].text.startswith("[graded: failed, 0 / 1 points: AssertionError: expected 3")
    assert view.cells[1].outputs[1].traceback == ["AssertionError: expected 3"], "a test's code stays out of the traceback"
    assert view.cells[0].outputs[0].traceback == ["----> 3 1/0"], "the student's own tracebacks stay"


def test_outputs_are_capped_and_an_svg_becomes_an_inert_image():
    big = shown_output(nbformat.v4.new_output("stream", name="stdout", text="x" * 5_000_000))
    assert len(big.text) < 20_000, "a 5 MB print must not make a 5 MB feedback page"
    svg = shown_output(nbformat.v4.new_output("display_data", data={"image/svg+xml": "<svg onload='alert(1)'></svg>"}))
    assert list(svg.data) == ["text/html"] and svg.data["text/html"].startswith('<img alt="figure" src="data:image/svg+xml;base64,')
    widget = shown_output(nbformat.v4.new_output("display_data", data={"application/vnd.jupyter.widget-view+json": {"a": 1}}))
    assert widget.output_type == "stream" and "too large" in widget.text


def test_the_sanitiser_keeps_structure_and_math_and_drops_anything_live():
    """The allowlist keeps what markdown makes (headings, paragraphs, tables), MathML and inline images;
    it drops scripts, event handlers, styles, frames, forms and links that are not http(s)."""
    page = clean('<h1>T</h1><p>a</p><table><tr><th>h</th></tr></table><script>window.x=1</script>'
                 '<img src=x onerror="window.x=2"><img src="data:image/png;base64,iVBO"><p style="position:fixed">s</p>'
                 '<a href="javascript:alert(1)">j</a><a href="https://arxiv.org/abs/1807.03748">cpc</a>'
                 '<iframe src="https://example.org"></iframe><form><input name=p></form>')
    assert "<h1>T</h1>" in page and "<p>a</p>" in page and "<th>h</th>" in page
    assert "<script" not in page and "onerror" not in page and "style=" not in page and "iframe" not in page
    assert "javascript:" not in page and "<form" not in page and "<input" not in page
    assert 'src="data:image/png;base64,iVBO"' in page and '<img src="x"' not in page
    assert 'href="https://arxiv.org/abs/1807.03748"' in page and 'rel="noopener noreferrer"' in page
    rendered = markdown("The bound $I(x; c) \\ge \\log N - \\mathcal{L}_N$ and\n\n$$\\frac{a}{b}$$")
    assert rendered.count("<math") == 2 and "$" not in rendered and 'display="block"' in rendered
    assert "<mfrac>" in rendered


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

    from coursekit.summary_charts import histogram, svg_histogram

    rng = np.random.default_rng(7)
    for upper in (26.0, 9.5, 1.0):
        grades = list(np.round(rng.uniform(0, upper, 200) * 2) / 2) + [0.0, upper, upper / 10]
        expected, _ = np.histogram(grades, bins=10, range=(0, upper))
        assert histogram(grades, upper) == list(expected)
    svg = svg_histogram("a <b>", [0.0, 26.0, 26.0, 13.0], 26.0)
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


def test_an_empty_histogram_says_there_is_no_grade():
    from coursekit.summary_charts import svg_histogram

    svg = svg_histogram("04_demo (n=0)", [], 10.0)
    assert "no graded submissions" in svg and "tallest" not in svg and "<rect" not in svg
