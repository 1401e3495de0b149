"""What a student meets: notebooks find data/ wherever they are opened, and Validate judges as the grader does."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
from nbgrader.utils import is_grade, is_solution

from coursekit.example_class import wrong_function
from coursekit.nbgrader_config import CELL_TIMEOUT_S, execution_limits, student_config_text
from coursekit.paths import DATA_DIR, REPO_ROOT, STUDENT_RELEASE_DIR, assignments, source_script
from coursekit.releases import STUDENT_KIT, student_requirements_text

from conftest import unzipped_student_kit

HELPERS = REPO_ROOT / "autograder" / "snippets" / "setup_helpers.py"


def find_data_from(cwd: Path) -> str:
    """Run the notebooks' own find_data_dir() in a fresh interpreter started in `cwd`."""
    code = ("import os\nimport numpy as np\nfrom pathlib import Path\n" + HELPERS.read_text()
            + "\nprint(find_data_dir().resolve())\n")
    env = {k: v for k, v in os.environ.items() if k != "COURSE_DATA_DIR"}
    out = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_notebooks_find_data_in_the_repo_and_in_the_unzipped_student_release(tmp_path):
    assert find_data_from(REPO_ROOT / "notebooks") == str(DATA_DIR.resolve())
    assert find_data_from(REPO_ROOT / "solutions") == str(DATA_DIR.resolve())
    kit = unzipped_student_kit(tmp_path)
    assert find_data_from(kit) == str((kit.parent / "data").resolve())


def validate_button_config(kit: Path, monkeypatch):
    """The configuration nbgrader's Validate button builds in a JupyterLab started in `kit`."""
    from nbgrader.server_extensions.validate_assignment.handlers import ValidateAssignmentHandler

    monkeypatch.chdir(kit)  # the handler reads nbgrader_config.py from the server's working folder
    return ValidateAssignmentHandler.load_config(None)


def test_student_kit_ships_in_the_zip_and_carries_the_graders_limits(tmp_path, monkeypatch):
    kit = unzipped_student_kit(tmp_path)
    for name in STUDENT_KIT:
        assert (kit / name).read_bytes() == (STUDENT_RELEASE_DIR / name).read_bytes(), f"{name} differs in the zip"
    assert (STUDENT_RELEASE_DIR / "nbgrader_config.py").read_text() == student_config_text(), "run `make release`"
    assert (STUDENT_RELEASE_DIR / "requirements.txt").read_text() == student_requirements_text(), "run `make release`"
    config = validate_button_config(kit, monkeypatch)
    assert dict(config.Execute) == execution_limits(CELL_TIMEOUT_S), \
        f"Validate would run with {dict(config.Execute)}, the grader with {execution_limits(CELL_TIMEOUT_S)}"
    assert CELL_TIMEOUT_S > 30, "the limit this guards against: nbgrader's own default is 30 s a cell"


def sources_of(nb, grade_ids: set[str]) -> Counter:
    """The graded cells' sources, counted: Validate names a failed cell by its source alone, and
    unanswered written answers all read "YOUR ANSWER HERE"."""
    return Counter(c.source.strip() for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") in grade_ids)


VALIDATE_AS_THE_BUTTON_DOES = """
import json, sys
from nbgrader.server_extensions.validate_assignment.handlers import ValidateAssignmentHandler
from nbgrader.validator import Validator
try:
    result = Validator(config=ValidateAssignmentHandler.load_config(None)).validate(sys.argv[1])
except Exception as error:  # unreadable, or the kernel died: the button shows the error
    result = {"error": repr(error)}
print(json.dumps(result))
"""


def validate_in(kit: Path, notebook: Path) -> dict:
    """What the Validate button answers for `notebook`, in a process started in `kit` (as JupyterLab is)."""
    # one thread per kernel: one kernel per core at a time (the student's laptop runs one, with every thread)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", VALIDATE_AS_THE_BUTTON_DOES, str(notebook)], cwd=kit,
                         capture_output=True, text=True, timeout=600, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_validate_and_the_grader_agree_on_every_example_submission(example_class_parallel, tmp_path):
    """Each notebook of the example class, validated as the student's Validate button would (the kit's
    config, from the kit's folder): Validate fails exactly the cells that lose points in grading
    (failed tests, unanswered written answers), and a notebook the grader cannot run fails Validate
    too. The renamed hand-in is left out: the name is checked by the grader's intake, not by Validate."""
    course, run, _ = example_class_parallel
    kit = unzipped_student_kit(tmp_path)
    handed_in = {}
    for result in run.results:
        submitted = course.submitted_dir / result.student / result.assignment / f"{result.assignment}.ipynb"
        if submitted.exists():  # renamed: nothing under the expected name for either to check
            copy = kit / "handed-in" / result.student / submitted.name  # beside data/, as on the student's laptop
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_bytes(submitted.read_bytes())
            handed_in[result.student, result.assignment] = (result, copy)
    assert len(handed_in) == len(run.results) - 1, "every example submission but the renamed one is compared"
    # the longest runs first (solved notebooks, first assignments), one kernel per core
    order = sorted(handed_in, key=lambda key: (key[0] not in ("complete", "partial"), key[1]))
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        verdicts = dict(zip(order, pool.map(lambda key: validate_in(kit, handed_in[key][1]), order)))
    for key, (result, copy) in handed_in.items():
        verdict, name = verdicts[key], "/".join(key)
        if "error" in verdict:
            assert result.status == "failed", f"{name}: Validate raised {verdict['error']}, the grader: {result.status}"
            continue
        assert result.status == "graded", f"{name}: Validate ran it, the grader: {result.reason}"
        lost = {t.grade_id for t in result.tests if t.auto_points is not None and t.auto_points < t.max_points}
        failed = Counter(cell["source"] for cell in verdict.get("failed", []))
        assert failed == sources_of(nbformat.read(copy, as_version=4), lost), \
            f"{name}: Validate and the grader disagree (the grader took points off {sorted(lost)})"


def test_an_unwritten_part_stops_a_later_cell_with_the_part_to_finish(example_class_unsandboxed):
    """In the graded notebooks of the blank and partial students, every error in a cell that is neither a test nor
    a stub is FinishFirst, naming a part (no NotImplementedError or NameError from deep inside an experiment);
    only a cell that uses the partial student's wrongly written function (`return None`) may fail otherwise.
    Every notebook whose source calls finish_first is held to this (all three do). Read in the class graded
    with every cell run (EVERYCELL=1): `make grade` does not re-run the guarded experiment cells."""
    course, _ = example_class_unsandboxed
    guarded = [a for a in assignments() if "finish_first({" in source_script(a).read_text()]
    assert guarded, "no notebook uses finish_first"
    for assignment in guarded:
        for student in ("blank", "partial"):
            nb = nbformat.read(course.executed_notebook(student, assignment), as_version=4)
            stopped = 0
            for cell in nb.cells:
                if cell.cell_type != "code" or is_grade(cell) or is_solution(cell):
                    continue
                uses_the_wrong_answer = student == "partial" and f"{wrong_function(assignment)}(" in cell.source
                for output in cell.get("outputs", []):
                    if uses_the_wrong_answer and output.get("output_type") == "error" and output["ename"] != "FinishFirst":
                        continue  # a written but wrong answer breaks what uses it: that is the student's to see
                    if output.get("output_type") == "error":
                        assert output["ename"] == "FinishFirst" and "Part " in output["evalue"], \
                            f"{student}/{assignment}: a cell failed with {output['ename']}: {output['evalue']}\n{cell.source[:200]}"
                        stopped += 1
            assert stopped, f"{student}/{assignment}: no cell stopped, although parts are unwritten"
