"""The environment is pinned, described the same way for pip and conda, and CI runs `make test`."""
from __future__ import annotations

import os
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


def test_ci_runs_the_readme_test_command_and_make_test_installs_the_browser_first():
    ci = [line.split("#")[0].strip() for line in (REPO_ROOT / ".ci" / "run").read_text().splitlines()]
    assert "make test" in ci, ci
    assert re.search(r"^```\w*\nmake demo[^\n]*\nmake test\b", (REPO_ROOT / "README.md").read_text(), re.MULTILINE)
    clean = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}  # under make test
    recipe = subprocess.run(["make", "--no-print-directory", "-n", "test"], cwd=REPO_ROOT, capture_output=True,
                            text=True, check=True, env=clean).stdout
    steps = [line.strip() for line in recipe.splitlines() if line.strip()]
    assert ".ci/install-chromium" in steps and ".venv/bin/python -m pytest" in steps, steps
    assert steps.index(".ci/install-chromium") < steps.index(".venv/bin/python -m pytest"), steps


def _install_chromium(tmp_path, uid: str, with_chromium: bool):
    """Run .ci/install-chromium with a PATH of fakes: `id` says `uid`, apt-get and sudo only log their call."""
    fakes = tmp_path / "bin"
    fakes.mkdir(parents=True)
    log = tmp_path / "calls.log"
    for name, body in {"id": f"echo {uid}", "apt-get": f'echo "apt-get $*" >> {log}',
                       **({"chromium": "true"} if with_chromium else {})}.items():
        (fakes / name).write_text(f"#!/bin/sh\n{body}\n")
        (fakes / name).chmod(0o755)
    done = subprocess.run(["/bin/bash", str(REPO_ROOT / ".ci" / "install-chromium")], env={"PATH": str(fakes)},
                          capture_output=True, text=True, timeout=30)
    return done, (log.read_text() if log.exists() else "")


def test_the_browser_install_runs_apt_only_when_chromium_is_missing_and_says_what_to_run_when_it_cannot(tmp_path):
    done, calls = _install_chromium(tmp_path / "present", "0", with_chromium=True)
    assert done.returncode == 0 and not calls and not done.stdout + done.stderr
    done, calls = _install_chromium(tmp_path / "root", "0", with_chromium=False)
    assert done.returncode == 0 and "install -y -qq --no-install-recommends chromium" in calls, (done, calls)
    done, calls = _install_chromium(tmp_path / "user", "1000", with_chromium=False)
    assert done.returncode == 0 and not calls
    assert "sudo apt-get install chromium" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_bare_make_lists_every_target_with_a_line_each():
    out = subprocess.run(["make", "--no-print-directory"], cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout
    for target in ("demo", "test", "release", "solutions", "grade", "formgrade", "lab", "bench"):
        assert re.search(rf"make {target}\s+\S", out), f"`make` does not list {target}: {out}"
