"""The course's one nbgrader configuration.

`autograder/nbgrader_config.py` (read by the nbgrader CLI and the formgrader) and the in-process
API calls in this package both take their settings from `course_config`, so they cannot drift.
"""
from __future__ import annotations

from pathlib import Path

from traitlets.config import Config

from .paths import COURSE_ID, COURSE_ROOT

CELL_TIMEOUT_S = 60
"""Per-cell limit when grading: the slowest solution cell takes a few seconds on 2 cores."""

IGNORED_FILES = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.py", "*.md"]
"""Never copied from source/ to a student's folder: the .py scripts hold solutions and hidden tests."""


def course_config(root: Path = COURSE_ROOT, *, ipc_prefix: Path | None = None) -> Config:
    """nbgrader settings for a course rooted at `root`.

    ipc_prefix: when set, kernels talk over IPC sockets under this absolute path instead of TCP
    ports, which parallel graders would otherwise race for.
    """
    c = Config()
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.course_id = COURSE_ID
    c.CourseDirectory.ignore = IGNORED_FILES
    c.CourseDirectory.db_url = f"sqlite:///{Path(root).resolve() / 'gradebook.db'}"
    c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
    c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
    # A student who deletes or strips a test cell still gets that test run (and loses its points
    # if the function is wrong) instead of the cell turning into "needs manual grading".
    c.OverwriteCells.add_missing_cells = True
    c.Execute.timeout = CELL_TIMEOUT_S
    c.Execute.interrupt_on_timeout = True
    c.Execute.startup_timeout = 120
    if ipc_prefix is not None:
        c.KernelManager.transport = "ipc"
        c.KernelManager.ip = str(ipc_prefix)
    return c
