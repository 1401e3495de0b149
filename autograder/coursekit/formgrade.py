"""`make formgrade [COURSE=...]`: nbgrader's formgrader on a graded course, for the written answers.

JupyterLab starts in the course folder (the formgrader only sees a course under the server's root),
on 127.0.0.1 with a token, and lands on /formgrader. The course's server extension
(`formgrader_extension`) adds the rubrics, local MathJax and the switched-off pipeline actions.
"""
from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

from .model import Course
from .nbgrader_config import no_exchange_root
from .paths import COURSE_ROOT, REPO_ROOT

COURSE_CONFIG = '''"""Written by `make formgrade`: the formgrader reads this course's nbgrader settings here."""
from pathlib import Path

from coursekit.nbgrader_config import course_config

c = get_config()  # noqa: F821 (provided by nbgrader)
c.merge(course_config(Path(__file__).resolve().parent))
'''
COURSE_CONFIG_HEADER = COURSE_CONFIG.splitlines()[0]


class FormgradeError(RuntimeError):
    """The course cannot be opened in the formgrader (with what to do about it)."""


def course_argument(course: Course) -> str:
    """How a TA names this course on the make command line ('' for the default course)."""
    root = course.root.resolve()
    if root == COURSE_ROOT.resolve():
        return ""
    try:
        return f" COURSE={root.relative_to(REPO_ROOT)}"
    except ValueError:
        return f" COURSE={root}"


def prepare(course: Course) -> None:
    """Check the course was graded, and give it the nbgrader settings the formgrader reads."""
    if course.gradebook is not None and not course.gradebook.exists():  # (a database server: see grading)
        raise FormgradeError(f"{course.root} holds no graded class (no gradebook.db): run `make grade"
                             f"{course_argument(course)}` first (or `make demo`, then COURSE=build/demo/course).")
    config = course.root / "nbgrader_config.py"
    if not config.exists() or config.read_text().startswith(COURSE_CONFIG_HEADER):  # ours: keep it current
        config.write_text(COURSE_CONFIG)
    no_exchange_root(course.root).mkdir(parents=True, exist_ok=True)


def server_command(course: Course, port: int, token: str, open_browser: bool) -> list[str]:
    command = [sys.executable, "-m", "jupyterlab", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
               f"--ServerApp.root_dir={course.root.resolve()}", f"--IdentityProvider.token={token}",
               "--LabApp.default_url=/formgrader", f"--ServerApp.open_browser={open_browser}",
               "--ServerApp.jpserver_extensions=coursekit.formgrader_extension=True"]
    if os.geteuid() == 0:  # containers and CI machines often run as root
        command.append("--allow-root")
    return command


def serve(course: Course, port: int = 8889, token: str | None = None, open_browser: bool = True) -> subprocess.Popen:
    """Start the formgrader's server for `course` (the caller waits for it or stops it)."""
    prepare(course)
    token = token or secrets.token_hex(24)
    print(f"formgrader for {course.root}: http://127.0.0.1:{port}/formgrader?token={token}", flush=True)
    return subprocess.Popen(server_command(course, port, token, open_browser), cwd=course.root)


def main(course_root: Path, port: int, open_browser: bool) -> int:
    course = Course(course_root)
    try:
        server = serve(course, port=port, open_browser=open_browser)
    except FormgradeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: server.terminate())  # stopping `make formgrade` stops the server
    try:
        return server.wait()
    except KeyboardInterrupt:  # JupyterLab got the Ctrl-C too and asks to confirm: stop it for good
        server.terminate()
        return server.wait()
