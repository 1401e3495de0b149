"""The gradebook is wherever the course's `gradebook_url.txt` says (nbgrader's `db_url`, e.g. a
PostgreSQL server): nothing in the pipeline assumes `gradebook.db` in the course folder, and the
workers get the assignments without any student's grades.

No database server runs here: a sqlite file outside the course stands in for one (a grader that
assumed the default file would write, or look for, `gradebook.db` in the course and be caught).
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from coursekit.simulated_class import TINY_ASSIGNMENT
from coursekit.formgrade import prepare
from coursekit.gradebook import GradingError, ensure_gradebook, write_assignments_snapshot
from coursekit.grading import grade_class
from coursekit.model import Course
from coursekit.nbgrader_config import GRADEBOOK_URL_FILE
from coursekit.sources import notebook_from_script


def tiny_class(root: Path, url: str) -> Course:
    """The tiny assignment (answer() -> 42, tests of 2 and 1 points), a right and a wrong student."""
    (root / "scripts" / "tiny").mkdir(parents=True)
    (root / "scripts" / "tiny" / "tiny.py").write_text(TINY_ASSIGNMENT)
    course = Course(root / "course", scripts_dir=root / "scripts")
    course.root.mkdir(parents=True)
    (course.root / GRADEBOOK_URL_FILE).write_text(url + "\n")
    solution = notebook_from_script(root / "scripts" / "tiny" / "tiny.py")
    for student, answer in (("right", "42"), ("wrong", "41.0")):
        nb = nbformat.from_dict(solution)
        for cell in nb.cells:
            cell.source = cell.source.replace("return 42", f"return {answer}")
        (course.submitted_dir / student / "tiny").mkdir(parents=True)
        nbformat.write(nb, course.submitted_dir / student / "tiny" / "tiny.ipynb")
    return course


@pytest.fixture(scope="module")
def graded_elsewhere(tmp_path_factory):
    """The tiny class graded into a sqlite file outside its course: (course, the file, the run)."""
    root = tmp_path_factory.mktemp("elsewhere")
    elsewhere = root / "server" / "grades.sqlite"
    elsewhere.parent.mkdir()
    course = tiny_class(root, f"sqlite:///{elsewhere}")
    return course, elsewhere, grade_class(course, jobs=1, force=True, cell_timeout_s=30, progress=False)


def test_a_class_graded_into_a_gradebook_elsewhere_never_touches_gradebook_db(graded_elsewhere):
    course, elsewhere, run = graded_elsewhere
    points = {r.student: [(t.grade_id, t.points) for t in r.tests] for r in run.results}
    assert points == {"right": [("test_value", 2.0), ("test_type", 1.0), ("why", None)],
                      "wrong": [("test_value", 0.0), ("test_type", 0.0), ("why", None)]}, points
    assert not (course.root / "gradebook.db").exists(), "the grader assumed gradebook.db in the course folder"
    with Gradebook(f"sqlite:///{elsewhere}") as gradebook:
        scores = {(s.student.id, g.name): g.score for s in gradebook.find_assignment("tiny").submissions
                  for n in s.notebooks for g in n.grades}
    assert scores == {("right", "test_value"): 2.0, ("right", "test_type"): 1.0, ("right", "why"): 0.0,
                      ("wrong", "test_value"): 0.0, ("wrong", "test_type"): 0.0, ("wrong", "why"): 0.0}, scores
    prepare(course)  # the formgrader opens it (its config reads the same file)
    assert "course_config(Path(__file__).resolve().parent)" in (course.root / "nbgrader_config.py").read_text()
    assert not (course.root / "gradebook.db").exists()


def test_the_workers_snapshot_holds_the_assignments_and_no_student(graded_elsewhere, tmp_path):
    course, elsewhere, _ = graded_elsewhere
    snapshot = write_assignments_snapshot(course, tmp_path / "snapshot.db")
    with sqlite3.connect(snapshot) as db, sqlite3.connect(elsewhere) as full:
        for table in ("student", "submitted_assignment", "submitted_notebook", "grade", "comment"):
            assert db.execute(f"select count(*) from {table}").fetchone() == (0,), table
            assert full.execute(f"select count(*) from {table}").fetchone()[0] > 0, table
        for table in ("assignment", "notebook", "grade_cells", "solution_cells", "source_cell"):
            assert db.execute(f"select * from {table} order by id").fetchall() == \
                full.execute(f"select * from {table} order by id").fetchall(), table


def test_an_unreadable_database_server_is_named_without_its_password(tmp_path):
    course = Course(tmp_path / "course")
    course.root.mkdir(parents=True)
    (course.root / GRADEBOOK_URL_FILE).write_text("postgresql://grader:s3cret@127.0.0.1:1/course\n")
    assert course.gradebook is None
    with pytest.raises(GradingError) as raised:
        ensure_gradebook(course)
    assert "127.0.0.1:1/course" in str(raised.value) and "s3cret" not in str(raised.value), raised.value


def test_a_new_gradebook_is_the_database_nbgrader_would_make(tmp_path):
    """The grader makes a new gradebook's tables itself (nbgrader asks a new `alembic` process for the
    version: 3 s per course); the schema and the stamped version equal nbgrader's own."""
    from coursekit.gradebook import _create_if_new

    def schema(path: Path) -> tuple:
        with sqlite3.connect(path) as db:
            return (sorted(db.execute("select type, name, sql from sqlite_master")),
                    db.execute("select version_num from alembic_version").fetchall())

    with Gradebook(f"sqlite:///{tmp_path / 'nbgrader.db'}"):
        pass
    _create_if_new(f"sqlite:///{tmp_path / 'ours.db'}")
    assert schema(tmp_path / "ours.db") == schema(tmp_path / "nbgrader.db")
    assert len(schema(tmp_path / "ours.db")[0]) >= 13


def gradebook_rows(path: Path) -> dict[str, list]:
    """Every table's rows, each random id replaced by the name of the row it identifies (nbgrader's
    ids are random: two registrations of the same notebook differ only in them)."""
    with sqlite3.connect(path) as db:
        tables = [name for (name,) in db.execute("select name from sqlite_master where type = 'table'")]
        rows = {}
        for table in tables:
            cursor = db.execute(f"select * from {table}")
            columns = [d[0] for d in cursor.description]
            rows[table] = [dict(zip(columns, row)) for row in cursor.fetchall()]
    names = {row["id"]: f"{table}:{row['name']}" for table, table_rows in rows.items() for row in table_rows
             if "id" in row and "name" in row}
    return {table: sorted(repr(sorted((k, names.get(v, v)) for k, v in row.items())) for row in table_rows)
            for table, table_rows in rows.items()}


def test_registering_the_sources_writes_the_rows_nbgraders_own_generate_assignment_writes(tmp_path):
    """register_sources saves a notebook's cells in one transaction and reads nbgrader's metadata schemas
    once (nbgrader commits after every cell and reads them for every cell): the gradebook's rows are
    those nbgrader's own `generate_assignment` writes, for the course's three sources, first registered
    and registered again after a source changed."""
    from nbgrader.apps.api import NbGraderAPI

    from coursekit.source_registration import convert_sources, register_sources

    courses = {name: Course(tmp_path / name) for name in ("ours", "nbgrader")}
    for course in courses.values():
        digests = convert_sources(course)
        assert len(digests) == 3, digests
    register_sources(courses["ours"], digests)
    for assignment in digests:
        result = NbGraderAPI(config=courses["nbgrader"].config()).generate_assignment(assignment, force=True, create=True)
        assert result["success"], result.get("log", "")[-2000:]
    ours, theirs = (gradebook_rows(c.gradebook) for c in courses.values())
    assert ours == theirs
    assert len(ours["source_cell"]) > 100 and len(ours["grade_cells"]) > 10, {k: len(v) for k, v in ours.items()}

    for course in courses.values():  # a changed test's points: the notebook is removed and saved again
        source = course.source_notebook(assignment)
        grade_id = next(c.metadata.nbgrader["grade_id"] for c in nbformat.read(source, as_version=4).cells
                        if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata.nbgrader.get("solution"))
        nb = nbformat.read(source, as_version=4)
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
                cell.metadata.nbgrader["points"] = 17
        nbformat.write(nb, source)
    register_sources(courses["ours"], {**digests, assignment: "changed"})
    result = NbGraderAPI(config=courses["nbgrader"].config()).generate_assignment(assignment, force=True, create=True)
    assert result["success"], result.get("log", "")[-2000:]
    ours, theirs = (gradebook_rows(c.gradebook) for c in courses.values())
    assert ours == theirs
    assert sum("17.0" in row for row in ours["grade_cells"]) == 1, ours["grade_cells"]


def test_a_changed_script_reaches_the_gradebook_and_an_unchanged_one_is_not_converted_again(tmp_path, monkeypatch):
    """sync_assignments converts a script only when it (or the converting code) changed, or the course's
    source notebook was edited; new points in the script reach the gradebook."""
    import coursekit.sources
    from coursekit.source_registration import sync_assignments

    course = tiny_class(tmp_path, f"sqlite:///{tmp_path / 'grades.sqlite'}")
    first = sync_assignments(course)
    convert = coursekit.sources.notebook_from_script
    calls = []
    monkeypatch.setattr(coursekit.sources, "notebook_from_script", lambda script: calls.append(script) or convert(script))
    assert sync_assignments(course) == first and calls == []
    source = course.source_notebook("tiny")
    source.write_text(source.read_text().replace("answer() is 42", "answer() is 43"))
    assert sync_assignments(course) == first and len(calls) == 1, "an edited source notebook is made again"
    script = tmp_path / "scripts" / "tiny" / "tiny.py"
    script.write_text(script.read_text().replace('"test_value", "grade": true, "points": 2', '"test_value", "grade": true, "points": 5'))
    assert sync_assignments(course)["tiny"] != first["tiny"]
    with Gradebook(course.db_url) as gradebook:
        points = {c.name: c.max_score for c in gradebook.find_notebook("tiny", "tiny").grade_cells}
    assert points["test_value"] == 5.0, points
