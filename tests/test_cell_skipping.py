"""Which cells the grader leaves out: the author's grading="skip" marks, checked by a name analysis.

These tests need no kernel. That skipping changes no grade is proven by running: test_grading
compares the example class graded with and without skipping, test_mutants every wrong and
alternative answer."""
from __future__ import annotations

import copy

import pytest

from coursekit.cell_skipping import cell_names, check_source, is_marked, plan_skips
from coursekit.paths import assignments, source_script
from coursekit.sources import SourceError, notebook_from_script


def solution(assignment: str):
    return notebook_from_script(source_script(assignment))


def code(source: str) -> dict:
    return {"cell_type": "code", "metadata": {}, "outputs": [], "source": source, "execution_count": None}


@pytest.mark.parametrize("assignment", assignments())
def test_every_marked_cell_of_the_solution_is_left_out_and_nothing_else(assignment):
    nb = solution(assignment)
    marked = {i for i, c in enumerate(nb.cells) if is_marked(c)}
    assert len(marked) >= 10, f"{assignment}: only {len(marked)} cells are marked grading=\"skip\""
    plan = plan_skips(nb.cells, nb.cells)
    assert plan.skip == marked and not plan.kept and not plan.dynamic


def test_the_names_a_cell_reads_before_binding_them():
    names = cell_names("import numpy as np\nx = np.ones(3)\ny = x + z\nfor i in range(3):\n    w = i + v\n"
                       "def f(a):\n    return a + q + np.pi\nc = [k * x for k in r]\n%time u = x")
    assert names.reads_now == {"z", "v", "range", "r"}
    assert names.reads_later == {"q", "np"}
    assert {"np", "x", "y", "i", "w", "f", "c", "u"} <= names.binds
    assert not names.dynamic and cell_names("print(globals()['x'])").dynamic


def _experiment_index(nb, variable: str) -> int:
    """The index of the first marked cell that binds `variable` at module level."""
    return next(i for i, c in enumerate(nb.cells) if is_marked(c) and variable in cell_names(c.source).binds)


def test_a_student_cell_that_reads_an_experiments_variable_gets_that_experiment_run():
    nb = copy.deepcopy(solution("03_scaling_laws"))
    index = _experiment_index(nb, "approach3_fits")
    nb.cells.append(code("print(len(approach3_fits))"))  # a student's own cell after it
    plan = plan_skips(nb.cells, solution("03_scaling_laws").cells)
    assert index in plan.kept and index not in plan.skip
    # and what that experiment reads from earlier experiments runs too (fit3, defined in Part E's)
    assert _experiment_index(nb, "fit3") in plan.kept


def test_a_variable_read_inside_a_students_function_counts_too():
    nb = copy.deepcopy(solution("03_scaling_laws"))
    index = _experiment_index(nb, "fit3")
    solution_cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "compute_optimal")
    solution_cell.source += "\n\ndef _helper():\n    return fit3\n"
    plan = plan_skips(nb.cells, solution("03_scaling_laws").cells)
    assert index in plan.kept


def test_a_student_cell_that_reaches_the_namespace_dynamically_gets_every_cell_run():
    nb = copy.deepcopy(solution("02_autoregressive"))
    nb.cells.insert(5, code("x = globals().get('anything')"))
    plan = plan_skips(nb.cells, solution("02_autoregressive").cells)
    assert plan.dynamic and not plan.skip and plan.kept


def test_an_edited_experiment_runs_and_the_submissions_own_marks_are_ignored():
    source = solution("01_contrastive")
    nb = copy.deepcopy(source)
    marked = [i for i, c in enumerate(nb.cells) if is_marked(c)]
    nb.cells[marked[0]].source += "\nprint('my own line')"
    nb.cells.insert(1, code("import os"))  # a student's cell, marked by the student: it still runs
    nb.cells[1]["metadata"]["grading"] = "skip"
    plan = plan_skips(nb.cells, source.cells)
    assert 1 not in plan.skip
    assert marked[0] + 1 not in plan.skip
    assert {i + 1 for i in marked[1:]} <= plan.skip


def test_a_source_whose_mark_hides_a_variable_that_a_test_reads_is_refused(tmp_path):
    script = tmp_path / "toy.py"
    script.write_text('# %% nbgrader={"grade_id": "setup", "locked": true}\nimport math\n\n'
                      '# %% grading="skip"\nscale = 2.0\n\n'
                      '# %% nbgrader={"grade_id": "double", "solution": true}\ndef double(x):\n'
                      '    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n\n'
                      '# %% nbgrader={"grade_id": "test_double", "grade": true, "points": 1}\n'
                      '"""double doubles."""\nassert double(3) == 3 * scale\n')
    with pytest.raises(SourceError, match="cell-001 is marked grading=\"skip\" but defines \\['scale'\\]"):
        notebook_from_script(script)
    script.write_text(script.read_text().replace('# %% nbgrader={"grade_id": "setup", "locked": true}',
                                                 '# %% nbgrader={"grade_id": "setup", "locked": true} grading="skip"'))
    with pytest.raises(SourceError, match="only a plain code cell"):
        notebook_from_script(script)


def test_check_source_accepts_the_course_sources():
    for assignment in assignments():
        assert check_source(solution(assignment).cells, assignment) == []


def test_a_left_out_cell_keeps_the_students_own_output_under_the_label_and_a_forged_marker_does_nothing():
    import nbformat

    from coursekit.execution import NOT_RERUN_KEY, NOT_RERUN_LABEL, SKIP_TAG, mark_not_rerun, restore_not_rerun

    source = solution("02_autoregressive")
    nb = nbformat.from_dict(copy.deepcopy(source))
    index = next(i for i, c in enumerate(nb.cells) if is_marked(c))
    mine = nbformat.v4.new_output("stream", name="stdout", text="my own run: 1.234\n")
    nb.cells[index].outputs = [mine]
    forged = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and not is_marked(c))
    nb.cells[forged].metadata[NOT_RERUN_KEY] = "a guess"
    saved = mark_not_rerun(nb, source.cells)
    assert SKIP_TAG in nb.cells[index].metadata["tags"] and len(saved) >= 10
    for cell in nb.cells:  # what nbgrader does before executing: clear every output
        if cell.cell_type == "code":
            cell.outputs = []
    assert restore_not_rerun(nb, saved) == len(saved)
    assert nb.cells[index].outputs[0].text == NOT_RERUN_LABEL and nb.cells[index].outputs[1] == mine
    assert "tags" not in nb.cells[index].metadata and NOT_RERUN_KEY not in nb.cells[index].metadata
    assert nb.cells[forged].outputs == [] and NOT_RERUN_KEY not in nb.cells[forged].metadata
