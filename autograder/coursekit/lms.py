"""Turn an LMS export (a zip of the class's notebooks) into an nbgrader submitted/ folder.

nbgrader's `zip_collect` does the work; this module only tells it how files are named. Two
layouts are understood, each notebook named after its assignment (a suffix such as " (1)" added
by a browser is tolerated and reported by the grader as a renamed notebook):

- folders:  ``<student>/01_contrastive.ipynb``
- flat:     ``<student>_<anything>_01_contrastive.ipynb`` (Moodle/Canvas style; the student id is
  the text before the first underscore)
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from nbgrader.apps.api import NbGraderAPI  # noqa: F401  (imports the app machinery)
from nbgrader.apps.zipcollectapp import ZipCollectApp
from nbgrader.plugins.zipcollect import FileNameCollectorPlugin
from nbgrader.utils import capture_log
from traitlets import Unicode


class CourseFileCollector(FileNameCollectorPlugin):
    """Collects `<student>/<assignment>*.ipynb` and `<student>_..._<assignment>*.ipynb`."""

    assignment = Unicode("").tag(config=True)

    def collect(self, submitted_file: str):
        if not submitted_file.endswith(".ipynb") or "__MACOSX" in submitted_file:
            return None
        name = os.path.basename(submitted_file)
        folder = os.path.basename(os.path.dirname(submitted_file))
        a = re.escape(self.assignment)
        flat = re.match(rf"^(?P<student_id>[^_/]+)_(?:.*_)?(?P<file_id>{a}[^/]*\.ipynb)$", name)
        if flat:
            return flat.groupdict()
        if re.match(rf"^{a}[^/]*\.ipynb$", name) and folder and folder != "extracted":
            return {"student_id": folder, "file_id": name}
        return None


def collect_zip(course, zip_path: Path) -> Path:
    """Extract `zip_path` with nbgrader zip_collect; return the submitted/ folder it filled."""
    from .nbgrader_config import course_config

    root = course.state_dir / "lms"
    shutil.rmtree(root, ignore_errors=True)
    for assignment in course.assignments():
        archive = root / "downloaded" / assignment / "archive"
        archive.mkdir(parents=True)
        shutil.copy(zip_path, archive / zip_path.name)
        released = root / "release" / assignment
        released.mkdir(parents=True)
        (released / f"{assignment}.ipynb").write_text("{}")  # zip_collect only checks the name
        config = course_config(root)
        config.CourseDirectory.assignment_id = assignment
        config.ZipCollectApp.collector_plugin = CourseFileCollector
        config.CourseFileCollector.assignment = assignment
        config.ZipCollectApp.force = True
        app = ZipCollectApp(config=config)
        app.initialize([])
        result = capture_log(app)
        if not result["success"]:
            raise RuntimeError(f"zip_collect failed for {assignment}:\n{result.get('log', '')[-2000:]}")
    return root / "submitted"
