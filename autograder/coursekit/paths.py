"""Where things live: the repository, its releases and the nbgrader course under autograder/."""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
COURSE_ROOT = REPO_ROOT / "autograder"
SOURCE_DIR = COURSE_ROOT / "source"
STUDENT_RELEASE_DIR = REPO_ROOT / "notebooks"
SOLUTION_RELEASE_DIR = REPO_ROOT / "solutions"
DATA_DIR = REPO_ROOT / "data"
BUILD_DIR = REPO_ROOT / "build"
ANSWERS_DIR = REPO_ROOT / "tests" / "answers"
EXAMPLE_CLASS_DIR = REPO_ROOT / "tests" / "example_class"

KERNEL_NAME = "fm-course"
KERNEL_DISPLAY_NAME = "Python (foundation-models course)"
COURSE_ID = "fm-exercises"


def assignments(scripts_dir: Path = SOURCE_DIR) -> list[str]:
    """Assignment ids in course order: every source folder that holds `<id>/<id>.py`.

    COURSE_ASSIGNMENTS=a,b (an environment variable) narrows this to a subset, e.g. to grade or
    test one notebook while another is being written.
    """
    found = sorted(p.parent.name for p in scripts_dir.glob("*/*.py") if p.stem == p.parent.name)
    wanted = [a for a in os.environ.get("COURSE_ASSIGNMENTS", "").split(",") if a]
    return [a for a in found if a in wanted] if wanted else found


def source_script(assignment: str) -> Path:
    """The jupytext percent script that is the single source of truth for an assignment."""
    return SOURCE_DIR / assignment / f"{assignment}.py"


def source_notebook(assignment: str) -> Path:
    """The nbgrader source notebook generated from the script (git-ignored)."""
    return SOURCE_DIR / assignment / f"{assignment}.ipynb"
