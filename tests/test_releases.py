"""notebooks/ and solutions/ are up to date, deterministic, and leak nothing."""
from __future__ import annotations

import zipfile

import nbformat
import pytest
from nbgrader.utils import is_solution

from coursekit.paths import REPO_ROOT, SOLUTION_RELEASE_DIR, STUDENT_RELEASE_DIR, assignments
from coursekit.releases import STUDENT_KIT, build_student_zip, solution_notebook, student_notebook

from conftest import region_only_lines

ASSIGNMENTS = assignments()


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_committed_student_release_is_up_to_date(assignment):
    committed = STUDENT_RELEASE_DIR / f"{assignment}.ipynb"
    assert committed.exists(), f"{committed} is missing: run `make release`"
    assert committed.read_text() == nbformat.writes(student_notebook(assignment)) + "\n", \
        f"{committed} is out of date with its source: run `make release` and commit"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_committed_solution_release_is_up_to_date(assignment):
    committed = SOLUTION_RELEASE_DIR / f"{assignment}.ipynb"
    assert committed.exists(), f"{committed} is missing: run `make solutions`"
    assert committed.read_text() == nbformat.writes(solution_notebook(assignment)) + "\n", \
        f"{committed} is out of date with its source: run `make solutions` and commit"


def test_releases_hold_only_release_notebooks():
    assert sorted(p.stem for p in STUDENT_RELEASE_DIR.glob("*.ipynb")) == ASSIGNMENTS
    assert sorted(p.stem for p in SOLUTION_RELEASE_DIR.glob("*.ipynb")) == ASSIGNMENTS


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_solution_or_hidden_test_line_in_the_student_release(assignment):
    text = (STUDENT_RELEASE_DIR / f"{assignment}.ipynb").read_text()
    nb = nbformat.reads(text, as_version=4)
    sources = {line.strip() for c in nb.cells for line in c.source.split("\n")}
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS"):
        assert marker not in text, f"notebooks/{assignment}.ipynb contains {marker!r}"
    leaked = [line for line in region_only_lines(assignment, "### BEGIN SOLUTION", "### END SOLUTION") if line in sources]
    assert not leaked, f"solution lines in notebooks/{assignment}.ipynb: {leaked[:3]}"
    leaked = [line for line in region_only_lines(assignment, "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
              if line in sources]
    assert not leaked, f"hidden-test lines in notebooks/{assignment}.ipynb: {leaked[:3]}"
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "outputs must be cleared"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_release_has_solutions_but_no_hidden_test(assignment):
    text = (SOLUTION_RELEASE_DIR / f"{assignment}.ipynb").read_text()
    nb = nbformat.reads(text, as_version=4)
    sources = {line.strip() for c in nb.cells for line in c.source.split("\n")}
    assert "HIDDEN TESTS" not in text and "BEGIN SOLUTION" not in text
    leaked = [line for line in region_only_lines(assignment, "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
              if line in sources]
    assert not leaked, f"hidden-test lines in solutions/{assignment}.ipynb: {leaked[:3]}"
    solutions = region_only_lines(assignment, "### BEGIN SOLUTION", "### END SOLUTION")
    assert solutions and all(line in sources for line in solutions), "solutions/ must hold every solution line"
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_student_stubs_replace_every_solution_cell(assignment):
    nb = nbformat.read(STUDENT_RELEASE_DIR / f"{assignment}.ipynb", as_version=4)
    for cell in nb.cells:
        if is_solution(cell):
            stub = "raise NotImplementedError(\"`" if cell.cell_type == "code" else "YOUR ANSWER HERE"
            assert stub in cell.source, f"{assignment}/{cell.metadata['nbgrader']['grade_id']} has no stub"
    assert nb.metadata.kernelspec.name == "fm-course"


def test_student_zip_is_repeatable_and_holds_notebooks_with_their_data(tmp_path):
    notebooks = sorted(STUDENT_RELEASE_DIR.glob("*.ipynb"))
    first = build_student_zip(notebooks, tmp_path / "a.zip").read_bytes()
    second = build_student_zip(notebooks, tmp_path / "b.zip").read_bytes()
    assert first == second, "two builds of the zip differ"
    names = zipfile.ZipFile(tmp_path / "a.zip").namelist()
    for nb in notebooks:
        assert f"fm-exercises/notebooks/{nb.name}" in names
    assert "fm-exercises/data/README.md" in names  # how the notebooks find data/
    assert "fm-exercises/data/tinyshakespeare/input.txt" in names
    assert "fm-exercises/data/chinchilla/svg_extracted_data.csv" in names
    kit = {f"fm-exercises/notebooks/{name}" for name in STUDENT_KIT}
    assert kit <= set(names), f"the student kit is incomplete: {sorted(kit - set(names))}"
    # the only Python files are the kit's launcher and Validate's config: no source script, no solution
    assert not any("solutions/" in n or (n.endswith(".py") and n not in kit) for n in names)


def test_the_zip_is_dated_at_the_last_commit_or_source_date_epoch(tmp_path, monkeypatch):
    """A student's file browser shows the release's date (the last commit's, or SOURCE_DATE_EPOCH where a build
    sets it), not a fixed date a year old; the zip stays byte-identical for one date."""
    import subprocess
    import time

    commit = int(subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=REPO_ROOT, capture_output=True, text=True,
                                check=True).stdout)
    notebooks = sorted(STUDENT_RELEASE_DIR.glob("*.ipynb"))
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    dates = {i.date_time for i in zipfile.ZipFile(build_student_zip(notebooks, tmp_path / "a.zip")).infolist()}
    assert dates == {tuple(time.gmtime(commit)[:6])[:5] + (time.gmtime(commit).tm_sec // 2 * 2,)}, dates
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1765000000")
    dates = {i.date_time for i in zipfile.ZipFile(build_student_zip(notebooks, tmp_path / "b.zip")).infolist()}
    assert dates == {(2025, 12, 6, 5, 46, 40)}, dates
