"""The bundled example class: submissions generated from the sources, so they never go stale.

- ``complete``: every stub filled with the solution, written answers with the model answer.
- ``blank``: the student release handed in untouched.
- ``partial``: the first half of the graded functions solved, the next one answered wrongly (it returns
  None: its tests' messages come from the visible run), the rest left as stubs.
- ``broken``: one notebook that is not JSON, one whose kernel dies, one handed in twice under copies' names
  (`<a> (1).ipynb` and `Copy of <a>.ipynb`: the grader cannot tell which counts).

`expected_autograde_points` says what each should score, from the sources and
`tests/answers/<assignment>.py`'s TESTS map, not from a grading run.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from nbgrader.utils import is_grade, is_solution

from .mutants import load_answers
from .releases import student_notebook, without_solution_delimiters
from .sources import notebook_from_script, source_script, write_notebook

STUDENTS = ("blank", "broken", "complete", "partial")


def solution_sources(assignment: str) -> dict[str, str]:
    """grade_id -> the solution cell's source without the delimiters."""
    nb = notebook_from_script(source_script(assignment))
    return {c.metadata["nbgrader"]["grade_id"]: without_solution_delimiters(c.source)
            for c in nb.cells if is_solution(c)}


def graded_functions(assignment: str) -> list[str]:
    """Solution cells that are autograded functions, in notebook order."""
    tests = load_answers(assignment).TESTS
    nb = notebook_from_script(source_script(assignment))
    return [c.metadata["nbgrader"]["grade_id"] for c in nb.cells
            if is_solution(c) and not is_grade(c) and c.metadata["nbgrader"]["grade_id"] in tests]


def partial_functions(assignment: str) -> list[str]:
    functions = graded_functions(assignment)
    return functions[: len(functions) // 2]


def wrong_function(assignment: str) -> str:
    """The partial student's wrong answer: the first graded function after the solved half."""
    functions = graded_functions(assignment)
    return functions[len(functions) // 2]


def answered_wrongly(nb: NotebookNode, grade_id: str) -> NotebookNode:
    """`nb` with the stub of `grade_id` replaced by `return None` (a written but wrong answer)."""
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            cell.source = re.sub(r"raise NotImplementedError\(.*\)", "return None  # my first try", cell.source)
    return nb


def fill(release: NotebookNode, solutions: dict[str, str], which: set[str]) -> NotebookNode:
    nb = nbformat.from_dict(json.loads(json.dumps(release)))  # deep copy
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in which:
            cell.source = solutions[grade_id]
    return nb


def build_example_class(assignments: list[str], submitted: Path) -> Path:
    """Write submitted/<student>/<assignment>/<assignment>.ipynb for the four example students."""
    shutil.rmtree(submitted, ignore_errors=True)
    for index, assignment in enumerate(assignments):
        release = student_notebook(assignment)
        solutions = solution_sources(assignment)
        versions = {
            "complete": fill(release, solutions, set(solutions)),
            "blank": release,
            "partial": answered_wrongly(fill(release, solutions, set(partial_functions(assignment))),
                                        wrong_function(assignment)),
        }
        for student, nb in versions.items():
            write_notebook(nb, submitted / student / assignment / f"{assignment}.ipynb")
        broken_dir = submitted / "broken" / assignment
        broken_dir.mkdir(parents=True)
        kind = index % 3
        if kind == 0:  # truncated JSON, as a failed upload leaves it
            text = nbformat.writes(versions["complete"])
            (broken_dir / f"{assignment}.ipynb").write_text(text[: len(text) // 2])
        elif kind == 1:  # a cell that kills the kernel
            nb = fill(release, solutions, set(solutions))
            nb.cells.insert(1, nbformat.v4.new_code_cell("import os\nos._exit(1)  # the kernel dies here"))
            write_notebook(nb, broken_dir / f"{assignment}.ipynb")
        else:  # two downloads, neither under the notebook's own name
            write_notebook(versions["complete"], broken_dir / f"{assignment} (1).ipynb")
            write_notebook(versions["partial"], broken_dir / f"Copy of {assignment}.ipynb")
    return submitted


def expected_autograde_points(assignment: str, student: str) -> float:
    """Autograded points the example student should get (written answers not counted)."""
    nb = notebook_from_script(source_script(assignment))
    tests = load_answers(assignment).TESTS
    auto = {c.metadata["nbgrader"]["grade_id"]: float(c.metadata["nbgrader"]["points"])
            for c in nb.cells if is_grade(c) and not is_solution(c)}
    if student == "complete":
        return sum(auto.values())
    if student == "partial":
        solved = set(partial_functions(assignment))
        return sum(points for grade_id, points in auto.items()
                   if all(grade_id not in cells or function in solved for function, cells in tests.items()))
    return 0.0
