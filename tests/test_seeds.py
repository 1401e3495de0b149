"""Claims hold over seeds: every notebook whose experiments read `COURSE_SEED` runs top to bottom, its self-checks
included, for seeds 1 to 4 (seed 0, the default, runs in every other test). The self-checks are the asserts in the
experiment cells, which are what the notebook's text claims; a seed that breaks one fails this test."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from coursekit.paths import DATA_DIR, assignments, source_script

SEEDS = (1, 2, 3, 4)
PARALLEL = 2


def seeded_assignments() -> list[str]:
    return [a for a in assignments() if "COURSE_SEED" in source_script(a).read_text()]


@pytest.mark.parametrize("assignment", seeded_assignments())
def test_every_self_check_holds_for_seeds_1_to_4(assignment, tmp_path):
    """The source script is plain Python: run it for each seed (two at a time), as the solution, hidden tests included."""
    script = source_script(assignment)
    # one thread each: two runs at a time on two cores, as the grader runs its kernels
    env = {**os.environ, "COURSE_DATA_DIR": str(DATA_DIR), "MPLBACKEND": "Agg",
           "PYTHONWARNINGS": "ignore", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    failures = []
    for start in range(0, len(SEEDS), PARALLEL):
        runs = {}
        for seed in SEEDS[start:start + PARALLEL]:
            log = tmp_path / f"seed{seed}.log"
            runs[seed] = (subprocess.Popen([sys.executable, str(script)], cwd=tmp_path,
                                           env={**env, "COURSE_SEED": str(seed)},
                                           stdout=log.open("w"), stderr=subprocess.STDOUT), log)
        for seed, (process, log) in runs.items():
            if process.wait(timeout=300) != 0:
                failures.append(f"seed {seed}:\n" + "\n".join(log.read_text().splitlines()[-8:]))
    assert not failures, f"{assignment}: self-checks that do not hold for every seed:\n" + "\n\n".join(failures)
