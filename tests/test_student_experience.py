"""What a student meets: notebooks find data/ wherever they are opened, and Validate works."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import pytest

from coursekit.example_class import solution_sources, fill
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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_make_lab_serves_the_validate_button_on_the_student_release():
    """What `make lab` starts (JupyterLab in notebooks/) answers the Validate button's request."""
    port, token = _free_port(), "course-test-token"
    bin_dir = Path(sys.executable).parent
    server = subprocess.Popen(
        [str(bin_dir / "jupyter"), "lab", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
         f"--IdentityProvider.token={token}", "--ServerApp.open_browser=False",
         *(["--allow-root"] if os.geteuid() == 0 else [])],  # as `make lab` does
        cwd=STUDENT_RELEASE_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    headers = {"Authorization": f"token {token}"}
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):  # up to a minute for the server to start
            try:
                urllib.request.urlopen(urllib.request.Request(f"{base}/api/status", headers=headers), timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        assignment = assignments()[-1]
        request = urllib.request.Request(f"{base}/assignments/validate", method="POST", headers=headers,
                                         data=urllib.parse.urlencode({"path": f"{assignment}.ipynb"}).encode())
        reply = json.loads(urllib.request.urlopen(request, timeout=120).read())
    finally:
        server.terminate()
        server.wait(20)
    assert reply.get("success"), f"Validate failed to run: {reply}"
    assert "failed" in reply.get("value", {}), f"Validate should list the stubs' failing tests, got {reply}"


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
        solutions = solution_sources(assignment)
        write_notebook(fill(release, solutions, set(solutions)), solved_path)
        stub = Validator().validate(str(stub_path))
        solved = Validator().validate(str(solved_path))
    assert stub.get("failed"), f"Validate should report the stubs' failing tests, got {list(stub)}"
    assert not solved, f"Validate should pass the solution, got {[(k, len(v)) for k, v in solved.items()]}"
