"""Intake: what each student handed in (a folder or an LMS zip); who they are is the roster's (roster.py).

- **One bad entry never stops an intake.** A zip entry whose path leaves the archive, a file that
  is not a notebook, two files for one assignment, or a name that fits no assignment is reported
  against its student with the rule applied (the latest file by the zip's timestamp, else a
  conflict the student must resolve); the rest of the class is graded.
- **A copy's name is still the notebook.** A notebook handed in under a name that browsers,
  JupyterLab or a file manager give a second copy (`03 (1).ipynb`, `Copy of 03.ipynb`,
  `03-Copy1.ipynb`, `03 copy.ipynb`, `03 - Copy.ipynb`, another case) is graded as `<a>.ipynb`, with
  a note that says so; two such candidates and no `<a>.ipynb` are a conflict the student resolves. An
  assignment folder in another case (`03_Scaling_Laws/`) is that assignment's, with a note.
"""
from __future__ import annotations

import re
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .model import FAILED, MISSING, Course, SubmissionResult, submission_files
from .roster import Roster, student_key

_COPY_NAME = re.compile(r"^(?:copy of\s+)?(?P<stem>.+?)"
                        r"(?:\s*\(\d+\)|-copy\d*|\s+copy(?:\s+\d+)?|\s+-\s+copy)*\.ipynb$", re.IGNORECASE)
_JUNK = ("__MACOSX", ".DS_Store", "Thumbs.db", ".ipynb_checkpoints")


def is_copy_name(file_name: str, assignment: str) -> bool:
    """Whether `file_name` is `<assignment>.ipynb` under a name a second copy gets (see the module docstring)."""
    match = _COPY_NAME.match(file_name)
    return bool(match) and match.group("stem").lower() == assignment.lower()


def copy_note(file_name: str, assignment: str) -> str:
    return (f"graded {file_name!r} as {assignment}.ipynb (the notebook's name was changed, as a second download "
            f"or a copy names it: hand it in as {assignment}.ipynb next time)")


def _copy_conflict(names: list[str], assignment: str) -> str:
    return (f"{len(names)} notebooks could be {assignment}.ipynb ({', '.join(names)}): the grader cannot tell which "
            f"one counts; keep one, named {assignment}.ipynb, and hand it in again")


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
    staged = course.state_dir / "intake"  # copies of the submissions whose notebook is graded under its own name
    shutil.rmtree(staged, ignore_errors=True)
    if not submitted_dir.is_dir():
        return intake
    for student_dir in sorted(p for p in submitted_dir.iterdir() if p.is_dir() and p.name not in _JUNK):
        key = roster.add(student_dir.name)
        folders = {p.name: p for p in student_dir.iterdir() if p.is_dir() and p.name not in _JUNK}
        folder_notes = {}
        for assignment in sorted(known - set(folders)):  # `03_Scaling_Laws/`: the folder in another case
            other_case = [name for name in folders if name.lower() == assignment.lower() and name not in known]
            if len(other_case) == 1:
                folders[assignment] = folders.pop(other_case[0])
                folder_notes[assignment] = f"graded folder {other_case[0]!r} as {assignment}"
        for unknown in sorted(set(folders) - known):
            intake.problems.append(SubmissionResult(
                key, unknown, FAILED, f"folder {unknown!r} is not an assignment of this course (expected one of "
                                      f"{', '.join(sorted(known))}): rename the folder"))
        for assignment in sorted(known):
            if assignment not in folders:
                intake.problems.append(SubmissionResult(key, assignment, MISSING, "no submission"))
                continue
            folder = folders[assignment]
            expected = folder / f"{assignment}.ipynb"
            copies = sorted(p.name for p in folder.glob("*.ipynb")
                            if p.is_file() and not p.is_symlink() and is_copy_name(p.name, assignment))
            if assignment in folder_notes:
                intake.notes[(key, assignment)] = folder_notes[assignment]
            if expected.exists() or expected.is_symlink() or not copies:
                intake.submissions.append((key, assignment, folder))  # precheck names what is wrong, if anything
            elif len(copies) > 1:
                intake.problems.append(SubmissionResult(key, assignment, FAILED, _copy_conflict(copies, assignment)))
            else:
                intake.submissions.append((key, assignment, _stage(folder, copies[0], staged / key / assignment, assignment)))
                intake.notes[(key, assignment)] = "; ".join(filter(None, [folder_notes.get(assignment),
                                                                           copy_note(copies[0], assignment)]))
    return intake


def _stage(folder: Path, notebook: str, target: Path, assignment: str) -> Path:
    """A copy of the submission folder with its notebook under the assignment's name (submitted/ is never changed)."""
    for path in submission_files(folder):
        relative = path.relative_to(folder)
        destination = target / (f"{assignment}.ipynb" if relative.as_posix() == notebook else relative)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)
    return target


# ---------------------------------------------------------------------------- LMS zip intake
def _assignment_in(name: str, assignments: list[str]) -> str | None:
    """The assignment a file name is for: `<a>.ipynb`, `<a> (1).ipynb`, `..._<a>.ipynb`, `<a>-final.pdf`."""
    for assignment in sorted(assignments, key=len, reverse=True):
        if re.search(rf"(^|[_/ -]){re.escape(assignment)}([ ._(-]|$)", name):
            return assignment
    return None


def _owner(parts: tuple[str, ...]) -> str | None:
    """The student an entry belongs to: its folder (`alice/...`) or the flat name's first field."""
    if len(parts) >= 2 and parts[-2] not in ("", ".", "..", "extracted"):
        return parts[-2]
    match = re.match(r"^([^_]+)_", parts[-1])
    return match.group(1) if match else None


class IntakeError(ValueError):
    """The intake as a whole cannot be read (an LMS zip that is not a zip): the message says what to do."""


MAX_ZIP_ENTRY_MB = 32  # a notebook entry, uncompressed (as submission_checks.MAX_NOTEBOOK_MB)
MAX_ZIP_TOTAL_MB = 2048  # everything taken from one archive, uncompressed
MAX_ZIP_RATIO = 200  # uncompressed : compressed, for an entry over 1 MB (notebooks compress 3-20x)


def _unsafe(name: str, parts: tuple[str, ...]) -> bool:
    """An entry whose path leaves the archive: absolute, a drive, or a climb."""
    return name.startswith("/") or bool(re.match(r"^[A-Za-z]:", name)) or ".." in parts


def _entry_problem(info: zipfile.ZipInfo, taken_mb: float) -> str:
    """Why an entry is not unpacked at all ('' if it may be), from its header."""
    size_mb = info.file_size / (1 << 20)
    if size_mb > MAX_ZIP_ENTRY_MB:
        return (f"{info.filename} is {size_mb:.0f} MB unpacked, over the grader's {MAX_ZIP_ENTRY_MB} MB: clear the "
                "notebook's outputs (Edit > Clear Outputs of All Cells), save, and hand it in again")
    if info.file_size > 1 << 20 and info.file_size > MAX_ZIP_RATIO * max(1, info.compress_size):
        return (f"{info.filename} unpacks {info.file_size // max(1, info.compress_size)} times larger than it is "
                "stored, which no notebook does: hand in the notebook itself")
    if taken_mb + size_mb > MAX_ZIP_TOTAL_MB:
        return (f"{info.filename} was not unpacked: the archive passed the grader's {MAX_ZIP_TOTAL_MB} MB in all; "
                "a TA grades the rest from a second export")
    return ""


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """An entry's bytes, read in pieces and never more than its header says (OSError if damaged)."""
    chunks, size = [], 0
    try:
        with archive.open(info) as handle:
            while chunk := handle.read(1 << 20):
                size += len(chunk)
                if size > info.file_size or size > MAX_ZIP_ENTRY_MB << 20:
                    raise OSError("it unpacks larger than its header says")
                chunks.append(chunk)
    except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError, RuntimeError) as error:
        raise OSError(str(error) or type(error).__name__) from None
    except __import__("zlib").error as error:
        raise OSError(f"it does not decompress ({error})") from None
    return b"".join(chunks)


def collect_zip(course: Course, roster: Roster, zip_path: Path) -> Intake:
    """Unpack an LMS export into .grading/lms/submitted/<key>/<assignment>/, entry by entry.

    Each entry is read on its own: one that is damaged, too large or a decompression bomb is
    reported against its student, and the rest are graded. An entry whose path leaves the archive
    is refused; it is reported against its student only where that student also has a proper
    entry (an absolute path names no student: it never makes one up)."""
    target = course.state_dir / "lms" / "submitted"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    intake = Intake(target)
    assignments = course.assignments()
    candidates: dict[tuple[str, str], list[tuple[zipfile.ZipInfo, str]]] = {}
    others: dict[str, list[str]] = {}
    unowned: list[str] = []
    refused: list[tuple[str | None, str]] = []  # (owner if it names one, entry name)
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as error:
        raise IntakeError(f"{zip_path} cannot be read as a zip archive ({error}): download the LMS export again") from None
    with archive:
        for info in archive.infolist():
            name = info.filename.replace("\\", "/")
            parts = tuple(p for p in PurePosixPath(name).parts if p not in ("", "/"))
            if info.is_dir() or not parts or any(j in parts for j in _JUNK) or parts[-1].startswith("._"):
                continue
            if _unsafe(name, parts):
                absolute = name.startswith("/") or bool(re.match(r"^[A-Za-z]:", name))
                if absolute:  # names no student of its own (`/etc/x.ipynb` is not a student "etc")
                    refused.append((_owner(parts), name))
                elif parts[0] not in ("..", "."):  # `alice/../x`: alice's entry
                    others.setdefault(roster.add(parts[0]), []).append(f"{name} (refused: its path leaves the archive)")
                else:
                    refused.append((None, name))
                continue
            owner = _owner(parts)
            if owner is None or owner in ("..", "."):
                unowned.append(name)
                continue
            key = roster.add(owner)
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
        taken_mb = 0.0
        for (key, assignment), found in sorted(candidates.items()):
            chosen = _choose(found)
            if isinstance(chosen, str):
                intake.problems.append(SubmissionResult(key, assignment, FAILED, chosen))
                continue
            info, file_name = chosen
            problem = _entry_problem(info, taken_mb)
            if not problem:
                try:
                    data = _read_entry(archive, info)
                except OSError as error:
                    problem = (f"{info.filename} is damaged in the LMS export ({error}): download the export again; "
                               "if it stays damaged, hand the notebook in again")
            if problem:
                intake.problems.append(SubmissionResult(key, assignment, FAILED, problem))
                continue
            taken_mb += len(data) / (1 << 20)
            folder = target / key / assignment
            folder.mkdir(parents=True, exist_ok=True)
            renamed = file_name != f"{assignment}.ipynb" and is_copy_name(file_name, assignment)
            (folder / (f"{assignment}.ipynb" if renamed else file_name)).write_bytes(data)
            notes = [copy_note(file_name, assignment)] if renamed else []
            if len(found) > 1:
                notes.insert(0, f"{len(found)} files were handed in; the latest ({_stamp(info)}) was graded")
            if notes:
                intake.notes[(key, assignment)] = "; ".join(notes)
            intake.submissions.append((key, assignment, folder))
    known = {key for key, _ in candidates} | set(others)
    for owner, name in refused:  # never a student of its own: only against one the archive names otherwise
        key = student_key(owner) if owner else None
        if key in known:
            others.setdefault(key, []).append(f"{name} (refused: its path leaves the archive)")
        else:
            intake.notes[("", name)] = f"zip entry {name!r} was refused: its path leaves the archive"
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
