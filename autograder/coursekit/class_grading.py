"""One `make grade` run's state between its steps (see `grading` for the steps): the check of the
gradebook and the sources, the intake, the jobs planned for the workers, what each finished job
leaves in the course (stored result, gradebook, feedback), and the restore and reports at the end.
"""
from __future__ import annotations

import hashlib
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from .gradebook import (GradingError, apply_manual_scores, ensure_gradebook, read_manual_grades, restore_scores,
                        write_assignments_snapshot)
from .gradebook_merge import BatchedMerge, entry_for, store_executed_notebook
from .intake import Intake, IntakeError, collect_zip, read_folder
from .model import (FAILED, GRADED, MISSING, NEEDS_REVIEW, Course, Job, SubmissionResult, feedback_path, file_digest,
                    submission_files)
from .roster import Roster, Student
from .source_registration import convert_sources, register_sources
from .submission_checks import precheck

GRADER_VERSION = "5"  # bump when a change to grading must invalidate earlier results (5: feedback showed what the
# grading kernel printed, and a student view is needed for every page; 4: kernels before it could
# read the hidden tests from nbgrader's sanitised notebook in their folder, so their grades are not trusted)

Key = tuple[str, str]  # (student key, assignment)


@dataclass
class GradeRun:
    results: list[SubmissionResult]
    regraded: int
    reused: int
    seconds: float
    sandbox: str = ""  # what isolated the kernels, or why nothing did
    notes: list[str] = field(default_factory=list)  # what the TA should know about the run itself
    students: dict[str, Student] = field(default_factory=dict)  # the roster: key -> id, name, email
    interrupted: bool = False
    steps: dict[str, float] = field(default_factory=dict)  # seconds of this run per step (see `make bench`)


def submission_fingerprint(folder: Path, source_digest: str, sandboxed: bool) -> str:
    files = submission_files(folder)
    mode = "sandboxed" if sandboxed else "unsandboxed"
    return hashlib.sha256(f"{GRADER_VERSION}|{mode}|{source_digest}|{file_digest(files, folder)}".encode()).hexdigest()


def wall_limit(cell_timeout_s: int) -> float:
    """Seconds one notebook may take in all: two cells at their limit, each with the wait for the
    interrupted kernel to answer, kernel start-up, and a replay without a cell that never answered."""
    return 90.0 + 6 * cell_timeout_s


class ClassGrading:
    """One `make grade` run: its state between the steps of the module docstring."""

    def __init__(self, course: Course, force: bool, cell_timeout_s: int, unsafe: bool, every_cell: bool = False):
        self.course, self.force, self.unsafe, self.every_cell = course, force, unsafe, every_cell
        self.cell_timeout_s = cell_timeout_s
        self.notes: list[str] = []
        self.results: dict[Key, SubmissionResult] = {}
        self.todo: dict[Key, Job] = {}
        self.fingerprints: dict[Key, str] = {}
        self.reused: set[Key] = set()
        self.fresh: set[Key] = set()  # their feedback must be (re)written
        self.ignored_manual: list[str] = []
        self.intake_notes: dict[Key, str] = {}
        self.merging = BatchedMerge(course)  # graded results into the gradebook, a batch at a time
        self.digests: dict[str, str] | None = None  # the source notebooks' (see convert_sources)

    # -- 1. check
    def convert_sources(self) -> None:
        """The source notebooks made from their scripts (before the workers start: their zygotes
        import what the sources' read-only cells import)."""
        self.digests = convert_sources(self.course)

    def check(self) -> None:
        rebuilt = ensure_gradebook(self.course)
        if rebuilt:
            self.notes.append(rebuilt)
        if self.digests is None:
            self.convert_sources()
        register_sources(self.course, self.digests)
        self.manual = read_manual_grades(self.course)  # before any student code runs
        # workers read locked cells from copies of this (the assignments only: no student's grades)
        self.snapshot = write_assignments_snapshot(self.course, self.course.state_dir / "gradebook-snapshot.db")
        self.roster = Roster(self.course)
        self.notes += self.roster.problems

    # -- 2. intake
    def take_in(self, zip_path: Path | None) -> None:
        course = self.course
        try:
            intake: Intake = (collect_zip(course, self.roster, zip_path) if zip_path is not None
                              else read_folder(course, self.roster, course.submitted_dir))
        except IntakeError as error:
            raise GradingError(str(error)) from error
        self.intake_notes = {k: v for k, v in intake.notes.items() if k[0]}
        self.notes += [note for k, note in intake.notes.items() if not k[0]]
        stored = {(r.student, r.assignment): r for r in course.stored_results()}
        for problem in intake.problems:  # a placeholder never hides an earlier grade (the roster only grows)
            key = (problem.student, problem.assignment)
            if problem.status == MISSING and key in stored:
                continue
            problem.sandboxed = not self.unsafe
            self._keep(problem, fresh=True, save=problem.status != MISSING)
        for student, assignment, folder in intake.submissions:
            self._plan(student, assignment, folder, stored.get((student, assignment)))
        for key, result in stored.items():  # everyone graded before and absent from this intake
            if key not in self.results and key not in self.todo and result.assignment in self.digests:
                self._take_manual(result)
                self._keep(result, fresh=False)
        for key in self.roster.students:
            for assignment in course.assignments():
                if (key, assignment) not in self.results and (key, assignment) not in self.todo:
                    self._keep(SubmissionResult(key, assignment, MISSING, "no submission"), fresh=True, save=False)

    def _plan(self, student: str, assignment: str, folder: Path, previous: SubmissionResult | None) -> None:
        key = (student, assignment)
        fingerprint = submission_fingerprint(folder, self.digests[assignment], not self.unsafe)
        self.fingerprints[key] = fingerprint
        if not self.force and previous is not None and previous.fingerprint == fingerprint:
            executed = self.course.executed_notebook(student, assignment)
            if previous.status != GRADED or key in self.manual.held or executed.exists():
                changed = self._take_manual(previous)
                self.reused.add(key)
                self._keep(previous, fresh=changed)
                if previous.status == GRADED and key not in self.manual.held:  # a rebuilt gradebook: put it back
                    self._merge_failed(self.merging.add(entry_for(previous)))
                return
            # graded, but neither in the gradebook nor with its executed notebook: grade it again
        reason = precheck(folder, assignment)
        if reason:
            self._keep(SubmissionResult(student, assignment, FAILED, reason, fingerprint, sandboxed=not self.unsafe),
                       fresh=True)
            return
        scores, comments = self._manual_so_far(key, previous)
        job = Job(student, assignment, str(folder), str(self.course.source_notebook(assignment)),
                  str(self.snapshot), str(self.course.state_dir / "work" / f"{student}__{assignment}"),
                  wall_limit_s=wall_limit(self.cell_timeout_s), cell_timeout_s=self.cell_timeout_s,
                  sandboxed=not self.unsafe, skip_unneeded=not self.every_cell,
                  student_name=self.roster.students[student].id if student in self.roster.students else student,
                  manual_scores=scores, manual_comments=comments, intake_note=self.intake_notes.get(key, ""))
        job.feedback_out = str(feedback_path(self.course, SubmissionResult(student, assignment, GRADED)))
        self.todo[key] = job

    def _manual_so_far(self, key: Key, previous: SubmissionResult | None) -> tuple[dict, dict]:
        """The written answers' grades a new result of `key` will carry (see finish)."""
        if key in self.manual.held:
            return self.manual.scores.get(key, {}), self.manual.comments.get(key, {})
        if previous is None:
            return {}, {}
        return ({t.grade_id: t.manual_score for t in previous.tests if t.manual_score is not None},
                {t.grade_id: t.comment for t in previous.tests if t.comment})

    def _take_manual(self, result: SubmissionResult) -> bool:
        """Take the grader's written-answer scores; True if they changed what the result says."""
        key = (result.student, result.assignment)
        if key not in self.manual.held:  # the gradebook was rebuilt: the stored manual grades stand
            return False
        before = [(t.points, t.comment) for t in result.tests]
        self.ignored_manual.extend(apply_manual_scores(result, self.manual.scores.get(key, {}),
                                                       self.manual.comments.get(key, {})))
        return before != [(t.points, t.comment) for t in result.tests]

    def _keep(self, result: SubmissionResult, fresh: bool, save: bool = True) -> None:
        key = (result.student, result.assignment)
        if key in self.intake_notes and self.intake_notes[key] not in result.reason:
            result.reason = "; ".join(filter(None, [result.reason, self.intake_notes[key]]))
        self.results[key] = result
        if save and result.status != MISSING:
            self.course.save_result(result)
        if fresh:
            self.fresh.add(key)

    # -- 4. store, merge, feedback: as each notebook finishes
    def finish(self, result: SubmissionResult) -> None:
        course = self.course
        key = (result.student, result.assignment)
        job = self.todo[key]
        result.fingerprint = self.fingerprints[key]
        result.sandboxed = job.sandboxed
        executed = job.executed_notebook
        merge_started = time.monotonic()
        if result.status == GRADED:
            try:
                store_executed_notebook(course, *key, executed.parent)
            except OSError as error:
                result.status, result.reason, result.tests = FAILED, f"could not save grades: {error}", []
            else:
                previous = course.load_result(*key)
                if key not in self.manual.held and previous is not None:  # rebuilt gradebook: keep stored manual grades
                    stored = {t.grade_id: t.manual_score for t in previous.tests if t.manual_score is not None}
                    apply_manual_scores(result, stored, {t.grade_id: t.comment for t in previous.tests if t.comment})
                self._take_manual(result)
        elif result.status == NEEDS_REVIEW and executed.exists():  # kept for the TA (not in the gradebook)
            store_executed_notebook(course, *key, executed.parent)
        view = course.student_view(*key)
        if result.status == GRADED and job.student_view_file.exists():
            view.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(job.student_view_file, view)
        else:  # an earlier submission's notebook is not this one's
            view.unlink(missing_ok=True)
        shutil.rmtree(job.work_dir, ignore_errors=True)
        job.progress_file.unlink(missing_ok=True)
        self._keep(result, fresh=False)
        if result.status == GRADED:  # into the gradebook with the next batch (a killed run: see _plan)
            self._merge_failed(self.merging.add(entry_for(result)))
        if result.timings:
            result.timings["merge into the gradebook"] = round(time.monotonic() - merge_started, 3)
        if result.feedback_of != result.page_digest():  # the worker's page is not what is stored
            started = time.monotonic()
            self.write_feedback([result])
            result.feedback_of = result.page_digest()
            if result.timings:
                result.timings["feedback page (again, by the grader)"] = round(time.monotonic() - started, 3)
            self.course.save_result(result)

    def _merge_failed(self, failed: dict[Key, str]) -> None:
        """Results whose rows the gradebook refused: failed, with why (their pages are rewritten)."""
        for key, why in failed.items():
            result = self.results[key]
            result.status, result.reason, result.tests = FAILED, f"could not save grades: {why}", []
            self._keep(result, fresh=True)

    def flush_merge(self) -> None:
        self._merge_failed(self.merging.flush())

    def retry_without_stuck_cell(self, job: Job) -> Job | None:
        """A job whose kernel never answered an interrupt: once, a fresh kernel without that cell."""
        retry = job.without_stuck_cell()
        if retry is not None:
            self.todo[(job.student, job.assignment)] = retry
        return retry

    def write_feedback(self, results: list[SubmissionResult]) -> None:
        from .feedback import write_feedback

        write_feedback(self.course, results, {k: s.id for k, s in self.roster.students.items()})

    # -- 5. restore and report
    def wrap_up(self, started: float, sandbox: str, interrupted: bool) -> GradeRun:
        from .reports import write_reports
        from .similarity import class_pairs, similarity_section, write_similarity_csv, write_similarity_html
        from .summary_page import write_summary_html

        self.flush_merge()
        results = sorted(self.results.values(), key=lambda r: (r.student, r.assignment))
        restored = restore_scores(self.course, results)
        if restored.corrected:
            self.notes.append(f"the gradebook held {len(restored.corrected)} score(s) that the grader did not give; "
                              f"restored from the stored results: {', '.join(restored.corrected[:10])}"
                              + (" ..." if len(restored.corrected) > 10 else ""))
        if restored.withdrawn:
            self.notes.append(f"taken out of the gradebook (its earlier notebook no longer counts: the new one failed "
                              f"or needs review): {', '.join(restored.withdrawn[:10])}"
                              + (" ..." if len(restored.withdrawn) > 10 else ""))
        if self.ignored_manual:
            self.notes.append("manual scores on autograded tests are not counted (points of tests come from the "
                              "autograder; fix the test and regrade instead): "
                              + ", ".join(sorted(set(self.ignored_manual))[:10]))
        if interrupted:
            self.notes.append("grading was interrupted: run `make grade` again to grade the notebooks still marked "
                              "as interrupted (everything graded so far is kept)")
        stale = [r for r in results if (r.student, r.assignment) in self.fresh
                 or not feedback_path(self.course, r).exists()]
        self.write_feedback(stale)
        self.roster.save()
        run = GradeRun(results, len(self.todo), len(self.reused), round(time.monotonic() - started, 1), sandbox,
                       self.notes, dict(self.roster.students), interrupted)
        write_reports(self.course, run)
        pairs, names = class_pairs(self.course, results), {k: s.id for k, s in self.roster.students.items()}
        write_similarity_csv(self.course, pairs, names)
        write_similarity_html(self.course, pairs, names)
        write_summary_html(self.course, run, sections=(similarity_section(pairs, names),))
        return run
