"""The roster: who is in the class, under which folder name (a *key*), with names and emails.

- **Student ids and folder names.** Any id an LMS uses (spaces, unicode, dots, brackets) grades
  under a *key*: the id itself where it is a plain name, else a slug of it plus a short hash. The
  roster (`.grading/roster.json`, merged with an optional `roster.csv` of id, name, email) maps
  keys back to ids; every report shows the id.
- **The roster only grows.** Everyone in `roster.csv`, everyone ever graded, and everyone in
  this intake is reported; a zip run adds to and updates the class, it never removes anyone.
"""
from __future__ import annotations

import csv
import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass

from .model import Course

_PLAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


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
