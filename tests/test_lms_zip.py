"""`make grade ZIP=...`: an LMS export is collected into submitted/ by nbgrader's zip_collect."""
from __future__ import annotations

import zipfile

from coursekit.model import Course
from coursekit.lms import collect_zip
from coursekit.paths import assignments


def test_zip_with_folder_and_flat_layouts_is_collected(tmp_path):
    first = assignments()[0]
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr(f"alice/{first}.ipynb", '{"a": 1}')
        handle.writestr(f"bob_12345_assignsubmission_file_{first}.ipynb", '{"b": 2}')
        handle.writestr("carol_999_notes.txt", "not a notebook")
    course = Course(tmp_path / "course")
    submitted = collect_zip(course, archive)
    assert (submitted / "alice" / first / f"{first}.ipynb").read_text() == '{"a": 1}'
    assert (submitted / "bob" / first / f"{first}.ipynb").read_text() == '{"b": 2}'
    assert not (submitted / "carol").exists()


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
