"""The environment is pinned, described the same way for pip and conda, and CI runs `make test`."""
from __future__ import annotations

import re
import subprocess

from coursekit.paths import REPO_ROOT


def pins(lines) -> dict[str, str]:
    found = {}
    for line in lines:
        match = re.match(r"^\s*-?\s*([A-Za-z0-9_.\-]+)==([^\s#]+)", line)
        if match:
            found[match.group(1).lower().replace("_", "-")] = match.group(2)
    return found


def test_every_requirement_is_pinned():
    lines = [l for l in (REPO_ROOT / "requirements.txt").read_text().splitlines() if l.strip() and not l.startswith("#")]
    unpinned = [l for l in lines if "==" not in l]
    assert not unpinned, f"unpinned requirements: {unpinned}"
    assert pins(lines)["torch"] == "2.13.0", "torch must stay the CPU build pinned at 2.13.0"


def test_environment_yml_and_requirements_agree():
    lock = pins((REPO_ROOT / "requirements.txt").read_text().splitlines())
    direct = pins((REPO_ROOT / "requirements.in").read_text().splitlines())
    conda = pins((REPO_ROOT / "environment.yml").read_text().splitlines())
    assert conda == direct, f"environment.yml and requirements.in differ: {set(conda.items()) ^ set(direct.items())}"
    drift = {name: (version, lock.get(name)) for name, version in conda.items() if lock.get(name) != version}
    assert not drift, f"environment.yml pins differ from requirements.txt: {drift}"
    assert "python=3.11" in (REPO_ROOT / "environment.yml").read_text()


def test_ci_runs_the_readme_test_command():
    assert "make test" in (REPO_ROOT / ".ci" / "run").read_text()
    assert "make test" in (REPO_ROOT / "README.md").read_text()


def test_bare_make_lists_every_target_with_a_line_each():
    out = subprocess.run(["make", "--no-print-directory"], cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout
    for target in ("demo", "test", "release", "solutions", "grade", "formgrade", "lab", "bench"):
        assert re.search(rf"make {target}\s+\S", out), f"`make` does not list {target}: {out}"
