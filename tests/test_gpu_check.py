"""`make gpu-check` (coursekit.gpu_check) without a GPU: it refuses with exit 2 and checks nothing, and its
cases cover every graded torch function. Cheap: no notebook runs here (the check itself needs a GPU machine)."""
from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from coursekit.gpu_check import CASES, NO_GPU, NO_TENSORS
from coursekit.mutants import load_answers
from coursekit.paths import REPO_ROOT


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU: `make gpu-check` runs the real check")
def test_without_a_gpu_it_says_so_and_exits_2():
    done = subprocess.run([sys.executable, "-m", "coursekit", "gpu-check"], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2, f"exit {done.returncode}, expected 2\n{done.stdout}{done.stderr}"
    assert "no CUDA device" in done.stdout and done.stdout.strip() == NO_GPU, done.stdout + done.stderr


@pytest.mark.parametrize("assignment", sorted(CASES))
def test_cases_cover_every_graded_torch_function(assignment):
    graded = set(load_answers(assignment).TESTS)   # the notebook's graded functions
    checked = [case.function for case in CASES[assignment]]
    assert len(checked) == len(set(checked)), f"a function has two cases: {checked}"
    missing = graded - NO_TENSORS[assignment] - set(checked)
    assert not missing, f"graded torch functions without a GPU case in coursekit/gpu_check.py: {sorted(missing)}"
    not_graded = set(checked) - graded
    assert not not_graded, f"GPU cases for functions that TESTS in tests/answers/{assignment}.py does not list: " \
                           f"{sorted(not_graded)}"
    assert not NO_TENSORS[assignment] & set(checked), "a function is both checked and listed as taking no tensor"
