"""nbgrader's autograde preprocessors run in memory (`nbgrader_pass`) against nbgrader's own
`autograde` on the same submission: the same cells, outputs and scores; and the files its kernel
gets are the ones nbgrader copies."""
from __future__ import annotations

import os

import nbformat
from nbgrader.utils import determine_grade, is_grade

from coursekit.nbgrader_config import IGNORED_FILES, course_config
from coursekit.nbgrader_pass import autograde_notebook, copy_other_files
from coursekit.simulated_class import tiny_course


def test_the_kernel_gets_the_files_nbgrader_copies_and_no_link(tmp_path):
    """Data files and folders yes; notebooks, nbgrader's ignored globs (*.py: a student's helper could
    shadow the course's), checkpoints and symbolic links no."""
    submission, kernel_dir = tmp_path / "submission", tmp_path / "kernel"
    for name in ("tiny.ipynb", "data.csv", "sub/x.txt", "helper.py", "notes.md", "other.ipynb",
                 ".ipynb_checkpoints/tiny-checkpoint.ipynb", "__pycache__/helper.cpython-311.pyc", "feedback/a.html"):
        (submission / name).parent.mkdir(parents=True, exist_ok=True)
        (submission / name).write_text(name)
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    os.symlink(outside, submission / "link.txt")
    kernel_dir.mkdir()
    copy_other_files(submission, kernel_dir, IGNORED_FILES)
    copied = sorted(p.relative_to(kernel_dir).as_posix() for p in kernel_dir.rglob("*") if p.is_file())
    assert copied == ["data.csv", "sub/x.txt"]
    assert (kernel_dir / "sub" / "x.txt").read_text() == "sub/x.txt"


def _submission(source: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A student who returns 42.0 (equal to 42, not an int), deletes one test cell and empties the other."""
    nb = nbformat.from_dict(source)
    kept = []
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id == "answer":
            cell.source = "def answer():\n    print('computing')\n    return 42.0"
        elif grade_id == "test_value":
            continue  # deleted: nbgrader puts it back
        elif grade_id == "test_type":
            cell.source = "pass  # tampered"
        kept.append(cell)
    nb.cells = kept
    return nb


def _comparable(nb: nbformat.NotebookNode) -> list[tuple]:
    """Each cell's kind, source, nbgrader metadata, outputs (errors by name and value: tracebacks name
    the kernel's temporary files) and, for a graded cell, its score."""
    rows = []
    for cell in nb.cells:
        outputs = [(o.output_type, o.get("text", ""), o.get("ename", ""), o.get("evalue", ""))
                   for o in cell.get("outputs", [])]
        score = determine_grade(cell) if is_grade(cell) else None
        rows.append((cell.cell_type, cell.source, cell.metadata.get("nbgrader"), outputs, score))
    return rows


def test_in_memory_autograde_gives_what_nbgrader_autograde_gives(tmp_path):
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.preprocessors import Execute

    from coursekit.gradebook import write_assignments_snapshot

    course = tiny_course(tmp_path / "tiny").course
    submitted = course.submitted_dir / "stu" / "tiny"
    submitted.mkdir(parents=True)
    nbformat.write(_submission(nbformat.read(course.source_notebook("tiny"), as_version=4)), submitted / "tiny.ipynb")
    snapshot = write_assignments_snapshot(course, tmp_path / "snapshot.db")

    result = NbGraderAPI(config=course.config()).autograde("tiny", "stu", force=True, create=True)
    assert result["success"], result.get("log", "")[-2000:]
    by_nbgrader = nbformat.read(course.root / "autograded" / "stu" / "tiny" / "tiny.ipynb", as_version=4)

    kernel_dir = tmp_path / "kernel"
    kernel_dir.mkdir()
    in_memory = autograde_notebook(nbformat.read(submitted / "tiny.ipynb", as_version=4), student="stu",
                                   assignment="tiny", db_url=f"sqlite:///{snapshot}", kernel_dir=kernel_dir,
                                   config=course_config(tmp_path / "unused"), execute_class=Execute)

    assert _comparable(in_memory) == _comparable(by_nbgrader)
    scores = {c.metadata["nbgrader"]["grade_id"]: determine_grade(c)[0] for c in in_memory.cells if is_grade(c)}
    # both tests restored and run: 42.0 == 42 passes, isinstance(42.0, int) fails; the written answer waits
    assert scores == {"test_value": 2.0, "test_type": 0.0, "why": None}, scores
    assert in_memory.metadata.kernelspec == by_nbgrader.metadata.kernelspec
    assert list(kernel_dir.iterdir()) == [], "the kernel's folder holds no notebook"


def test_schemas_read_and_checked_once_validate_as_nbgrader_does():
    """The cell-metadata validator with its schemas read and checked once raises, for valid and broken
    metadata alike, what `jsonschema.validate` raises with the schema file read afresh."""
    import copy
    import json
    import os

    import jsonschema
    from nbgrader.nbgraderformat import MetadataValidator, common

    from coursekit.nbgrader_pass import read_and_check_schemas_once
    from coursekit.paths import assignments, source_script
    from coursekit.sources import notebook_from_script

    def fresh(version: int) -> dict:
        with open(os.path.join(common.root, f"v{version}.json")) as handle:
            return json.load(handle)

    def outcome(check, meta: dict):
        try:
            check(meta)
        except jsonschema.ValidationError as error:
            return type(error).__name__, error.message, list(error.absolute_path)
        return None

    metadata = [c.metadata["nbgrader"] for a in assignments()
                for c in notebook_from_script(source_script(a)).cells if "nbgrader" in c.metadata]
    first = metadata[0]
    broken = [{**first, "points": "3"}, {**first, "locked": "yes"}, {k: v for k, v in first.items() if k != "grade_id"},
              {**first, "grade_id": 7}, {**first, "solution": None}, {**first, "extra": 1}]
    read_and_check_schemas_once()
    read_and_check_schemas_once()  # idempotent
    validator = MetadataValidator()
    assert validator.schema == fresh(3) and validator.v1.schema == fresh(1) and validator.v2.schema == fresh(2)
    expected_failures = 0
    for meta in metadata + broken:
        cell = nbformat.v4.new_code_cell("pass", metadata={"nbgrader": copy.deepcopy(meta)})
        by_jsonschema = outcome(lambda m: jsonschema.validate(m, fresh(3)), meta)
        # the base class's check is the schema's (the V3 subclass adds checks of its own, unchanged)
        assert outcome(lambda m: common.BaseMetadataValidator.validate_cell(validator, cell), meta) == by_jsonschema, meta
        expected_failures += by_jsonschema is not None
    assert expected_failures >= 4, "the broken metadata must fail"
