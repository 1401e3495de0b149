"""Shared fixtures: graded courses are expensive, so each is built once per test session."""
from __future__ import annotations

import hashlib
import html
import re
from pathlib import Path

import pytest

from coursekit.example_class import build_example_class
from coursekit.grading import GradeRun, grade_class
from coursekit.model import Course
from coursekit.paths import assignments

GRADING_CELL_TIMEOUT_S = 20  # generous for the slowest solution cell, short for the hung-cell cases


def tree_digest(folder: Path) -> dict[str, str]:
    """relative path -> sha256 of every file under `folder` (to prove nothing was modified)."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def results_by_key(run: GradeRun) -> dict[tuple[str, str], object]:
    return {(r.student, r.assignment): r for r in run.results}


@pytest.fixture
def short_temporary(monkeypatch):
    """A folder of the test's own for every temporary file of a run in this process (and, forked, its
    workers'), removed after the test. Short, like the system's: the zygotes' unix sockets go below it,
    and their paths may not pass ~100 bytes, which a folder under pytest's tmp_path would."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="fmt-"))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def example_class_parallel(tmp_path_factory):
    """The bundled example class graded with 2 parallel jobs, sandboxed: (course, run, submitted digest before)."""
    course = Course(tmp_path_factory.mktemp("parallel") / "course")
    build_example_class(assignments(), course.submitted_dir)
    before = tree_digest(course.submitted_dir)
    run = grade_class(course, jobs=2, force=True, cell_timeout_s=GRADING_CELL_TIMEOUT_S, progress=False)
    return course, run, before


@pytest.fixture(scope="session")
def example_class_unsandboxed(tmp_path_factory):
    """The same class graded without the sandbox (UNSAFE=1) and with every cell run (EVERYCELL=1: the
    instructor cells marked grading="skip" too). Also with 2 jobs: one job is exercised by
    test_class_runs, and two halve the time of the slowest fixture of the suite."""
    course = Course(tmp_path_factory.mktemp("unsandboxed") / "course")
    build_example_class(assignments(), course.submitted_dir)
    run = grade_class(course, jobs=2, force=True, cell_timeout_s=GRADING_CELL_TIMEOUT_S, progress=False, unsafe=True,
                      every_cell=True)
    return course, run


def unzipped_student_kit(folder: Path) -> Path:
    """The student zip, built from notebooks/ and unzipped into `folder` as a student would; returns
    its notebooks folder (beside it: data/)."""
    import zipfile

    from coursekit.paths import STUDENT_RELEASE_DIR
    from coursekit.releases import build_student_zip

    archive = build_student_zip(sorted(STUDENT_RELEASE_DIR.glob("*.ipynb")), folder / "student.zip")
    zipfile.ZipFile(archive).extractall(folder)
    return folder / "fm-exercises" / "notebooks"


def region_only_lines(assignment: str, begin: str, end: str, min_length: int = 20) -> list[str]:
    """Distinctive lines that the source has only inside `begin`/`end` regions (solutions, hidden tests).

    A line that also stands outside such a region (a shared `with warnings.catch_warnings():`, a
    demo cell that repeats a formula) is visible anyway, so it proves no leak.
    """
    from coursekit.paths import source_script
    from coursekit.sources import notebook_from_script

    inside_lines, outside_lines, inside = [], set(), False
    for cell in notebook_from_script(source_script(assignment)).cells:
        for line in cell.source.split("\n"):
            if begin in line:
                inside = True
            elif end in line:
                inside = False
            elif inside:
                inside_lines.append(line.strip())
            else:
                outside_lines.add(line.strip())
    return [line for line in inside_lines
            if len(line) >= min_length and not line.startswith("#") and line not in outside_lines]


def visible_text(page: str) -> str:
    """What a browser shows of an HTML page (scripts and styles dropped, entities decoded)."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", page))
