"""Shared fixtures: graded courses are expensive, so each is built once per test session."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from coursekit.example_class import build_example_class
from coursekit.grading import Course, GradeRun, grade_class
from coursekit.paths import assignments

GRADING_CELL_TIMEOUT_S = 20  # generous for the slowest solution cell, short for the hung-cell cases


def tree_digest(folder: Path) -> dict[str, str]:
    """relative path -> sha256 of every file under `folder` (to prove nothing was modified)."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def results_by_key(run: GradeRun) -> dict[tuple[str, str], object]:
    return {(r.student, r.assignment): r for r in run.results}


@pytest.fixture(scope="session")
def example_class_parallel(tmp_path_factory):
    """The bundled example class graded with 2 parallel jobs: (course, run, submitted digest before)."""
    course = Course(tmp_path_factory.mktemp("parallel") / "course")
    build_example_class(assignments(), course.submitted_dir)
    before = tree_digest(course.submitted_dir)
    run = grade_class(course, jobs=2, force=True, cell_timeout_s=GRADING_CELL_TIMEOUT_S, progress=False)
    return course, run, before


@pytest.fixture(scope="session")
def example_class_serial(tmp_path_factory):
    """The same class graded with one job."""
    course = Course(tmp_path_factory.mktemp("serial") / "course")
    build_example_class(assignments(), course.submitted_dir)
    run = grade_class(course, jobs=1, force=True, cell_timeout_s=GRADING_CELL_TIMEOUT_S, progress=False)
    return course, run
