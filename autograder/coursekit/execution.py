"""Execute one submission: its notebook checked and mended, the sandboxed kernel, the scores.

Runs inside a worker process (see `workers`). The submission's notebook is read (never changed);
damaged graded cells are mended (`submission_checks`), known-answer cells added (`known_answers`),
the instructor cells no grade needs marked (`cell_skipping`); nbgrader's autograde preprocessors
then sanitise and execute it in memory (`nbgrader_pass`) in the grader's sandboxed kernel
(`sandbox`), whose folder holds the submission's other files and never a notebook (nbgrader's
sanitised copy, hidden tests included, used to lie there). The outcome of every graded cell is read
from what the grader received, never from a file a kernel could reach.
"""
from __future__ import annotations

import ast
import copy
import hashlib
import json
import logging
import secrets
import shutil
import tempfile
import time
import traceback
from pathlib import Path

import nbformat

from .hidden_checks import GUARD_PROBLEMS, STEP_SECONDS
from .known_answers import check_known_answers, insert_known_answers, remove_known_answers
from .model import FAILED, GRADED, NEEDS_REVIEW, NO_ANSWER, Job, SubmissionResult, TestOutcome
from .source_flags import flag_notebook
from .submission_checks import repair_graded_cells
from .output_limits import describe_bytes
from .student_view import HIDDEN_BEGIN, SUBMITTED_KEY, forget_markers, remember_outputs, student_view
from .tracked_execute import EXECUTE_SECONDS, FLOODED, cell_digest, cell_seconds, tracked_execute_class
from .visible_run import messages, test_outputs, tests_to_rerun, visible_notebook

SKIP_TAG = "skip-execution"  # nbclient's tag for a cell it must not run
VISIBLE_RUN = "visible run (submissions that lost points)"  # timing steps (see `make bench`)
GUARDS = "hidden checks: the state report before them, the clean-up after"
NOT_RERUN_KEY = "coursekit_not_rerun"
NOT_RERUN_LABEL = ("[not re-run by the grader: no grade depends on this cell; any output below is the one "
                   "submitted]\n")
SKIPPED = ("CellSkipped", "the grader skipped this cell: it did not stop when interrupted at its time limit, "
                          "so the notebook was graded again in a fresh kernel without it")


def docstring(source: str) -> str:
    """The first line of a test cell's docstring: the instructor's description of what it checks."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ""
    text = ast.get_docstring(tree) or ""
    return text.strip().splitlines()[0] if text.strip() else ""


def has_hidden_tests(source: str) -> bool:
    return HIDDEN_BEGIN in source


def read_outcomes(executed: nbformat.NotebookNode, source: nbformat.NotebookNode) -> list[TestOutcome]:
    """Score every grade cell of an executed notebook as nbgrader does.

    Nothing the kernel printed becomes a message: student code runs in that kernel beside the hidden
    tests and could print them. A test that lost points gets its message from `visible_run.messages`.
    """
    from nbgrader.utils import determine_grade, is_grade

    by_id = {c.metadata["nbgrader"]["grade_id"]: c for c in executed.cells if is_grade(c)}
    outcomes = []
    for source_cell in (c for c in source.cells if is_grade(c)):
        grade_id = source_cell.metadata["nbgrader"]["grade_id"]
        max_points = float(source_cell.metadata["nbgrader"]["points"])
        cell = by_id.get(grade_id)
        manual = bool(source_cell.metadata["nbgrader"].get("solution", False))
        hidden = has_hidden_tests(source_cell.source)
        if cell is None:
            outcomes.append(TestOutcome(grade_id, max_points, 0.0, "answer cell missing", manual, hidden=hidden))
            continue
        points, _ = determine_grade(cell)
        message = NO_ANSWER if manual and points == 0 else ""  # nbgrader: an unchanged answer scores 0
        outcomes.append(TestOutcome(grade_id, max_points, points, message, manual, hidden=hidden))
    return outcomes


def unanswered_cells(executed: nbformat.NotebookNode) -> list[str]:
    """The answer cells left exactly as released, as nbgrader's SaveAutoGrades tells them (checksum)."""
    from nbgrader.utils import compute_checksum, is_solution, is_task

    return [c.metadata["nbgrader"]["grade_id"] for c in executed.cells
            if is_solution(c) and not is_task(c) and c.metadata["nbgrader"].get("checksum") == compute_checksum(c)]


_KNOWN_FAILURES = (("DeadKernelError", "the kernel died while running the notebook (out of memory, or the "
                                       "notebook ended its own process): run it top to bottom in a fresh kernel"),
                   ("Kernel died", "the kernel died while running the notebook (out of memory, or the notebook "
                                   "ended its own process): run it top to bottom in a fresh kernel"),
                   ("CellTimeoutError", "a cell did not finish within the time limit"),
                   ("TimeoutError", "a cell did not finish within the time limit"),
                   ("Kernel didn't respond", "the kernel did not start"),
                   ("NoSuchKernel", "the grader's kernel is not installed (run `make env`)"))


def summarise_failure(log: str) -> str:
    """A one-line reason from nbgrader's log; only known phrases, never a line of the log itself
    (nbgrader logs cell sources, which include hidden tests)."""
    for needle, reason in _KNOWN_FAILURES:
        if needle in log:
            return reason
    return "nbgrader could not execute the notebook (the TA finds the details in the grader's log)"


def mark_not_rerun(nb: dict, source_cells: list) -> dict[str, list]:
    """Tag the cells no grade depends on (see `cell_skipping`) for nbclient to skip; return, under a
    marker the student cannot have guessed, the outputs the submission had in them."""
    from .cell_skipping import plan_skips

    token = secrets.token_hex(8)
    saved: dict[str, list] = {}
    for index in sorted(plan_skips(nb["cells"], source_cells).skip):
        cell = nb["cells"][index]
        marker = f"{token}-{index}"
        saved[marker] = cell.get("outputs", [])
        cell.setdefault("metadata", {})[NOT_RERUN_KEY] = marker
        cell["metadata"].setdefault("tags", []).append(SKIP_TAG)
    return saved


def restore_not_rerun(executed: nbformat.NotebookNode, saved: dict[str, list]) -> int:
    """Give the cells that were not re-run the outputs the student submitted, under a label."""
    count = 0
    for cell in executed.cells:
        marker = cell.metadata.pop(NOT_RERUN_KEY, None)
        if cell.cell_type != "code" or marker is None:
            continue
        if marker not in saved:  # the student's own marker: not one the grader set
            continue
        cell.metadata["tags"].remove(SKIP_TAG)
        if not cell.metadata["tags"]:
            del cell.metadata["tags"]
        label = nbformat.v4.new_output("stream", name="stdout", text=NOT_RERUN_LABEL)
        cell.outputs = [label] + [nbformat.from_dict(o) for o in saved[marker]]
        count += 1
    return count


def flood_note(executed: nbformat.NotebookNode, flooded: dict[str, int]) -> str:
    """The note for cells the grader stopped because their output passed a limit (see output_limits)."""
    described = []
    for index, cell in enumerate(c for c in executed.cells if c.cell_type == "code"):
        if cell.get("id") in flooded:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            first = cell.source.strip().splitlines()[0][:60] if cell.source.strip() else ""
            described.append((f"`{grade_id}`" if grade_id else f"code cell {index + 1} (`{first}`)")
                             + f" (over {describe_bytes(flooded[cell.get('id')])})")
    if not described:
        return ""
    return ("output too large: the grader stopped " + ", ".join(described[:5])
            + " and kept none of what followed in it (print less, then hand in again)")


def is_grade_cell(cell) -> bool:
    return bool(cell.metadata.get("nbgrader", {}).get("grade"))


def run_visible(graded: nbformat.NotebookNode, tests: list[TestOutcome], config, kernel_dir: Path, zygote,
                ipc_dir: str) -> dict[str, list] | None:
    """The visible run of a submission that lost autograded points (see `visible_run`): grade_id ->
    the outputs of each test cell; {} when nothing failed, None if it could not run."""
    import copy as _copy

    from .warm_kernels import empty_folder

    notebook = visible_notebook(graded, tests_to_rerun(tests, graded))
    if notebook is None:
        return {}
    config = _copy.deepcopy(config)
    config.TrackedExecute.progress_path = ""  # a cell stuck here costs only this run (its messages)
    config.TrackedExecute.grader_cell_token = ""
    Path(ipc_dir).mkdir(mode=0o700, exist_ok=True)  # a cold kernel's socket folder went with the graded run
    try:
        executed, _ = tracked_execute_class()(config=config).preprocess(notebook, {"metadata": {"path": str(kernel_dir)}})
    except Exception:  # noqa: BLE001 - a kernel that dies here costs the messages only: the grades stand
        return None
    finally:
        if zygote is not None:
            empty_folder(Path(ipc_dir))
        else:
            shutil.rmtree(ipc_dir, ignore_errors=True)
    return test_outputs(executed)


def execute_job(job: Job) -> SubmissionResult:
    """Autograde one submission with nbgrader's preprocessors, in memory (runs inside a worker process)."""
    from .nbgrader_config import IGNORED_FILES, course_config
    from .nbgrader_pass import autograde_notebook, copy_other_files
    from .sandbox import GRADER_KERNEL_ARGUMENTS, KERNEL_NAME as SANDBOX_KERNEL, WARM_KERNEL_NAME as WARM_KERNEL
    from .tracked_execute import StuckKernel
    from .warm_kernels import current_zygote, empty_folder

    started = time.monotonic()
    work = Path(job.work_dir)
    shutil.rmtree(work, ignore_errors=True)
    executed_path = job.executed_notebook
    kernel_dir = executed_path.parent  # the kernel's working folder: the submission's other files, as nbgrader copies them
    kernel_dir.mkdir(parents=True)
    # nbgrader's preprocessors read the assignment from it, and may write (its Gradebook adds a default
    # course): each job its own copy, out of the kernel's sight
    gradebook = shutil.copy(job.gradebook_snapshot, work / "gradebook.db")
    copy_other_files(Path(job.submission_dir), kernel_dir, IGNORED_FILES)
    notebook = Path(job.submission_dir) / f"{job.assignment}.ipynb"
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    source = nbformat.read(job.source_notebook, as_version=4)
    note = "; ".join(repair_graded_cells(nb, source.cells))
    roles = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"] for c in source.cells
             if c.metadata.get("nbgrader", {}).get("grade_id")}
    flags = flag_notebook(nb, {c.source for c in source.cells}, roles)
    submitted = remember_outputs(nb)  # what the student's own run printed: the feedback shows that
    not_rerun = mark_not_rerun(nb, source.cells) if job.skip_unneeded else {}
    plan = insert_known_answers(nb, seed=secrets.randbits(63), source_cells=source.cells)
    skipped = 0
    for cell in nb["cells"]:
        text = "".join(cell["source"]) if isinstance(cell.get("source"), list) else cell.get("source", "")
        if job.skip_cells and cell_digest(text) in job.skip_cells:
            cell.setdefault("metadata", {}).setdefault("tags", []).append(SKIP_TAG)
            skipped += 1
    if skipped:
        note = "; ".join(filter(None, [note, f"{skipped} cell(s) skipped: they did not stop when interrupted at the "
                                              "time limit; the rest was graded in a fresh kernel"]))

    zygote = current_zygote() if job.sandboxed and job.warm_kernel else None
    if zygote is not None:  # the kernel's sockets go where the zygote's sandbox sees them
        ipc_dir, ipc_prefix = zygote.socket_dir, Path(zygote.socket_dir) / f"k{secrets.token_hex(6)}"
    else:
        ipc_dir = tempfile.mkdtemp(prefix="fmk-")  # short absolute path: unix sockets allow ~100 bytes
        ipc_prefix = Path(ipc_dir) / "k"
    config = course_config(work, ipc_prefix=ipc_prefix, cell_timeout_s=job.cell_timeout_s)
    config.TrackedExecute.progress_path = str(job.progress_file)
    config.TrackedExecute.grader_cell_token = plan.token
    config.TrackedExecute.helper_names = plan.helpers
    # the hidden fixtures' seed: the same for the same submission (grading twice gives the same grades)
    config.TrackedExecute.submission_seed = int(hashlib.sha256(
        f"{job.student}|{job.assignment}|".encode() + notebook.read_bytes()).hexdigest()[:8], 16)
    # every output is in by then: a graceful shutdown only waits (seconds) for the kernel to wind down
    config.Execute.shutdown_kernel = "immediate"
    job.progress_file.unlink(missing_ok=True)
    if job.sandboxed:  # the sandbox's launchers add GRADER_KERNEL_ARGUMENTS themselves
        config.Execute.kernel_name = WARM_KERNEL if zygote is not None else SANDBOX_KERNEL
    else:
        config.Execute.extra_arguments = list(GRADER_KERNEL_ARGUMENTS)
    EXECUTE_SECONDS.clear()
    FLOODED.clear()
    GUARD_PROBLEMS.clear()
    STEP_SECONDS.clear()
    prepared = time.monotonic()
    failure = None
    try:  # the notebook is read as nbgrader reads a file (older formats converted)
        executed = autograde_notebook(nbformat.reads(json.dumps(nb), as_version=4), student=job.student,
                                      assignment=job.assignment, db_url=f"sqlite:///{Path(gradebook).resolve()}",
                                      kernel_dir=kernel_dir, config=config, execute_class=tracked_execute_class())
    except Exception as error:  # a broken notebook or a dead kernel: this submission fails, with a reason
        failure = error
    finally:
        if zygote is not None:  # the folder stays for the next kernel, empty: nothing of this one is left
            empty_folder(Path(ipc_dir))
        else:
            shutil.rmtree(ipc_dir, ignore_errors=True)
    autograded = time.monotonic()
    outcome = SubmissionResult(job.student, job.assignment, GRADED, reason=note, flags=flags, sandboxed=job.sandboxed)
    if isinstance(failure, StuckKernel) and not job.skip_cells:
        # once: a fresh kernel replays the notebook without the cell that never answered
        retry = execute_job(Job(**{**vars(job), "skip_cells": [str(failure)]}))
        retry.seconds = round(time.monotonic() - started, 2)
        return retry
    if failure is not None:
        shutil.rmtree(kernel_dir, ignore_errors=True)  # as nbgrader: a failed notebook leaves no executed copy
        outcome.status = FAILED
        outcome.reason = summarise_failure("".join(traceback.format_exception(failure)))
        # the details, for the TA only (nbgrader's messages quote cell sources, hidden tests included)
        logging.getLogger("coursekit").error("%s/%s could not be executed: %s", job.student, job.assignment,
                                             "".join(traceback.format_exception_only(failure)).strip()[-2000:])
    else:
        graded = remove_known_answers(copy.deepcopy(executed), plan)  # before the left-out cells get outputs
        left_out = {c.metadata.get(SUBMITTED_KEY) for c in executed.cells if c.metadata.get(NOT_RERUN_KEY) in not_rerun}
        outcome.not_rerun = restore_not_rerun(executed, not_rerun)
        for cell in executed.cells:  # a skipped cell ran nothing: a skipped test must not pass
            if SKIP_TAG in cell.metadata.get("tags", []) and cell.cell_type == "code":
                cell.outputs = [nbformat.v4.new_output("error", ename=SKIPPED[0], evalue=SKIPPED[1],
                                                       traceback=[f"{SKIPPED[0]}: {SKIPPED[1]}"])]
        problems = check_known_answers(executed, plan) + list(GUARD_PROBLEMS)
        cells = cell_seconds(executed, source.cells, set(plan.cells))
        outcome.timings = {"read the notebook, known-answer cells, which cells run": round(prepared - started, 3),
                           "kernel start": round(EXECUTE_SECONDS.get("kernel start", 0.0), 3), **cells,
                           "kernel shutdown": round(EXECUTE_SECONDS.get("kernel shutdown", 0.0), 3),
                           GUARDS: round(
                               sum(STEP_SECONDS.values()), 3),
                           "kernel messages between cells": round(
                               EXECUTE_SECONDS.get("execute", 0.0) - sum(cells.values()) - sum(STEP_SECONDS.values())
                               - EXECUTE_SECONDS.get("kernel start", 0.0) - EXECUTE_SECONDS.get("kernel shutdown", 0.0), 3),
                           "nbgrader's preprocessors (besides executing)": round(autograded - prepared
                                                                                 - EXECUTE_SECONDS.get("execute", 0.0), 3)}
        flooded = {(c.get("id") or str(i)): FLOODED[c.get("id") or str(i)] for i, c in enumerate(executed.cells)
                   if (c.get("id") or str(i)) in FLOODED}
        executed = remove_known_answers(executed, plan)
        flood = flood_note(executed, flooded)
        if flood:
            outcome.reason = "; ".join(filter(None, [outcome.reason, flood]))
        outcome.tests = read_outcomes(executed, source)
        outcome.unanswered = unanswered_cells(executed)
        # the messages a student reads come from a run without hidden tests (see visible_run); a notebook
        # under review gets none (its messages are the instructor's words only)
        visible_started = time.monotonic()
        visible = None if problems else run_visible(graded, outcome.tests, config, kernel_dir, zygote, ipc_dir)
        outcome.timings[VISIBLE_RUN] = round(time.monotonic() - visible_started, 3)
        messages(outcome.tests, graded, visible, {c.metadata["nbgrader"]["grade_id"]: docstring(c.source)
                                                  for c in source.cells if is_grade_cell(c)},
                 {c.metadata["nbgrader"]["grade_id"] for c in source.cells
                  if is_grade_cell(c) and has_hidden_tests(c.source)}, job.cell_timeout_s)
        view = student_view(executed, submitted, roles, outcome.tests, visible, NOT_RERUN_LABEL, left_out)
        nbformat.write(view, job.student_view_file)
        if problems:
            outcome.status = NEEDS_REVIEW
            outcome.reason = "; ".join(problems)
        nbformat.write(forget_markers(executed), executed_path)
    outcome.seconds = round(time.monotonic() - started, 2)
    if outcome.timings:
        outcome.timings["read the scores"] = round(time.monotonic() - autograded - outcome.timings.get(VISIBLE_RUN, 0.0), 3)
    return outcome
