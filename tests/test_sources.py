"""The sources keep the authoring rules of autograder/AUTHORING.md."""
from __future__ import annotations

import ast
import builtins
import re

import pytest
from nbgrader.utils import is_grade, is_solution

from coursekit.mutants import load_answers
from coursekit.paths import REPO_ROOT, assignments, source_script
from coursekit.sources import SourceError, full_nbgrader_metadata, notebook_from_script

HELPERS = (REPO_ROOT / "autograder" / "snippets" / "setup_helpers.py").read_text().strip()
POINTS_IN_HEADING = re.compile(r"^#{2,3} .*\((\d+(?:\.\d+)?) points?\)\s*$", re.M)


def grade_id(cell) -> str:
    return cell.metadata.get("nbgrader", {}).get("grade_id", "")


@pytest.fixture(params=assignments(), scope="module")
def source(request):
    return request.param, notebook_from_script(source_script(request.param))


def test_part_headings_carry_the_points_of_their_graded_cells(source):
    """`## Part B: NCE (4 points)` equals the points of the grade cells up to the next part heading."""
    assignment, nb = source
    parts: list[list] = []
    for cell in nb.cells:
        match = POINTS_IN_HEADING.search(cell.source) if cell.cell_type == "markdown" else None
        if match:
            parts.append([match.group(0).strip(), float(match.group(1)), 0.0])
        if is_grade(cell):
            assert parts, f"{assignment}: grade cell {grade_id(cell)} comes before any '(N points)' heading"
            parts[-1][2] += float(cell.metadata["nbgrader"]["points"])
    assert parts, f"{assignment}: no part heading with points"
    wrong = [(heading, said, counted) for heading, said, counted in parts if said != counted]
    assert not wrong, f"{assignment}: heading points differ from the grade cells' points: {wrong}"


def test_every_test_cell_starts_with_a_docstring_and_ends_without_a_value(source):
    """nbgrader reads a number left as the cell's value as partial credit."""
    assignment, nb = source
    for cell in nb.cells:
        if is_grade(cell) and not is_solution(cell):
            tree = ast.parse(cell.source)
            first = tree.body[0] if tree.body else None
            assert isinstance(first, ast.Expr) and isinstance(getattr(first, "value", None), ast.Constant) \
                and isinstance(first.value.value, str), f"{assignment}/{grade_id(cell)} must start with a docstring"
            assert not (len(tree.body) > 1 and isinstance(tree.body[-1], ast.Expr)
                        and not isinstance(tree.body[-1].value, ast.Call)), \
                f"{assignment}/{grade_id(cell)} ends on a bare expression (read as partial credit)"
            assert "### BEGIN HIDDEN TESTS" in cell.source, f"{assignment}/{grade_id(cell)} has no hidden tests"


def names_bound(code: str) -> set[str]:
    """Every name a cell's code binds: assignments, defs, imports, parameters, `except ... as`."""
    bound = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return bound


def test_a_test_cell_needs_no_name_that_only_another_test_cell_defines(source):
    """A test cell stops at its first failed assert, so a helper defined further down one test cell (say in its
    hidden part) is missing in the next whenever the first fails: every name a test cell reads comes from itself or
    from a cell that is not a test."""
    assignment, nb = source
    code = [c for c in nb.cells if c.cell_type == "code"]
    outside_tests = set().union(*(names_bound(c.source) for c in code if not is_grade(c)))
    for cell in (c for c in code if is_grade(c)):
        read = {n.id for n in ast.walk(ast.parse(cell.source)) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        foreign = read - names_bound(cell.source) - outside_tests - set(dir(builtins))
        assert not foreign, f"{assignment}/{grade_id(cell)} reads {sorted(foreign)}, defined only in another test cell"


def test_setup_cell_holds_the_shared_helpers_verbatim(source):
    assignment, nb = source
    setup = [c for c in nb.cells if grade_id(c) == "setup"]
    assert setup and setup[0].metadata["nbgrader"]["locked"], f"{assignment}: no locked cell with grade_id 'setup'"
    assert HELPERS in setup[0].source, f"{assignment}: the setup cell must contain autograder/snippets/setup_helpers.py unchanged"


def test_no_pip_install_and_no_downloads(source):
    assignment, nb = source
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    for forbidden in ("pip install", "!pip", "%pip", "urlopen", "requests.get", "download=True", "wget ", "curl "):
        assert forbidden not in text, f"{assignment} contains {forbidden!r}"


def test_every_graded_function_has_wrong_and_alternative_answers(source):
    """tests/answers/<assignment>.py covers every autograded test cell and every solution cell."""
    assignment, nb = source
    answers = load_answers(assignment)
    test_cells = {grade_id(c) for c in nb.cells if is_grade(c) and not is_solution(c)}
    covered = {g for cells in answers.TESTS.values() for g in cells}
    assert test_cells <= covered, f"{assignment}: test cells not in TESTS: {sorted(test_cells - covered)}"
    assert covered <= test_cells, f"{assignment}: TESTS names unknown cells: {sorted(covered - test_cells)}"
    functions = {grade_id(c) for c in nb.cells if is_solution(c) and not is_grade(c)}
    assert set(answers.TESTS) <= functions, f"{assignment}: TESTS keys without a solution cell: {set(answers.TESTS) - functions}"
    for function in answers.TESTS:
        assert answers.WRONG.get(function), f"{assignment}: no wrong answers for {function}"
        assert answers.ALTERNATIVE.get(function), f"{assignment}: no alternative answers for {function}"


def test_short_metadata_is_checked():
    with pytest.raises(SourceError, match="points"):
        full_nbgrader_metadata({"grade_id": "t", "grade": True}, "here")
    with pytest.raises(SourceError, match="grade_id"):
        full_nbgrader_metadata({"grade_id": "has space", "solution": True}, "here")
    assert full_nbgrader_metadata({"grade_id": "t", "grade": True, "points": 2}, "here")["locked"] is True


def test_every_hidden_test_freezes_the_answers_before_its_checks(source):
    """Each hidden block has its answers (student code, frozen at once) and then its checks (references,
    no student code), so that the grader can send the checks only once the answers are plain data
    (see coursekit.hidden_test_rules); a per-submission seed stands in the answers."""
    from coursekit.hidden_test_rules import check_hidden_tests

    assignment, nb = source
    assert check_hidden_tests(nb.cells, assignment) == []


def test_the_hidden_test_rules_refuse_what_would_give_student_code_something_to_read():
    """The rules catch each way a test could let student code run beside a reference: a call outside
    frozen(), a student function kept as a value, a helper called outside frozen(), student code in the
    checks, no checks mark, a seed line in the checks. (A rule that cannot fail proves nothing.)"""
    import nbformat

    from coursekit.hidden_test_rules import check_hidden_tests

    solution = nbformat.v4.new_code_cell("def f(x):\n    return x\n")
    solution.metadata["nbgrader"] = {"grade_id": "f", "solution": True, "grade": False}

    def problems(hidden: str) -> list[str]:
        test = nbformat.v4.new_code_cell('"""t"""\nassert f(1) == 1\n### BEGIN HIDDEN TESTS\n' + hidden + "\n### END HIDDEN TESTS")
        test.metadata["nbgrader"] = {"grade_id": "t", "grade": True, "solution": False, "points": 1}
        return check_hidden_tests([solution, test], "toy")

    good = "_x = 2\n_got = frozen(f(_x))\n### HIDDEN CHECKS\ndef _ref(x):\n    return x\nassert _got == _ref(_x)"
    assert problems(good) == []
    assert problems("_got = frozen([f(x) for x in (1, 2)])\ndef _run():\n    return f(3)\n_more = frozen(_run())\n"
                    "### HIDDEN CHECKS\nassert _got == [1, 2]") == []
    assert "outside frozen" in " ".join(problems("_got = f(2)\n### HIDDEN CHECKS\nassert _got == 2"))
    assert "outside frozen" in " ".join(problems("_g = f\n_got = frozen(_g(2))\n### HIDDEN CHECKS\nassert _got == 2"))
    assert "called outside frozen" in " ".join(problems("def _run():\n    return f(3)\n_got = _run()\n### HIDDEN CHECKS\n"
                                                         "assert _got == 3"))
    assert "the checks name `f`" in " ".join(problems("_got = frozen(f(2))\n### HIDDEN CHECKS\nassert _got == f(2)"))
    assert "needs one" in " ".join(problems("_got = frozen(f(2))\nassert _got == 2"))
    assert "seed line stands in the checks" in " ".join(
        problems("_got = frozen(f(2))\n### HIDDEN CHECKS\n_seed = 3  # per-submission seed\nassert _got == 2"))

    def with_visible(visible: str, hidden: str) -> list[str]:
        test = nbformat.v4.new_code_cell(f'"""t"""\n{visible}\n### BEGIN HIDDEN TESTS\n{hidden}\n### END HIDDEN TESTS')
        test.metadata["nbgrader"] = {"grade_id": "t", "grade": True, "solution": False, "points": 1}
        return check_hidden_tests([solution, test], "toy")

    # what the visible part got from student code is student code until frozen in the answers
    assert "the checks name `_vis`" in " ".join(with_visible("_vis = f(1)", "_x = 1\n### HIDDEN CHECKS\nassert _vis == 1"))
    assert with_visible("_vis = f(1)", "_vis = frozen(_vis)\n### HIDDEN CHECKS\nassert _vis == 1") == []
    assert with_visible("_vis = frozen(f(1))", "_x = 1\n### HIDDEN CHECKS\nassert _vis == 1") == []
    # and so is a visible helper that calls it, used in the checks or unfrozen in the answers
    assert "the checks name `_check`" in " ".join(
        with_visible("def _check(x):\n    assert f(x) == x", "_x = 1\n### HIDDEN CHECKS\n_check(2)"))
    assert "outside frozen" in " ".join(
        with_visible("def _check(x):\n    return f(x)", "_got = _check(2)\n### HIDDEN CHECKS\nassert _got == 2"))
    # a loop variable of the checks that takes frozen answers is plain data
    assert with_visible("_vis = f(1)", "_all = [frozen(f(x)) for x in (1, 2)]\n### HIDDEN CHECKS\n"
                                       "for _vis in _all:\n    assert _vis > 0") == []
