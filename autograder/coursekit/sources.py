"""Turn a jupytext percent script into the nbgrader source notebook, deterministically.

Authors write short nbgrader metadata (see autograder/AUTHORING.md); this module fills in the
defaults, checks them, gives every cell a stable id and sets the course kernel, so that the same
script always gives the same bytes.
"""
from __future__ import annotations

import copy
import functools
import re
from pathlib import Path

import jupytext
import nbformat
from nbformat import NotebookNode

from .cell_skipping import SKIP_MARK, check_source
from .hidden_test_rules import check_hidden_tests
from .paths import KERNEL_DISPLAY_NAME, KERNEL_NAME, source_notebook, source_script

NBGRADER_DEFAULTS = {"grade": False, "solution": False, "locked": False, "task": False, "schema_version": 3}
GRADE_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
KERNELSPEC = {"display_name": KERNEL_DISPLAY_NAME, "language": "python", "name": KERNEL_NAME}


class SourceError(ValueError):
    """A source script breaks the authoring rules."""


def full_nbgrader_metadata(short: dict, where: str) -> dict:
    """Expand the short form (`{"grade_id": .., "grade": true, "points": 3}`) to nbgrader's schema 3."""
    meta = {**NBGRADER_DEFAULTS, **short}
    grade_id = meta.get("grade_id")
    if not isinstance(grade_id, str) or not GRADE_ID_PATTERN.match(grade_id):
        raise SourceError(f"{where}: grade_id {grade_id!r} must match {GRADE_ID_PATTERN.pattern}")
    if meta["grade"] and not meta["solution"]:
        meta["locked"] = True  # autograded tests are read-only
    if meta["grade"] or meta["task"]:
        points = meta.get("points")
        if not isinstance(points, (int, float)) or points <= 0:
            raise SourceError(f"{where}: graded cell {grade_id!r} needs positive points, got {points!r}")
    else:
        meta.pop("points", None)
    return dict(sorted(meta.items()))


def notebook_from_script(script: Path) -> NotebookNode:
    """Read a percent script and return the normalised nbgrader source notebook."""
    return copy.deepcopy(_notebook_from_text(script.name, script.read_text(encoding="utf-8")))


@functools.lru_cache(maxsize=16)
def _notebook_from_text(name: str, text: str) -> NotebookNode:
    """The conversion (jupytext and the checks: 0.2-0.3 s a script), kept for the same script text: a
    process that makes several courses (the tests, `make bench`) converts each script once."""
    nb = jupytext.reads(text, fmt="py:percent")
    seen: set[str] = set()
    for index, cell in enumerate(nb.cells):
        short = cell.metadata.get("nbgrader")
        grading = cell.metadata.get(SKIP_MARK)
        cell.metadata = {}
        where = f"{name} cell {index}"
        if grading is not None:
            if grading != "skip" or cell.cell_type != "code" or short is not None:
                raise SourceError(f'{where}: only a plain code cell can be marked grading="skip" (got {grading!r})')
            cell.metadata[SKIP_MARK] = "skip"
        if short is not None:
            cell.metadata["nbgrader"] = full_nbgrader_metadata(short, where)
            cell_id = cell.metadata["nbgrader"]["grade_id"]
        else:
            cell_id = f"cell-{index:03d}"
        if cell_id in seen:
            raise SourceError(f"{where}: duplicate cell id / grade_id {cell_id!r}")
        seen.add(cell_id)
        cell["id"] = cell_id
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.pop("attachments", None)
    nb.metadata = NotebookNode({
        "kernelspec": NotebookNode(KERNELSPEC),
        "language_info": NotebookNode({"name": "python"}),
    })
    nb.nbformat, nb.nbformat_minor = 4, 5
    nbformat.validate(nb)
    problems = check_source(nb.cells, name) + check_hidden_tests(nb.cells, name)
    if problems:
        raise SourceError("\n".join(problems))
    return nb


def write_notebook(nb: NotebookNode, path: Path) -> bool:
    """Write `nb` to `path` unless the bytes there are already the same; return True if written."""
    text = nbformat.writes(nb) + "\n"
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True


def build_source_notebook(assignment: str) -> Path:
    """Regenerate `autograder/source/<a>/<a>.ipynb` from its script; return its path."""
    out = source_notebook(assignment)
    write_notebook(notebook_from_script(source_script(assignment)), out)
    return out
