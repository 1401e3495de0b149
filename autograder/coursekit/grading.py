"""Grade a class: find the submissions, execute them in parallel sandboxes, keep the gradebook honest.

1. **Check** (serial): the sandbox holds on this machine (else refuse, unless `unsafe`); the
   gradebook can be read (else it is set aside and rebuilt); it learns the current sources;
   the manual grades entered since the last run are read, *before* any student code runs.
2. **Execute** (parallel, `jobs` worker processes, see `workers` and `execution`): each
   submission in a private nbgrader course, in a sandboxed kernel, with known-answer cells.
3. **Merge** (serial, in this process): nbgrader's `autograde` with execution off stores each
   executed notebook in the course gradebook for the formgrader.
4. **Restore**: the gradebook is made to say exactly what the stored results say; every score
   it held otherwise is reported. Feedback and reports are written from the results.

The submitted folder is only read (every job works on a copy). A fingerprint of each submission
and of the assignment's source decides what a re-run must regrade.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from .gradebook import (GradingError, apply_manual_scores, ensure_gradebook, merge_into_gradebook,
                        read_manual_scores, remerge_from_autograded, restore_scores, sync_assignments)
from .execution import precheck
from .model import FAILED, GRADED, MISSING, NEEDS_REVIEW, Course, Job, SubmissionResult, feedback_path, file_digest

GRADER_VERSION = "2"  # bump when a change to grading must invalidate earlier results

__all__ = ["Course", "GradeRun", "GradingError", "SubmissionResult", "grade_class"]


@dataclass
class GradeRun:
    results: list[SubmissionResult]
    regraded: int
    reused: int
    seconds: float
    sandbox: str = ""  # what isolated the kernels, or why nothing did
    notes: list[str] = field(default_factory=list)  # what the TA should know about the run itself


def find_submissions(course: Course) -> tuple[list[tuple[str, str]], list[SubmissionResult]]:
    """(student, assignment) pairs to grade, and results for what cannot be graded at all."""
    known = set(course.assignments())
    pairs, unusable = [], []
    if not course.submitted_dir.is_dir():
        return pairs, unusable
    for student_dir in sorted(p for p in course.submitted_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
        student = student_dir.name
        folders = {p.name for p in student_dir.iterdir() if p.is_dir() and not p.name.startswith(".")}
        for unknown in sorted(folders - known):
            unusable.append(SubmissionResult(student, unknown, FAILED,
                                             f"folder {unknown!r} is not an assignment of this course "
                                             f"(expected one of {', '.join(sorted(known))})"))
        for assignment in sorted(known):
            if assignment in folders:
                pairs.append((student, assignment))
            else:
                unusable.append(SubmissionResult(student, assignment, MISSING, "no submission"))
    return pairs, unusable


def submission_fingerprint(course: Course, student: str, assignment: str, source_digest: str, sandboxed: bool) -> str:
    folder = course.submitted_dir / student / assignment
    files = [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink() and ".ipynb_checkpoints" not in p.parts]
    mode = "sandboxed" if sandboxed else "unsandboxed"
    return hashlib.sha256(f"{GRADER_VERSION}|{mode}|{source_digest}|{file_digest(files, folder)}".encode()).hexdigest()


def wall_limit(cell_timeout_s: int) -> float:
    """Seconds one notebook may take in all: a few cells at their limit plus kernel start-up."""
    return 30.0 + 4 * cell_timeout_s


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
                progress: bool = True, unsafe: bool = False) -> GradeRun:
    """Autograde every submission under course.submitted_dir; write feedback and reports."""
    from tqdm import tqdm

    from .feedback import write_feedback
    from .nbgrader_config import CELL_TIMEOUT_S
    from .reports import write_reports
    from .sandbox import write_kernelspec
    from .sandbox_caps import remove_cgroups
    from .workers import WorkerPool

    started = time.monotonic()
    jobs = jobs or os.cpu_count() or 1
    cell_timeout_s = cell_timeout_s or CELL_TIMEOUT_S
    sandbox = check_sandbox(unsafe)
    notes = []
    rebuilt = ensure_gradebook(course)
    if rebuilt:
        notes.append(rebuilt)
    digests = sync_assignments(course)
    manual_before, held = read_manual_scores(course)  # before any student code runs
    pairs, results = find_submissions(course)
    snapshot = course.state_dir / "gradebook-snapshot.db"
    shutil.copy(course.gradebook, snapshot)  # workers read locked cells from copies of this
    kernelspec_dir = None if unsafe else str(write_kernelspec(course.state_dir / "kernelspec"))

    todo: list[Job] = []
    fingerprints: dict[tuple[str, str], str] = {}
    reused: set[tuple[str, str]] = set()
    ignored_manual: list[str] = []
    regraded_by_hand: set[tuple[str, str]] = set()  # reused, but a grader changed a written answer's score

    def take_manual(result: SubmissionResult) -> bool:
        """Take the grader's written-answer scores; True if they changed what the result says."""
        key = (result.student, result.assignment)
        if key not in held:  # the gradebook was rebuilt: the stored manual grades stand
            return False
        before = [t.points for t in result.tests]
        ignored_manual.extend(apply_manual_scores(result, manual_before.get(key, {})))
        return before != [t.points for t in result.tests]

    for student, assignment in pairs:
        fingerprint = submission_fingerprint(course, student, assignment, digests[assignment], not unsafe)
        fingerprints[(student, assignment)] = fingerprint
        previous = course.load_result(student, assignment)
        if not force and previous is not None and previous.fingerprint == fingerprint:
            if previous.status == GRADED and (student, assignment) not in held:
                if not remerge_from_autograded(course, previous):
                    previous = None  # its executed notebook is gone too: grade it again
            if previous is not None:
                if take_manual(previous):
                    regraded_by_hand.add((student, assignment))
                course.save_result(previous)
                results.append(previous)
                reused.add((student, assignment))
                continue
        reason = precheck(course, student, assignment)
        if reason:
            result = SubmissionResult(student, assignment, FAILED, reason, fingerprint, sandboxed=not unsafe)
            course.save_result(result)
            results.append(result)
            continue
        todo.append(Job(student, assignment, str(course.submitted_dir / student / assignment),
                        str(course.source_notebook(assignment)), str(snapshot),
                        str(course.state_dir / "work" / f"{student}__{assignment}"),
                        wall_limit_s=wall_limit(cell_timeout_s), cell_timeout_s=cell_timeout_s,
                        sandboxed=not unsafe))

    by_key = {(job.student, job.assignment): job for job in todo}
    # their feedback must be (re)written
    fresh = ({(r.student, r.assignment) for r in results} - reused) | regraded_by_hand

    def finish(result: SubmissionResult) -> None:
        key = (result.student, result.assignment)
        job = by_key[key]
        result.fingerprint = fingerprints[key]
        result.sandboxed = job.sandboxed
        if result.status == GRADED:
            merge_error = merge_into_gradebook(course, result.student, result.assignment,
                                               Path(job.work_dir) / "autograded")
            if merge_error:
                result.status, result.reason, result.tests = FAILED, f"could not save grades: {merge_error}", []
            else:
                previous = course.load_result(*key)
                if key not in held and previous is not None:  # rebuilt gradebook: keep the stored manual grades
                    stored = {t.grade_id: t.manual_score for t in previous.tests if t.manual_score is not None}
                    apply_manual_scores(result, stored)
                take_manual(result)
        elif result.status == NEEDS_REVIEW:  # kept for the TA who reviews it (not in the gradebook)
            executed = Path(job.work_dir) / "autograded" / result.student / result.assignment / f"{result.assignment}.ipynb"
            if executed.exists():
                course.executed_notebook(*key).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(executed, course.executed_notebook(*key))
        course.save_result(result)
        results.append(result)
        fresh.add(key)
        shutil.rmtree(job.work_dir, ignore_errors=True)
        bar.set_postfix_str(f"last: {result.student}/{result.assignment} {result.status}")
        bar.update(1)

    if todo:
        pool = WorkerPool(min(jobs, len(todo)), kernelspec_dir)  # before tqdm's monitor thread: workers fork
        bar = tqdm(total=len(todo), desc="grading", unit="notebook", disable=not progress,
                   bar_format="{desc}: {n}/{total} |{bar:20}| {elapsed} elapsed, ETA {remaining} {postfix}")
        try:
            pool.run(todo, finish)
        finally:
            pool.close()
            bar.close()
            remove_cgroups(wait_s=5.0)

    restored = restore_scores(course, results)
    if restored.corrected:
        notes.append(f"the gradebook held {len(restored.corrected)} score(s) that the grader did not give; "
                     f"restored from the stored results: {', '.join(restored.corrected[:10])}"
                     + (" ..." if len(restored.corrected) > 10 else ""))
    if ignored_manual:
        notes.append("manual scores on autograded tests are not counted (points of tests come from the "
                     f"autograder; fix the test and regrade instead): {', '.join(sorted(set(ignored_manual))[:10])}")
    results.sort(key=lambda r: (r.student, r.assignment))
    stale = [r for r in results if (r.student, r.assignment) in fresh or not feedback_path(course, r).exists()]
    write_feedback(course, stale)
    run = GradeRun(results, len(todo), len(reused), round(time.monotonic() - started, 1), sandbox, notes)
    write_reports(course, run)
    return run
