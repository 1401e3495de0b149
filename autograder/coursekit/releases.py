"""Build the student release (`notebooks/` + a zip for the LMS) and the solution release.

Both come from the nbgrader source notebook, which comes from the jupytext script, so there is
one source of truth. The student release is made by nbgrader's own `generate_assignment` (stubs,
hidden tests removed, checksums for the autograder) in a throw-away course under build/, never
in the graders' course, whose gradebook may already hold submissions.
"""
from __future__ import annotations

import shutil
import zipfile
from pathlib import Path
from typing import Callable

import nbformat
from nbformat import NotebookNode
from nbgrader.apps.api import NbGraderAPI
from nbgrader.preprocessors import ClearHiddenTests

from .nbgrader_config import course_config
from .paths import BUILD_DIR, DATA_DIR, REPO_ROOT, SOLUTION_RELEASE_DIR, STUDENT_RELEASE_DIR
from .sources import notebook_from_script, source_script, write_notebook

ZIP_PATH = BUILD_DIR / "fm-exercises-student.zip"
ZIP_TOP = "fm-exercises"
SOLUTION_DELIMITERS = ("### BEGIN SOLUTION", "### END SOLUTION")
FIXED_ZIP_TIME = (2026, 1, 1, 0, 0, 0)


class ReleaseError(RuntimeError):
    """nbgrader could not generate a release."""


def student_notebook(assignment: str) -> NotebookNode:
    """The student version of an assignment, made by nbgrader generate_assignment."""
    course = BUILD_DIR / "release-course" / assignment
    shutil.rmtree(course, ignore_errors=True)
    write_notebook(notebook_from_script(source_script(assignment)), course / "source" / assignment / f"{assignment}.ipynb")
    result = NbGraderAPI(config=course_config(course)).generate_assignment(assignment, force=True, create=True)
    if not result["success"]:
        raise ReleaseError(f"nbgrader generate_assignment failed for {assignment}:\n{result.get('error') or result.get('log')}")
    nb = nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    shutil.rmtree(course, ignore_errors=True)
    return nb


def without_solution_delimiters(source: str) -> str:
    """A solution cell's source without its BEGIN/END SOLUTION lines."""
    return "\n".join(line for line in source.split("\n") if line.strip() not in SOLUTION_DELIMITERS)


def solution_notebook(assignment: str) -> NotebookNode:
    """The source with hidden tests and solution delimiters removed: publishable after the deadline."""
    nb = notebook_from_script(source_script(assignment))
    nb, _ = ClearHiddenTests().preprocess(nb, {})
    for cell in nb.cells:
        cell.source = without_solution_delimiters(cell.source)
    return nb


def _write_release(assignments: list[str], out_dir: Path, make: Callable[[str], NotebookNode]) -> list[Path]:
    paths = [out_dir / f"{assignment}.ipynb" for assignment in assignments]
    for assignment, path in zip(assignments, paths):
        write_notebook(make(assignment), path)
    return paths


def build_student_release(assignments: list[str]) -> list[Path]:
    """Regenerate notebooks/<a>.ipynb for each assignment; return the paths."""
    return _write_release(assignments, STUDENT_RELEASE_DIR, student_notebook)


def build_solution_release(assignments: list[str]) -> list[Path]:
    """Regenerate solutions/<a>.ipynb for each assignment; return the paths."""
    return _write_release(assignments, SOLUTION_RELEASE_DIR, solution_notebook)


def _zip_add(archive: zipfile.ZipFile, path: Path, name: str) -> None:
    info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, path.read_bytes())


def build_student_zip(notebooks: list[Path], out: Path = ZIP_PATH) -> Path:
    """Zip the student notebooks with data/ and the student README, byte-for-byte repeatable."""
    out.parent.mkdir(parents=True, exist_ok=True)
    files = [(REPO_ROOT / "notebooks" / "README.md", "notebooks/README.md")]
    files += [(nb, f"notebooks/{nb.name}") for nb in sorted(notebooks)]
    files += [(p, f"data/{p.relative_to(DATA_DIR).as_posix()}") for p in sorted(DATA_DIR.rglob("*")) if p.is_file()]
    with zipfile.ZipFile(out, "w") as archive:
        for path, name in files:
            if path.exists():
                _zip_add(archive, path, f"{ZIP_TOP}/{name}")
    return out
