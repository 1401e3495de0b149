"""Runs over a messy class: a ZIP run adds to the class and never removes anyone, names that break
regexes grade under their own name, every roster student is reported, and a grader killed after k
notebooks leaves no process behind and, restarted, gives the same reports as an uninterrupted run."""
from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path

import nbformat

from coursekit.example_class import expected_autograde_points, fill, solution_sources
from coursekit.grading import grade_class
from coursekit.roster import student_key
from coursekit.model import Course
from coursekit.paths import REPO_ROOT, assignments
from coursekit.releases import student_notebook

from conftest import GRADING_CELL_TIMEOUT_S

ASSIGNMENT = assignments()[-1]


def _notebooks():
    release = student_notebook(ASSIGNMENT)
    solutions = solution_sources(ASSIGNMENT)
    return {"complete": nbformat.writes(fill(release, solutions, set(solutions))), "blank": nbformat.writes(release)}


def _rows(course) -> dict[str, dict]:
    return {row["student"]: row for row in csv.DictReader(open(course.reports_dir / "grades.csv", encoding="utf-8"))}


def test_zip_runs_add_to_the_class_and_odd_names_grade_under_their_own_name(tmp_path):
    notebooks = _notebooks()
    full = expected_autograde_points(ASSIGNMENT, "complete")
    course = Course(tmp_path / "course")
    course.root.mkdir(parents=True)
    (course.root / "roster.csv").write_text("id,name,email\nzed,Zed Z.,zed@example.org\n", encoding="utf-8")
    for student, kind in (("alice", "complete"), ("o'brien (2)", "complete")):
        folder = course.submitted_dir / student / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / f"{ASSIGNMENT}.ipynb").write_text(notebooks[kind])
    first = grade_class(course, jobs=2, cell_timeout_s=GRADING_CELL_TIMEOUT_S, progress=False)
    rows = _rows(course)
    assert rows["o'brien (2)"][ASSIGNMENT] == f"{full:g}", rows["o'brien (2)"]
    assert rows["o'brien (2)"]["folder"] == student_key("o'brien (2)")
    assert rows["zed"][f"{ASSIGNMENT} status"] == "not submitted" and rows["zed"]["email"] == "zed@example.org"
    assert first.regraded == 2

    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as handle:  # a late student, a resubmission, and junk
        handle.writestr(f"Björn Ø_555_assignsubmission_file_{ASSIGNMENT}.ipynb", notebooks["complete"])
        handle.writestr(f"alice_1_assignsubmission_file_{ASSIGNMENT}.ipynb", notebooks["blank"])
        handle.writestr("../../escape.ipynb", notebooks["complete"])
        handle.writestr("carl_9_assignsubmission_file_notes.pdf", "%PDF-1.4")
    second = grade_class(course, jobs=2, cell_timeout_s=GRADING_CELL_TIMEOUT_S, progress=False, zip_path=archive)
    rows = _rows(course)
    assert {"alice", "o'brien (2)", "zed", "Björn Ø", "carl"} <= set(rows), sorted(rows)
    assert rows["o'brien (2)"][ASSIGNMENT] == f"{full:g}", "a student absent from the zip keeps the grade"
    assert rows["alice"][ASSIGNMENT] == "0", "the zip's resubmission replaces the earlier one"
    assert rows["Björn Ø"][ASSIGNMENT] == f"{full:g}"
    assert rows["carl"][f"{ASSIGNMENT} status"] == "not submitted" and "notes.pdf" in rows["carl"]["notes"]
    assert second.regraded == 2 and not (tmp_path / "escape.ipynb").exists()
    summary = (course.reports_dir / "summary.html").read_text(encoding="utf-8")
    assert "carl" in summary and "notes.pdf" in summary, "students who need attention are listed"
    moodle = list(csv.DictReader(open(course.reports_dir / "moodle.csv", encoding="utf-8")))
    assert {r["ID number"] for r in moodle} >= {"alice", "Björn Ø", "zed"}
    canvas = list(csv.reader(open(course.reports_dir / "canvas.csv", encoding="utf-8")))
    assert canvas[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert canvas[1][0].strip() == "Points Possible"


def test_the_arithmetic_of_grades_csv_adds_up(tmp_path):
    course = Course(tmp_path / "course")
    folder = course.submitted_dir / "ann" / ASSIGNMENT
    folder.mkdir(parents=True)
    (folder / f"{ASSIGNMENT}.ipynb").write_text(_notebooks()["complete"])
    grade_class(course, jobs=1, cell_timeout_s=GRADING_CELL_TIMEOUT_S, progress=False)
    row = _rows(course)["ann"]
    for a in assignments():
        assert float(row[a]) == float(row[f"{a} auto"]) + float(row[f"{a} written"])
        assert float(row[f"{a} auto"]) <= float(row[f"{a} auto max"])
    assert float(row["total"]) == sum(float(row[a]) for a in assignments())
    assert float(row["max_total"]) == sum(float(row[f"{a} auto max"]) + float(row[f"{a} written max"]) for a in assignments())
    assert float(row[f"{ASSIGNMENT} auto"]) == expected_autograde_points(ASSIGNMENT, "complete")


def _processes_with_env(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _class(root: Path, size: int) -> Course:
    notebooks = _notebooks()
    course = Course(root)
    for index in range(size):
        folder = course.submitted_dir / f"s{index}" / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / f"{ASSIGNMENT}.ipynb").write_text(notebooks["complete" if index % 2 else "blank"])
    return course


def test_a_killed_grader_leaves_nothing_behind_and_a_restart_gives_the_same_reports(tmp_path, short_temporary):
    size, marker = 5, f"COURSEKIT_TEST_RUN={uuid.uuid4().hex}"
    reference = _class(tmp_path / "reference", size)
    # the reference runs serially: the killed-and-restarted parallel run must match it (JOBS changes no grade)
    grade_class(reference, jobs=1, cell_timeout_s=GRADING_CELL_TIMEOUT_S, progress=False)
    course = _class(tmp_path / "killed", size)
    # the grader's temporary files and its workers' (their zygotes' folders) go in a folder of this test's
    env = {**os.environ, marker.split("=")[0]: marker.split("=")[1], "TMPDIR": str(short_temporary)}
    grader = subprocess.Popen([sys.executable, "-m", "coursekit", "grade", "--course", str(course.root), "--jobs", "2",
                               "--cell-timeout", str(GRADING_CELL_TIMEOUT_S)], cwd=REPO_ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and len(list(course.results_dir.glob("*.json"))) < 2:
            time.sleep(0.2)
        assert grader.poll() is None, "the grader finished before it could be killed"
        stored = len(list(course.results_dir.glob("*.json")))
        assert 2 <= stored < size
        grader.send_signal(signal.SIGKILL)
        grader.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _processes_with_env(marker):
            time.sleep(0.2)
        assert _processes_with_env(marker) == [], "a worker or kernel outlived the killed grader"
        assert not list(short_temporary.iterdir()), "the killed grader's workers left temporary folders"
    finally:
        for pid in _processes_with_env(marker):
            os.kill(pid, signal.SIGKILL)
    restarted = grade_class(course, jobs=2, cell_timeout_s=GRADING_CELL_TIMEOUT_S, progress=False)
    assert restarted.reused >= stored, "what was stored before the kill is not graded again"
    for report in ("grades.csv", "tests.csv", "moodle.csv", "canvas.csv"):
        assert (course.reports_dir / report).read_text() == (reference.reports_dir / report).read_text(), report
