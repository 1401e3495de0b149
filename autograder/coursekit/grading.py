"""Grade a class: take in the submissions, execute them in parallel sandboxes, keep the gradebook honest.

1. **Check** (serial): the sandbox holds on this machine (else refuse, unless `unsafe`); the
   gradebook can be read (else it is set aside and rebuilt); it learns the current sources;
   the manual grades entered since the last run are read, *before* any student code runs.
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


def grade_class(course: Course, jobs: int | None = None, force: bool = False, cell_timeout_s: int | None = None,
                progress: bool = True, unsafe: bool = False, zip_path: Path | None = None,
                every_cell: bool = False, scheduler: str | None = None) -> GradeRun:
    """Autograde every submission (course.submitted_dir, or an LMS zip); write feedback and reports.
    `every_cell` runs the instructor cells that no grade depends on too (they are skipped otherwise).
    `scheduler`: the address of a Dask scheduler whose workers execute the submissions (see `cluster`)
    instead of `jobs` local processes."""
    from tqdm import tqdm

    from .nbgrader_config import CELL_TIMEOUT_S
    from .sandbox import write_kernelspec
    from .sandbox_caps import remove_cgroups
    from .workers import WorkerPool

    started = time.monotonic()
    steps: dict[str, float] = {}
    clock = [started]

    def step(name: str) -> None:
        now = time.monotonic()
        steps[name] = round(steps.get(name, 0.0) + now - clock[0], 3)
        clock[0] = now

    jobs = jobs or os.cpu_count() or 1
    sandbox = (check_sandbox(unsafe) if not scheduler or unsafe else
               f"sandboxed on the Dask cluster at {scheduler} (every worker checked before the run)")
    step("check the sandbox")
    grading = ClassGrading(course, force, cell_timeout_s or CELL_TIMEOUT_S, unsafe, every_cell)
    grading.check()
    step("open the gradebook, register the sources")
    grading.take_in(zip_path)
    kernelspec_dir = None if unsafe or scheduler else str(write_kernelspec(course.state_dir / "kernelspec"))
    step("take in the submissions")
    interrupted = False
    if grading.todo:
        from .feedback import exporter

        # the workers inherit a loaded exporter that has rendered the instructor's cells of what they grade
        # (worth it from two submissions on: each page then costs a fraction of a second)
        if len(grading.todo) > 1 and not scheduler:
            exporter(warm_with=[course.source_notebook(a) for a in sorted({j.assignment for j in grading.todo.values()})])
        step("load the feedback exporter")
        from .warm_kernels import preload_modules

        preload = preload_modules([course.source_notebook(a) for a in sorted({j.assignment for j in grading.todo.values()})])
        if scheduler:
            from .cluster import ClusterError, ClusterPool

            try:
                pool = ClusterPool(scheduler, preload, not unsafe, grading.snapshot)
            except ClusterError as error:
                raise GradingError(str(error)) from error
        else:  # before tqdm's thread: workers fork
            pool = WorkerPool(min(jobs, len(grading.todo)), kernelspec_dir, preload)
        step("start the workers")
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
        except KeyboardInterrupt:  # Ctrl-C: keep what is graded, report, say what is left
            interrupted = True
            for key, job in grading.todo.items():
                if key not in grading.results or grading.results[key].fingerprint != grading.fingerprints[key]:
                    grading.results[key] = SubmissionResult(job.student, job.assignment, FAILED,
                                                            "grading was interrupted before this notebook: "
                                                            "run `make grade` again")
        finally:
            step("workers grading (the grader waits)")
            pool.close()
            bar.close()
            remove_cgroups(wait_s=5.0)
            step("stop the workers")
            if scheduler:  # within "workers grading": the grader's own part of it
                steps[SHIPPING] = round(pool.shipping_s, 3)
            grading.flush_merge()
            step("merge the last batch into the gradebook (serial)")
    run = grading.wrap_up(started, sandbox, interrupted)
    step("restore the gradebook, write the reports")
    run.steps = steps
    return run
