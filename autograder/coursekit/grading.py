"""Grade a class: take in the submissions, execute them in parallel sandboxes, keep the gradebook honest.

1. **Check** (serial): the sandbox holds on this machine (else refuse, unless `unsafe`); the
   source notebooks are made from their scripts; the worker processes start (their zygotes'
   imports run meanwhile); the gradebook can be read (else it is set aside and rebuilt); it learns
   the current sources; the manual grades entered since the last run are read, *before* any
   student code runs.
2. **Intake** (see `intake`): a folder or an LMS zip becomes (student key, assignment, folder)
   triples; what cannot be taken is reported against its student. The roster only grows.
3. **Execute** (parallel, `jobs` worker processes, see `workers` and `execution`; or the same jobs on
   a Dask cluster, see `cluster`): each submission through nbgrader's autograde preprocessors, in a sandboxed
   kernel forked from the worker's warm zygote (`warm_kernels`), with known-answer cells, without
   the instructor cells no grade needs (`cell_skipping`); the worker then renders the student's
   feedback page.
4. **Store and merge** (serial, in this process, as each notebook finishes, see `class_grading`):
   the result and the executed notebook are saved at once (a killed run loses only the notebooks
   in flight), and the scores reach the gradebook in batches, one transaction each
   (`gradebook_merge`); a feedback page is rewritten here only if the stored result differs from
   the one the worker rendered.
5. **Restore and report**: the gradebook is made to say exactly what the stored results say
   (every score it held otherwise is listed); the reports cover every student of the roster.

The submitted folder is only read (every job works on a copy). A fingerprint of each submission
and of the assignment's source decides what a re-run must regrade.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable

from .class_grading import ClassGrading, GradeRun
from .gradebook import GradingError
from .model import FAILED, Course, SubmissionResult

__all__ = ["Course", "GradeRun", "GradingError", "SubmissionResult", "grade_class"]

SHIPPING = "of which: submissions read and sent to the cluster, results written back (serial)"


def check_sandbox(unsafe: bool) -> str:
    """What will isolate the kernels; GradingError if nothing can and the TA did not opt out."""
    from .sandbox import probe

    if unsafe:
        return "UNSANDBOXED (UNSAFE=1): student code ran with the grader's rights"
    found = probe()
    if not found.available:
        raise GradingError(f"the grading sandbox is not available: {found.detail}.\nStudent code would run with "
                           "your rights, next to the hidden tests and the gradebook. Fix the sandbox, or grade "
                           "without it at your own risk with `make grade UNSAFE=1` (the report will say so).")
    return f"sandboxed ({found.detail})"


def start_local_workers(course: Course, jobs: int, unsafe: bool):
    """`jobs` worker processes, started before the gradebook is opened: their zygotes import what every
    assignment's read-only cells import (seconds) while this process registers the sources and takes
    in the class. They fork with nbgrader and the feedback module imported (this process needs both)."""
    import importlib

    from .sandbox import write_kernelspec
    from .warm_kernels import preload_modules
    from .workers import WorkerPool

    for module in ("nbgrader.apps.api", f"{__package__}.feedback"):
        importlib.import_module(module)
    kernelspec_dir = None if unsafe else str(write_kernelspec(course.state_dir / "kernelspec"))
    return WorkerPool(jobs, kernelspec_dir, preload_modules([course.source_notebook(a) for a in course.assignments()]))


def start_cluster_pool(course: Course, grading: ClassGrading, scheduler: str, unsafe: bool):
    from .cluster import ClusterError, ClusterPool
    from .warm_kernels import preload_modules

    preload = preload_modules([course.source_notebook(a) for a in sorted({j.assignment for j in grading.todo.values()})])
    try:
        return ClusterPool(scheduler, preload, not unsafe, grading.snapshot)
    except ClusterError as error:
        raise GradingError(str(error)) from error


def grade_class(course: Course, jobs: int | None = None, force: bool = False, cell_timeout_s: int | None = None,
                progress: bool = True, unsafe: bool = False, zip_path: Path | None = None,
                every_cell: bool = False, scheduler: str | None = None) -> GradeRun:
    """Autograde every submission (course.submitted_dir, or an LMS zip); write feedback and reports.
    `every_cell` runs the instructor cells that no grade depends on too (they are skipped otherwise).
    `scheduler`: the address of a Dask scheduler whose workers execute the submissions (see `cluster`)
    instead of `jobs` local processes."""
    from .nbgrader_config import CELL_TIMEOUT_S
    from .sandbox_caps import remove_cgroups

    started = time.monotonic()
    steps: dict[str, float] = {}
    clock = [started]

    def step(name: str) -> None:
        now = time.monotonic()
        steps[name] = round(steps.get(name, 0.0) + now - clock[0], 3)
        clock[0] = now

    sandbox = (check_sandbox(unsafe) if not scheduler or unsafe else
               f"sandboxed on the Dask cluster at {scheduler} (every worker checked before the run)")
    step("check the sandbox")
    grading = ClassGrading(course, force, cell_timeout_s or CELL_TIMEOUT_S, unsafe, every_cell)
    grading.convert_sources()
    step("make the source notebooks from their scripts")
    pool = None
    if not scheduler:  # before any thread (tqdm's); stopped at once if there is nothing to grade
        pool = start_local_workers(course, jobs or os.cpu_count() or 1, unsafe)
        step("start the workers (their zygotes import meanwhile)")
    interrupted = False
    try:
        grading.check()
        step("open the gradebook, register the sources")
        grading.take_in(zip_path)
        step("take in the submissions")
        if grading.todo:
            if scheduler:
                pool = start_cluster_pool(course, grading, scheduler, unsafe)
                step("start the workers")
            else:
                pool.keep(len(grading.todo))  # no more workers than notebooks
            interrupted = run_pool(pool, grading, step, progress)
    finally:
        if pool is not None:
            pool.close()
            remove_cgroups(wait_s=5.0)
            step("stop the workers")
            if scheduler:  # within "workers grading": the grader's own part of it
                steps[SHIPPING] = round(pool.shipping_s, 3)
    if grading.todo:
        grading.flush_merge()
        step("merge the last batch into the gradebook (serial)")
    run = grading.wrap_up(started, sandbox, interrupted)
    step("restore the gradebook, write the reports")
    run.steps = steps
    return run


def run_pool(pool, grading: ClassGrading, step: Callable[[str], None], progress: bool) -> bool:
    """Every job of `grading` through `pool`, each result stored and merged as it comes; True if
    Ctrl-C interrupted it (what is graded is kept; the rest is marked for the next run)."""
    from tqdm import tqdm

    bar = tqdm(total=len(grading.todo), desc="grading", unit="notebook", disable=not progress,
               bar_format="{desc}: {n}/{total} |{bar:20}| {elapsed} elapsed, ETA {remaining} {postfix}")

    def on_result(result: SubmissionResult) -> None:
        step("workers grading (the grader waits)")
        grading.finish(result)
        step("store each result, merge it into the gradebook (serial)")
        bar.set_postfix_str(f"last: {result.student}/{result.assignment} {result.status}")
        bar.update(1)

    try:
        pool.run(list(grading.todo.values()), on_result, grading.retry_without_stuck_cell)
        return False
    except KeyboardInterrupt:
        for key, job in grading.todo.items():
            if key not in grading.results or grading.results[key].fingerprint != grading.fingerprints[key]:
                grading.results[key] = SubmissionResult(job.student, job.assignment, FAILED,
                                                        "grading was interrupted before this notebook: "
                                                        "run `make grade` again")
        return True
    finally:
        step("workers grading (the grader waits)")
        bar.close()
