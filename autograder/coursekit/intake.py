"""Intake: who is in the class, and what each student handed in (a folder or an LMS zip).

- **Student ids and folder names.** Any id an LMS uses (spaces, unicode, dots, brackets) grades
  under a *key*: the id itself where it is a plain name, else a slug of it plus a short hash. The
  roster (`.grading/roster.json`, merged with an optional `roster.csv` of id, name, email) maps
  keys back to ids; every report shows the id.
- **The roster only grows.** Everyone in `roster.csv`, everyone ever graded, and everyone in
  this intake is reported; a zip run adds to and updates the class, it never removes anyone.
- **One bad entry never stops an intake.** A zip entry whose path leaves the archive, a file that
  is not a notebook, two files for one assignment, or a name that fits no assignment is reported
  against its student with the rule applied (the latest file by the zip's timestamp, else a
  conflict the student must resolve); the rest of the class is graded.
"""
from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .model import FAILED, MISSING, Course, SubmissionResult

_PLAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_JUNK = ("__MACOSX", ".DS_Store", "Thumbs.db", ".ipynb_checkpoints")


def student_key(student_id: str) -> str:
    """A folder name and nbgrader id for `student_id`: the id where it is plain, else slug + hash."""
    if _PLAIN.match(student_id):
        return student_id
    ascii_name = unicodedata.normalize("NFKD", student_id).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_name).strip("-")[:40] or "student"
    return f"{slug}-{hashlib.sha256(student_id.encode()).hexdigest()[:8]}"


@dataclass
class Student:
    id: str
    name: str = ""
    email: str = ""


class Roster:
    """key -> Student for everyone the course has seen; saved in .grading/roster.json."""

    def __init__(self, course: Course):
        self.course = course
        self.path = course.state_dir / "roster.json"
        self.students: dict[str, Student] = {}
        self.problems: list[str] = []
        if self.path.exists():
            try:
                self.students = {k: Student(**v) for k, v in json.loads(self.path.read_text()).items()}
            except (ValueError, TypeError):
                self.problems.append(f"{self.path.name} could not be read; the roster is rebuilt from this intake")
        self._read_roster_csv()

    def _read_roster_csv(self) -> None:
        path = self.course.root / "roster.csv"
        if not path.exists():
            return
        try:
            with open(path, newline="", encoding="utf-8-sig") as handle:
                rows = list(csv.DictReader(handle))
        except (OSError, UnicodeDecodeError, csv.Error) as error:
            self.problems.append(f"roster.csv could not be read ({error}); fix it and grade again")
            return
        for row in rows:
            fields = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
            student_id = fields.get("id") or fields.get("student") or fields.get("student id") or ""
            if student_id:
                self.add(student_id, name=fields.get("name", ""), email=fields.get("email", ""))

    def add(self, student_id: str, name: str = "", email: str = "") -> str:
        key = student_key(student_id)
        known = self.students.get(key)
        if known is None:
            self.students[key] = Student(student_id, name, email)
        else:
            known.name, known.email = name or known.name, email or known.email
        return key

    def display(self, key: str) -> str:
        return self.students[key].id if key in self.students else key

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps({k: vars(v) for k, v in sorted(self.students.items())}, indent=1,
                                        ensure_ascii=False))


# ---------------------------------------------------------------------------- folder intake
@dataclass
class Intake:
    """What to grade: (key, assignment, folder) triples, and what could not be taken, by student."""

    submitted_dir: Path
    submissions: list[tuple[str, str, Path]] = field(default_factory=list)
    problems: list[SubmissionResult] = field(default_factory=list)
    notes: dict[tuple[str, str], str] = field(default_factory=dict)


def read_folder(course: Course, roster: Roster, submitted_dir: Path) -> Intake:
    """submitted/<student id>/<assignment>/...: every student folder, whatever its name."""
    intake = Intake(submitted_dir)
    known = set(course.assignments())
    if not submitted_dir.is_dir():
        return intake
    for student_dir in sorted(p for p in submitted_dir.iterdir() if p.is_dir() and p.name not in _JUNK):
        key = roster.add(student_dir.name)
        folders = {p.name: p for p in student_dir.iterdir() if p.is_dir() and p.name not in _JUNK}
        for unknown in sorted(set(folders) - known):
            intake.problems.append(SubmissionResult(
                key, unknown, FAILED, f"folder {unknown!r} is not an assignment of this course (expected one of "
                                      f"{', '.join(sorted(known))}): rename the folder"))
        for assignment in sorted(known):
            if assignment in folders:
                intake.submissions.append((key, assignment, folders[assignment]))
            else:
                intake.problems.append(SubmissionResult(key, assignment, MISSING, "no submission"))
    return intake


# ---------------------------------------------------------------------------- LMS zip intake
def _assignment_in(name: str, assignments: list[str]) -> str | None:
    """The assignment a file name is for: `<a>.ipynb`, `<a> (1).ipynb`, `..._<a>.ipynb`, `<a>-final.pdf`."""
    for assignment in sorted(assignments, key=len, reverse=True):
        if re.search(rf"(^|[_/ -]){re.escape(assignment)}([ ._(-]|$)", name):
            return assignment
    return None


def _owner(parts: tuple[str, ...]) -> str | None:
    """The student an entry belongs to: its folder (`alice/...`) or the flat name's first field."""
    if ".." in parts:  # refused below; still reported against the folder it came from
        return parts[0] if parts[0] not in ("..", ".") else None
    if len(parts) >= 2 and parts[-2] not in ("", ".", "..", "extracted"):
        return parts[-2]
    match = re.match(r"^([^_]+)_", parts[-1])
    return match.group(1) if match else None


def collect_zip(course: Course, roster: Roster, zip_path: Path) -> Intake:
    """Unpack an LMS export into .grading/lms/submitted/<key>/<assignment>/, entry by entry."""
    target = course.state_dir / "lms" / "submitted"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    intake = Intake(target)
    assignments = course.assignments()
    candidates: dict[tuple[str, str], list[tuple[zipfile.ZipInfo, str]]] = {}
    others: dict[str, list[str]] = {}
    unowned: list[str] = []
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            name = info.filename.replace("\\", "/")
            parts = tuple(p for p in PurePosixPath(name).parts if p not in ("", "/"))
            if info.is_dir() or not parts or any(j in parts for j in _JUNK) or parts[-1].startswith("._"):
                continue
            owner = _owner(parts)
            unsafe = name.startswith("/") or ".." in parts or re.match(r"^[A-Za-z]:", name)
            if owner is None or owner in ("..", "."):
                unowned.append(name)
                continue
            key = roster.add(owner)
            if unsafe:
                others.setdefault(key, []).append(f"{name} (refused: its path leaves the archive)")
                continue
            file_name = parts[-1]
            flat = len(parts) < 2 or parts[-2] != owner
            if flat:  # Moodle/Canvas: <student>_<anything>_<file>: keep the file's own name
                found = _assignment_in(file_name, assignments)
                if found:
                    file_name = file_name[file_name.find(found):]
            assignment = _assignment_in(file_name, assignments) if file_name.endswith(".ipynb") else None
            if assignment is None:
                others.setdefault(key, []).append(file_name)
                continue
            candidates.setdefault((key, assignment), []).append((info, file_name))
        for (key, assignment), found in sorted(candidates.items()):
            chosen = _choose(found)
            if isinstance(chosen, str):
                intake.problems.append(SubmissionResult(key, assignment, FAILED, chosen))
                continue
            info, file_name = chosen
            folder = target / key / assignment
            folder.mkdir(parents=True, exist_ok=True)
            (folder / file_name).write_bytes(archive.read(info))
            if len(found) > 1:
                intake.notes[(key, assignment)] = (f"{len(found)} files were handed in; the latest "
                                                   f"({_stamp(info)}) was graded")
            intake.submissions.append((key, assignment, folder))
    taken = {(k, a) for k, a, _ in intake.submissions} | {(r.student, r.assignment) for r in intake.problems}
    for key, files in sorted(others.items()):
        listed = ", ".join(sorted(files)[:6])
        for assignment in assignments:
            if (key, assignment) not in taken:
                intake.problems.append(SubmissionResult(
                    key, assignment, MISSING, f"no notebook for {assignment}; handed in instead: {listed} "
                                              f"(hand in the .ipynb from JupyterLab: File > Download)"))
    for name in unowned:
        intake.notes[("", name)] = f"zip entry {name!r} names no student and was not graded"
    return intake


def _stamp(info: zipfile.ZipInfo) -> str:
    return "%04d-%02d-%02d %02d:%02d:%02d" % info.date_time


def _choose(found: list[tuple[zipfile.ZipInfo, str]]):
    """The one entry to grade (the latest by timestamp), or why none can be chosen."""
    if len(found) == 1:
        return found[0]
    ordered = sorted(found, key=lambda item: item[0].date_time)
    if ordered[-1][0].date_time == ordered[-2][0].date_time:
        names = ", ".join(sorted(item[0].filename for item in found))
        return (f"{len(found)} notebooks for this assignment with the same time ({names}): the grader cannot "
                "tell which one counts; hand in one notebook")
    return ordered[-1]
