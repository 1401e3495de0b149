"""What a student meets: notebooks find data/ wherever they are opened, and Validate works."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

from coursekit.example_class import _solution_sources, fill
from coursekit.paths import BUILD_DIR, DATA_DIR, REPO_ROOT, STUDENT_RELEASE_DIR, assignments
from coursekit.releases import build_student_zip, student_notebook
from coursekit.sources import write_notebook

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
    archive = build_student_zip(sorted(STUDENT_RELEASE_DIR.glob("*.ipynb")), tmp_path / "student.zip")
    zipfile.ZipFile(archive).extractall(tmp_path / "laptop")
    unzipped = tmp_path / "laptop" / "fm-exercises"
    assert find_data_from(unzipped / "notebooks") == str((unzipped / "data").resolve())


def test_nbgrader_validate_extension_is_enabled_for_jupyterlab():
    bin_dir = Path(sys.executable).parent
    servers = subprocess.run([bin_dir / "jupyter", "server", "extension", "list"], capture_output=True, text=True)
    assert "nbgrader.server_extensions.validate_assignment" in servers.stdout + servers.stderr
    assert "validate_assignment \x1b[32menabled" in servers.stdout + servers.stderr or \
        "validate_assignment enabled" in servers.stdout + servers.stderr
    labs = subprocess.run([bin_dir / "jupyter", "labextension", "list"], capture_output=True, text=True)
    assert "@jupyter/nbgrader" in labs.stdout + labs.stderr and "enabled" in labs.stdout + labs.stderr


@pytest.mark.parametrize("assignment", assignments()[-1:])
def test_validate_fails_the_stubs_and_passes_the_solution(assignment):
    """nbgrader's Validator (the Validate button) on the release as handed out, and filled in."""
    from nbgrader.validator import Validator

    BUILD_DIR.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=BUILD_DIR) as folder:  # inside the repo: data/ is found
        release = student_notebook(assignment)
        stub_path = Path(folder) / "stub" / f"{assignment}.ipynb"
        solved_path = Path(folder) / "solved" / f"{assignment}.ipynb"
        write_notebook(release, stub_path)
        solutions = _solution_sources(assignment)
        write_notebook(fill(release, solutions, set(solutions)), solved_path)
        stub = Validator().validate(str(stub_path))
        solved = Validator().validate(str(solved_path))
    assert stub.get("failed"), f"Validate should report the stubs' failing tests, got {list(stub)}"
    assert not solved, f"Validate should pass the solution, got {[(k, len(v)) for k, v in solved.items()]}"
