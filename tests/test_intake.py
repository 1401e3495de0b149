"""Intake: an LMS zip or a folder becomes the class, entry by entry; one bad entry never stops it,
every student is accounted for, and any id the LMS uses grades under a safe folder name."""
from __future__ import annotations

import csv
import zipfile

import pytest

from coursekit.intake import collect_zip, is_copy_name, read_folder
from coursekit.roster import Roster, student_key
from coursekit.model import FAILED, MISSING, Course
from coursekit.paths import assignments

FIRST, LAST = assignments()[0], assignments()[-1]
NB = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'


def _zip(path, entries):
    with zipfile.ZipFile(path, "w") as archive:
        for name, text, when in entries:
            archive.writestr(zipfile.ZipInfo(name, date_time=when), text)
    return path


def _collect(tmp_path, entries):
    course = Course(tmp_path / "course")
    roster = Roster(course)
    intake = collect_zip(course, roster, _zip(tmp_path / "export.zip", entries))
    return course, roster, intake


T1, T2 = (2026, 11, 20, 10, 0, 0), (2026, 11, 21, 9, 30, 0)


def test_folder_and_flat_layouts_are_collected(tmp_path):
    _, roster, intake = _collect(tmp_path, [
        (f"alice/{FIRST}.ipynb", NB, T1),
        (f"bob_12345_assignsubmission_file_{FIRST}.ipynb", NB, T1),
        (f"bob_12345_assignsubmission_file_{LAST}.ipynb", NB, T1)])
    taken = {(roster.display(k), a): folder for k, a, folder in intake.submissions}
    assert set(taken) == {("alice", FIRST), ("bob", FIRST), ("bob", LAST)}
    assert (taken[("bob", LAST)] / f"{LAST}.ipynb").read_text() == NB


def test_a_path_that_leaves_the_archive_is_refused_and_reported_against_its_student(tmp_path):
    course, roster, intake = _collect(tmp_path, [
        ("mallory/../../evil.ipynb", NB, T1), (f"mallory/../../../{FIRST}.ipynb", NB, T1),
        (f"alice/{FIRST}.ipynb", NB, T1)])
    assert not (tmp_path / "evil.ipynb").exists() and not list(tmp_path.parent.glob("evil.ipynb"))
    assert [roster.display(k) for k, _, _ in intake.submissions] == ["alice"]
    refused = [p for p in intake.problems if roster.display(p.student) == "mallory"]
    assert refused and all("leaves the archive" in p.reason for p in refused), refused
    written = [p for p in (course.state_dir / "lms").rglob("*") if p.is_file()]
    assert all(course.state_dir in p.parents for p in written)


def test_the_same_student_twice_takes_the_latest_and_says_so(tmp_path):
    _, roster, intake = _collect(tmp_path, [
        (f"carol_1_assignsubmission_file_{FIRST}.ipynb", '{"old": 1}', T1),
        (f"carol/{FIRST}.ipynb", NB, T2)])
    (key, assignment, folder), = intake.submissions
    assert (folder / f"{FIRST}.ipynb").read_text() == NB
    assert "latest" in intake.notes[(key, assignment)]


def test_two_files_with_the_same_time_are_a_conflict_named_for_the_student(tmp_path):
    _, roster, intake = _collect(tmp_path, [
        (f"dave_1_file_{FIRST}.ipynb", NB, T1), (f"dave_1_file_{FIRST} (1).ipynb", NB, T1)])
    assert intake.submissions == []
    problem, = [p for p in intake.problems if p.assignment == FIRST]
    assert problem.status == FAILED and "cannot tell which one counts" in problem.reason
    assert roster.display(problem.student) == "dave"


def test_a_student_with_only_other_files_appears_with_the_reason(tmp_path):
    _, roster, intake = _collect(tmp_path, [
        ("erin_7_assignsubmission_file_report.pdf", "%PDF", T1), (f"erin_7_file_{FIRST}.py", "x = 1", T1)])
    reasons = {p.assignment: p for p in intake.problems if roster.display(p.student) == "erin"}
    assert set(reasons) == set(assignments())
    assert all(p.status == MISSING and "report.pdf" in p.reason and ".ipynb" in p.reason for p in reasons.values())


@pytest.mark.parametrize("student_id", ["Zoë Ångström", "o'brien (2)", ".hidden", "a.b.c", "[x]*?", "x" * 90])
def test_any_id_maps_to_a_safe_folder_name_and_back(tmp_path, student_id):
    key = student_key(student_id)
    assert key.replace("-", "").replace("_", "").isalnum() and len(key) <= 64 and not key.startswith(".")
    course, roster, intake = _collect(tmp_path, [(f"{student_id}/{FIRST}.ipynb", NB, T1)])
    (got, _, _), = intake.submissions
    assert got == key and roster.display(key) == student_id
    roster.save()
    assert Roster(course).display(key) == student_id, "the mapping survives the run"


def test_folder_intake_keeps_dot_and_bracket_ids_and_reports_unknown_folders(tmp_path):
    course = Course(tmp_path / "course")
    for student in (".dotted", "ann (2)"):
        (course.submitted_dir / student / FIRST).mkdir(parents=True)
    (course.submitted_dir / "ann (2)" / f"{FIRST}-final").mkdir()
    roster = Roster(course)
    intake = read_folder(course, roster, course.submitted_dir)
    assert {roster.display(k) for k, _, _ in intake.submissions} == {".dotted", "ann (2)"}
    unknown = [p for p in intake.problems if p.assignment == f"{FIRST}-final"]
    assert unknown and "not an assignment" in unknown[0].reason and "rename" in unknown[0].reason


def test_roster_csv_adds_names_emails_and_students_who_handed_in_nothing(tmp_path):
    course = Course(tmp_path / "course")
    course.root.mkdir(parents=True)
    with open(course.root / "roster.csv", "w", newline="") as handle:
        csv.writer(handle).writerows([["id", "name", "email"], ["frank", "Frank F.", "f@example.org"]])
    roster = Roster(course)
    assert roster.students[student_key("frank")].email == "f@example.org"


def test_grade_refuses_a_zip_that_is_not_one_with_a_clear_message(tmp_path, capsys):
    from coursekit.cli import main

    bogus = tmp_path / "export.zip"
    bogus.write_text("not a zip")
    assert main(["grade", "--course", str(tmp_path / "course"), "--zip", str(bogus)]) == 2
    assert "is not a zip file" in capsys.readouterr().err


def test_grade_without_submissions_says_where_to_put_them(tmp_path, capsys):
    from coursekit.cli import main

    assert main(["grade", "--course", str(tmp_path / "course")]) == 2
    assert "no submissions" in capsys.readouterr().err


def _patch_central_directory(path, name: str, **fields) -> None:
    """Rewrite fields of one entry's central-directory record in place (a damaged or lying archive)."""
    import struct

    data = bytearray(path.read_bytes())
    position = 0
    while True:
        position = data.find(b"PK\x01\x02", position)
        assert position >= 0, name
        length = struct.unpack_from("<H", data, position + 28)[0]
        if data[position + 46:position + 46 + length].decode() == name:
            break
        position += 4
    offsets = {"crc": (16, "<I"), "file_size": (24, "<I")}
    for field, value in fields.items():
        offset, form = offsets[field]
        struct.pack_into(form, data, position + offset, value)
    path.write_bytes(bytes(data))


def test_a_damaged_entry_costs_its_student_only(tmp_path):
    """A bad CRC is reported against its student with what to do; the other entries are graded."""
    course = Course(tmp_path / "course")
    archive = _zip(tmp_path / "export.zip", [(f"alice/{FIRST}.ipynb", NB, T1), (f"bob/{FIRST}.ipynb", NB, T1)])
    _patch_central_directory(archive, f"bob/{FIRST}.ipynb", crc=0xDEADBEEF)
    roster = Roster(course)
    intake = collect_zip(course, roster, archive)
    assert [roster.display(k) for k, _, _ in intake.submissions] == ["alice"]
    problem, = [p for p in intake.problems if roster.display(p.student) == "bob"]
    assert problem.status == FAILED and "damaged" in problem.reason and "download the export again" in problem.reason


def test_a_zip_bomb_is_refused_without_being_unpacked(tmp_path):
    """An entry over the size cap, or one that unpacks 200 times its stored size, is refused from its header;
    one whose header understates its size is cut off at what the header says and reported as damaged."""
    import resource

    course = Course(tmp_path / "course")
    zeros = '{"cells": [], "pad": "' + "0" * 60_000_000 + '"}'
    ratio = '{"cells": [], "pad": "' + "0" * 5_000_000 + '"}'
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as handle:
        handle.writestr(zipfile.ZipInfo(f"big/{FIRST}.ipynb", date_time=T1), zeros, compress_type=zipfile.ZIP_DEFLATED)
        handle.writestr(zipfile.ZipInfo(f"bomb/{FIRST}.ipynb", date_time=T1), ratio, compress_type=zipfile.ZIP_DEFLATED)
        handle.writestr(zipfile.ZipInfo(f"liar/{FIRST}.ipynb", date_time=T1), ratio, compress_type=zipfile.ZIP_DEFLATED)
        handle.writestr(zipfile.ZipInfo(f"alice/{FIRST}.ipynb", date_time=T1), NB)
    _patch_central_directory(archive, f"liar/{FIRST}.ipynb", file_size=4_000)
    roster = Roster(course)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    intake = collect_zip(course, roster, archive)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    reasons = {roster.display(p.student): p.reason for p in intake.problems if p.assignment == FIRST}
    assert "over the grader's 32 MB" in reasons["big"], reasons
    assert "times larger than it is stored" in reasons["bomb"], reasons
    assert "damaged" in reasons["liar"], reasons
    assert [roster.display(k) for k, _, _ in intake.submissions] == ["alice"]
    assert grown_mb < 20, f"the intake grew by {grown_mb:.0f} MB reading a zip bomb"


def test_an_absolute_path_makes_no_student(tmp_path):
    _, roster, intake = _collect(tmp_path, [("/etc/evil/03_scaling_laws.ipynb", NB, T1), (f"C:/x/{FIRST}.ipynb", NB, T1),
                                            (f"alice/{FIRST}.ipynb", NB, T1)])
    assert set(roster.students) == {"alice"}, f"an absolute path made up a student: {sorted(roster.students)}"
    assert any("leaves the archive" in note for note in intake.notes.values()), intake.notes


def test_a_file_that_is_not_a_zip_stops_with_a_reason(tmp_path):
    from coursekit.intake import IntakeError

    course = Course(tmp_path / "course")
    (tmp_path / "export.zip").write_text("not a zip")
    with pytest.raises(IntakeError, match="cannot be read as a zip archive"):
        collect_zip(course, Roster(course), tmp_path / "export.zip")


@pytest.mark.parametrize("name", [f"{FIRST}.ipynb", f"{FIRST} (1).ipynb", f"{FIRST}(2).ipynb", f"Copy of {FIRST}.ipynb",
                                  f"{FIRST}-Copy1.ipynb", f"{FIRST} copy.ipynb", f"{FIRST} copy 2.ipynb",
                                  f"{FIRST} - Copy.ipynb", f"{FIRST.upper()}.IPYNB", f"copy of {FIRST} (3).ipynb"])
def test_the_names_a_second_copy_gets_are_the_notebook(name):
    assert is_copy_name(name, FIRST)


@pytest.mark.parametrize("name", [f"{FIRST}-final.ipynb", f"my_{FIRST}.ipynb", f"{FIRST}.py", f"{FIRST}_v2.ipynb",
                                  f"{LAST}.ipynb", f"{FIRST} (1).ipynb.txt", "Copy of .ipynb"])
def test_other_names_are_not(name):
    assert not is_copy_name(name, FIRST)


def _folder_submission(course, student, files):
    folder = course.submitted_dir / student / FIRST
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def test_a_folder_notebook_under_a_copy_name_is_graded_as_the_notebook_with_a_note(tmp_path):
    course = Course(tmp_path / "course")
    folder = _folder_submission(course, "erin", {f"{FIRST} (1).ipynb": NB, "my_plot.png": "png"})
    before = sorted(p.name for p in folder.iterdir())
    roster = Roster(course)
    intake = read_folder(course, roster, course.submitted_dir)
    (key, assignment, staged), = [s for s in intake.submissions if s[1] == FIRST]
    assert (staged / f"{FIRST}.ipynb").read_text() == NB and (staged / "my_plot.png").read_text() == "png"
    assert sorted(p.name for p in folder.iterdir()) == before, "the submitted folder was changed"
    assert course.state_dir in staged.parents
    assert f"graded '{FIRST} (1).ipynb' as {FIRST}.ipynb" in intake.notes[(key, assignment)]


def test_two_copy_names_and_no_notebook_are_a_conflict_with_the_reason(tmp_path):
    course = Course(tmp_path / "course")
    _folder_submission(course, "finn", {f"{FIRST} (1).ipynb": NB, f"Copy of {FIRST}.ipynb": NB})
    intake = read_folder(course, Roster(course), course.submitted_dir)
    assert not [s for s in intake.submissions if s[1] == FIRST]
    (problem,) = [p for p in intake.problems if p.assignment == FIRST]
    assert problem.status == FAILED and "2 notebooks could be" in problem.reason
    assert f"{FIRST} (1).ipynb" in problem.reason and f"named {FIRST}.ipynb" in problem.reason


def test_the_notebook_under_its_own_name_wins_over_copies(tmp_path):
    course = Course(tmp_path / "course")
    folder = _folder_submission(course, "gus", {f"{FIRST}.ipynb": NB, f"{FIRST} (1).ipynb": '{"old": 1}'})
    intake = read_folder(course, Roster(course), course.submitted_dir)
    assert [s[2] for s in intake.submissions if s[1] == FIRST] == [folder] and not intake.notes


def test_a_zip_entry_under_a_copy_name_is_unpacked_as_the_notebook(tmp_path):
    _, _, intake = _collect(tmp_path, [(f"hana/{FIRST} (1).ipynb", NB, T1)])
    (key, assignment, folder), = intake.submissions
    assert [p.name for p in folder.iterdir()] == [f"{FIRST}.ipynb"]
    assert "as " + f"{FIRST}.ipynb" in intake.notes[(key, assignment)]


def test_an_assignment_folder_in_another_case_is_graded_with_a_note(tmp_path):
    course = Course(tmp_path / "course")
    folder = course.submitted_dir / "ivy" / FIRST.upper()
    folder.mkdir(parents=True)
    (folder / f"{FIRST.upper()}.ipynb").write_text(NB)
    intake = read_folder(course, Roster(course), course.submitted_dir)
    (key, assignment, staged), = [s for s in intake.submissions if s[1] == FIRST]
    assert (staged / f"{FIRST}.ipynb").read_text() == NB and not [p for p in intake.problems if p.status == FAILED]
    note = intake.notes[(key, assignment)]
    assert f"graded folder {FIRST.upper()!r} as {FIRST}" in note and f"as {FIRST}.ipynb" in note, note
