"""An unwritten answer says so with its part: the release's stubs name their function and part (what the
lab and Validate show), and the feedback's message for a test that calls a stub says the same, read from
the student's own cells (never from a kernel's output), for a hidden test too."""
from __future__ import annotations

import re

import nbformat
import pytest

from coursekit.model import GRADED
from coursekit.paths import STUDENT_RELEASE_DIR, assignments
from coursekit.stub_messages import functions_called, name_stubs, not_written_message, unwritten_functions
from conftest import results_by_key

ANSWER = {"grade": False, "grade_id": "f", "solution": True, "locked": False}


def _notebook(*cells):
    nb = nbformat.v4.new_notebook()
    for kind, source in cells:
        if kind == "md":
            nb.cells.append(nbformat.v4.new_markdown_cell(source))
        else:
            cell = nbformat.v4.new_code_cell(source)
            cell.metadata["nbgrader"] = dict(ANSWER, grade_id=f"cell{len(nb.cells)}")
            nb.cells.append(cell)
    return nb


def test_a_bare_stub_names_the_function_it_sits_in_and_the_part_and_top_level_code_is_left_alone():
    source = ('def outer(x):\n    """doc"""\n    def helper(y):\n        return y\n    # YOUR CODE HERE\n'
              '    raise NotImplementedError()\n\n\nraise NotImplementedError()')
    named = name_stubs(source, "Part C")
    assert '    raise NotImplementedError("`outer` is not written yet (Part C)")' in named
    assert named.endswith("\nraise NotImplementedError()"), "a stub outside any function has nobody to name"


def test_unwritten_functions_reads_parts_from_the_headings_and_skips_written_answers():
    nb = _notebook(("md", "## Part A: power laws (3 points)"),
                   ("code", 'def fit(x):\n    raise NotImplementedError("`fit` is not written yet (Part A)")'),
                   ("md", "### Part B (2 points)\nSome text"),
                   ("code", "def flops(n, d):\n    return 6 * n * d"),
                   ("code", "def loss(n):\n    raise NotImplementedError"),
                   ("code", 'def mode(kind):\n    if kind != "a":\n        raise NotImplementedError("only a")\n    return 1'))
    assert unwritten_functions(nb) == {"fit": "Part A", "loss": "Part B"}, "a student's own raise is not a stub"


def test_a_test_uses_a_function_it_calls_or_passes_on_not_one_its_docstring_names():
    parts = {"fit": "Part A", "entropy": "Part C", "predict": "Part I"}
    source = '"""fit: recovers the law; the cross-entropy of the fit"""\n_errors = run(predict, 3)\nfit(x)\nself.entropy(p)'
    assert functions_called(source, parts) == ["fit", "predict"]
    assert not_written_message(["fit"], parts) == "`fit` is not written yet (Part A): write it, then run this test again"
    assert not_written_message(["fit", "predict"], parts).startswith("`fit` (Part A) and `predict` (Part I) are not written")


@pytest.mark.parametrize("assignment", assignments())
def test_every_stub_of_the_release_names_its_own_function_and_the_part_above_it(assignment):
    nb = nbformat.read(STUDENT_RELEASE_DIR / f"{assignment}.ipynb", as_version=4)
    part, stubs = "", 0
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            part = (re.findall(r"^#+\s+(Part [A-Z])\b", cell.source, re.MULTILINE) or [part])[-1]
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("solution"):
            continue
        for function, said_part in re.findall(r'raise NotImplementedError\("`(\w+)` is not written yet \((Part [A-Z])\)"\)',
                                              cell.source):
            stubs += 1
            assert f"def {function}(" in cell.source and said_part == part, (meta["grade_id"], function, said_part, part)
    assert stubs >= 10


def test_the_feedback_of_a_stub_says_not_written_yet_never_hidden_test_failed(example_class_parallel):
    """The blank student handed in the release: every autograded test that lost points says which function is
    not written yet and its part; the partial student's written functions get no such message."""
    _, run, _ = example_class_parallel
    results = results_by_key(run)
    for assignment in assignments():
        blank = results[("blank", assignment)]
        assert blank.status == GRADED
        lost = [t for t in blank.tests if not t.manual and (t.points or 0) < t.max_points]
        assert lost and all(re.search(r"`\w+`.* not written yet", t.message) for t in lost), \
            [(t.grade_id, t.message) for t in lost if "not written yet" not in t.message]
        partial = results[("partial", assignment)]
        kept = [t for t in partial.tests if not t.manual and t.points == t.max_points]
        assert kept and not any("not written yet" in t.message for t in kept)
