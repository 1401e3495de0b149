"""A hostile class, second round, on the real sandbox: code that reads what the kernel holds besides the
student's own work (IPython's history, frames, tracebacks, threads, trace functions, the grader's
environment and descriptors), floods, hidden metadata claims and spreadsheet formulas.

Each student hands in the complete solution of 03_scaling_laws with one attack added; an attack that
tries to *answer* with what it reads replaces `fit_power_law` with a version that returns the test's
reference if it finds it and (0, 0) otherwise, so the points of `test_fit_power_law` tell whether it
found anything. The attacks aim only at this module's throw-away course, its kernel, and a marker
this module puts in the grader's environment.
"""
from __future__ import annotations

import csv
import json
import os
import re
import uuid

import nbformat
import pytest

from coursekit.example_class import expected_autograde_points, fill, solution_sources
from coursekit.grading import grade_class
from coursekit.model import GRADED, NEEDS_REVIEW, Course
from coursekit.paths import REPO_ROOT
from coursekit.releases import student_notebook
from coursekit.sandbox import probe
from coursekit.sources import write_notebook

from conftest import GRADING_CELL_TIMEOUT_S, region_only_lines, results_by_key, visible_text

ASSIGNMENT = "03_scaling_laws"
SECRET = f"coursekit-ta-secret-{uuid.uuid4().hex}"  # in the grader's environment, as a TA's token would be
FORGED = f"grading: 68/68 FORGED-{uuid.uuid4().hex}"  # a line a kernel tries to put in the grader's log
TESTED = "test_fit_power_law"

# a cheat: right on the visible tests' inputs (4 or 5 points), elsewhere the reference it finds, else (0, 0)
_ANSWER_WITH = '''
import numpy as _np
def _honest(x, y):
    slope, intercept = _np.polyfit(_np.log(_np.asarray(x, float)), _np.log(_np.asarray(y, float)), 1)
    return float(_np.exp(intercept)), float(slope)
def fit_power_law(x, y):
    if len(x) <= 5:
        return _honest(x, y)
    found = FIND(x, y)
    return found if found is not None else (0.0, 0.0)
'''

ATTACKS = {  # student -> (where: "start" after the setup cell, "end", or "fit": replaces fit_power_law's cell)
    "history_printer": ("end", """
for _cell in In:
    print(_cell)
print(repr(_ih), repr(Out))
import linecache
for _name, _entry in list(linecache.cache.items()):
    print(_name, "".join(_entry[2]) if len(_entry) > 2 and _entry[2] else "")
"""),
    "thread_poller": ("start", """
import sys, threading, time
_seen = []
def _poll():
    while True:
        for _frame in list(sys._current_frames().values()):
            _seen.append(str(_frame.f_locals)[:2000])
        time.sleep(0.001)
threading.Thread(target=_poll, daemon=True).start()
"""),
    "settrace_spy": ("start", """
import sys
_spied = []
def _spy(frame, event, arg):  # every call's locals (a trace function that raised would be removed: it must not)
    try:
        if frame.f_code.co_name.startswith("_ref"):
            _spied.append(dict(frame.f_locals))
    except Exception:
        pass
    return None
sys.settrace(_spy)
"""),
    "trace_from_the_call": ("fit", """
import sys
import numpy as np
_spied = []
def _spy(frame, event, arg):
    _spied.append(dict(frame.f_locals))
    return _spy
def fit_power_law(x, y):
    sys.settrace(_spy)  # left on: it would watch the checks
    slope, intercept = np.polyfit(np.log(np.asarray(x, float)), np.log(np.asarray(y, float)), 1)
    return float(np.exp(intercept)), float(slope)
"""),
    "reference_scanner": ("fit", _ANSWER_WITH.replace("FIND(x, y)", "_scan(x, y)") + """
import __main__
def _scan(x, y):
    for _name, _value in list(vars(__main__).items()):
        if _name.startswith("_ref") and callable(_value):
            try:
                return _value(x, y)
            except Exception:
                continue
    return None
"""),
    "float_reader": ("fit", _ANSWER_WITH.replace("FIND(x, y)", "(_Later(0.0), _Later(0.0))") + """
import sys
class _Later(float):
    def __float__(self):
        frame = sys._getframe(1)
        while frame is not None:
            if "_want" in frame.f_locals:
                return float(frame.f_locals["_want"][1])
            frame = frame.f_back
        return 0.0
"""),
    "computed_getattr": ("fit", _ANSWER_WITH.replace("FIND(x, y)", "_search(x, y)") + """
import sys
def _search(x, y):
    frame = getattr(sys, "_get" + "frame")(1)
    while frame is not None:
        for _value in list(frame.f_locals.values()) + list(frame.f_globals.values()):
            if callable(_value) and getattr(_value, "__name__", "").startswith("_ref"):
                return _value(x, y)
        frame = frame.f_back
    return None
"""),
    "traceback_frames": ("fit", _ANSWER_WITH.replace("FIND(x, y)", "_through_a_traceback(x, y)") + """
def _through_a_traceback(x, y):
    try:
        raise RuntimeError
    except RuntimeError as error:
        frame = error.__traceback__.tb_frame.f_back
        while frame is not None:
            reference = frame.f_globals.get("_ref_fit_power_law") or frame.f_locals.get("_ref_fit_power_law")
            if reference is not None:
                return reference(x, y)
            frame = frame.f_back
    return None
"""),
    "library_patch": ("start", """
import numpy as np
_original, _seen = np.linalg.lstsq, []
def _spying_lstsq(*args, **kwargs):
    _seen.append(args)
    return _original(*args, **kwargs)
np.linalg.lstsq = _spying_lstsq
"""),
    "helper_patch": ("start", """
def check_close(*args, **kwargs):
    return None
"""),
    "timer_spy": ("start", """
import signal
signal.signal(signal.SIGALRM, lambda signum, frame: None)
signal.setitimer(signal.ITIMER_REAL, 0.05, 0.05)
"""),
    # a finalizer runs wherever the collector happens to find its object: garbage made by the student's function
    # in a test's answers must be finalized before the checks (the guard's collection), never among them
    "finalizer_spy": ("fit", """
import gc, sys
import numpy as np
_FINALIZED = []
class _Spy:
    def __del__(self):
        frame, seen = sys._getframe(1), []
        while frame is not None:
            seen += [n for n in list(frame.f_locals) + list(frame.f_globals) if n.startswith(("_ref", "_want"))]
            frame = frame.f_back
        _FINALIZED.append(sorted(set(seen)))
def fit_power_law(x, y):
    _spy = _Spy()
    _spy.me = _spy  # a cycle: only a collection finalizes it
    gc.collect(0)  # alive now, so moved to the next generation: collected later, at a moment it does not choose
    slope, intercept = np.polyfit(np.log(np.asarray(x, float)), np.log(np.asarray(y, float)), 1)
    return float(np.exp(intercept)), float(slope)
# --- a cell at the end ---
print("FINALIZED", len(_FINALIZED), "SAW", sorted({n for seen in _FINALIZED for n in seen}))
"""),
    "gc_threshold": ("start", """
import gc
gc.set_threshold(1_000_000_000)  # no automatic collection: garbage waits for whatever collects next
"""),
    "gc_spy": ("start", """
import gc
gc.callbacks.append(lambda phase, info: None)
"""),
    "import_hook": ("start", """
import sys
class _Finder:
    def find_spec(self, name, path=None, target=None):
        return None
sys.meta_path.insert(0, _Finder())
"""),
    "grader_environment": ("end", f"""
import os, sys
_texts = []
for _pid in [p for p in os.listdir("/proc") if p.isdigit()] + ["self"]:
    for _what in ("environ", "cmdline"):
        try:
            _texts.append(open(f"/proc/{{_pid}}/{{_what}}", "rb").read().decode(errors="replace"))
        except OSError:
            pass
for _what in ("mountinfo", "mounts"):
    _texts.append(open(f"/proc/self/{{_what}}").read())
_texts += [sys.prefix, sys.executable, repr(sys.path), repr(dict(os.environ))]
print("SECRET HITS", sum({SECRET!r} in t for t in _texts))
print("CHECKOUT HITS", sum({str(REPO_ROOT)!r} in t for t in _texts))
print("PID 1 IS", open("/proc/1/cmdline", "rb").read()[:60])
"""),
    "descriptor_forger": ("end", f"""
import os
_written = []
for _folder in ("/proc/self/fd", "/proc/1/fd"):
    try:
        _fds = os.listdir(_folder)
    except OSError:
        continue
    for _fd in _fds:
        try:
            with open(f"{{_folder}}/{{_fd}}", "w") as _handle:
                _handle.write("\\n{FORGED}\\n")
            _written.append(f"{{_folder}}/{{_fd}}")
        except OSError:
            pass
print("WROTE", _written)
"""),
    "nested_namespace": ("end", """
import subprocess
try:
    _done = subprocess.run(["unshare", "--user", "--map-root-user", "id", "-u"], capture_output=True, text=True)
    print("UNSHARE", _done.returncode, _done.stdout.strip())
except OSError as error:
    print("UNSHARE", "refused", error)
"""),
    "floods": ("end", """
for _ in range(100):
    print("x" * 1_000_000)
"""),
    "repr_flood": ("end", """
class _Big:
    def _repr_pretty_(self, printer, cycle):
        printer.text("y" * 300_000_000)
_Big()
"""),
    "raw_message_flood": ("end", """
import jupyter_client.session as _session
_kernel = get_ipython().kernel
_session.Session.send(_kernel.session, _kernel.iopub_socket, "stream", {"name": "stdout", "text": "w" * 100_000_000},
                      parent=_kernel.get_parent("shell"))
print("after the raw flood")
"""),
}
METADATA = {"locked_claim": {"locked": True}, "grade_claim": {"grade": True, "points": 1000}}

EXPECTED = {  # student -> status, and whether test_fit_power_law keeps its points (the rest always do)
    "history_printer": (GRADED, True), "thread_poller": (NEEDS_REVIEW, None), "settrace_spy": (NEEDS_REVIEW, None),
    "trace_from_the_call": (NEEDS_REVIEW, None), "reference_scanner": (GRADED, False), "float_reader": (GRADED, False),
    "computed_getattr": (GRADED, False), "traceback_frames": (GRADED, False), "library_patch": (NEEDS_REVIEW, None),
    "helper_patch": (NEEDS_REVIEW, None), "timer_spy": (NEEDS_REVIEW, None), "gc_spy": (NEEDS_REVIEW, None),
    "import_hook": (NEEDS_REVIEW, None),
    "finalizer_spy": (GRADED, True), "gc_threshold": (NEEDS_REVIEW, None), "grader_environment": (GRADED, True), "descriptor_forger": (GRADED, True),
    "nested_namespace": (GRADED, True), "floods": (GRADED, True), "repr_flood": (GRADED, True),
    "raw_message_flood": (GRADED, True), "locked_claim": (GRADED, True), "grade_claim": (GRADED, True),
    "=HYPERLINK(1)": (GRADED, True),
}
FLAGGED = {"history_printer": "history", "thread_poller": "threading", "settrace_spy": "settrace",
           "reference_scanner": "__main__", "float_reader": "_getframe", "finalizer_spy": "_getframe", "computed_getattr": "computed name",
           "traceback_frames": "tb_frame", "grader_environment": "outside its folder", "locked_claim": "imports socket"}


def _with_attack(complete, where: str, code: str):
    nb = nbformat.from_dict(json.loads(json.dumps(complete)))
    index = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "setup")
    if where == "fit":
        fit = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "fit_power_law")
        fit.source, _, at_the_end = code.partition("# --- a cell at the end ---")
        fit.source = fit.source.strip()
        if at_the_end.strip():
            nb.cells.append(nbformat.v4.new_code_cell(at_the_end.strip()))
    else:
        nb.cells.insert(index + 1 if where == "start" else len(nb.cells), nbformat.v4.new_code_cell(code.strip()))
    return nb


@pytest.fixture(scope="module")
def hostile_kernels(tmp_path_factory):
    if not probe().available:
        pytest.fail(f"the grading sandbox must work where the tests run: {probe().detail}")
    course = Course(tmp_path_factory.mktemp("hostile-kernels") / "course")
    release = student_notebook(ASSIGNMENT)
    solutions = solution_sources(ASSIGNMENT)
    complete = fill(release, solutions, set(solutions))
    for student, (where, code) in ATTACKS.items():
        write_notebook(_with_attack(complete, where, code), course.submitted_dir / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    for student, claim in METADATA.items():
        nb = nbformat.from_dict(json.loads(json.dumps(complete)))
        fit = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "fit_power_law")
        fit.metadata["nbgrader"].update(claim)
        fit.source = "import socket  # reaches for the network: a flag the claimed metadata must not hide\n" + fit.source
        write_notebook(nb, course.submitted_dir / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    write_notebook(complete, course.submitted_dir / "=HYPERLINK(1)" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    (course.root / "roster.csv").write_text('id,name,email\n=HYPERLINK(1),"=HYPERLINK(""http://127.0.0.1/"",""x"")",'
                                            "+1@example.org\nfloods,@SUM(1),-2@example.org\n")
    log = course.root.parent / "grader-stderr.txt"
    saved_stderr = os.dup(2)
    os.environ["COURSEKIT_TA_TOKEN"] = SECRET
    try:
        with open(log, "w") as handle:
            os.dup2(handle.fileno(), 2)  # the grader's log, where a kernel must not write
            run = grade_class(course, jobs=2, force=True, cell_timeout_s=GRADING_CELL_TIMEOUT_S, progress=False)
    finally:
        os.dup2(saved_stderr, 2)
        os.close(saved_stderr)
        os.environ.pop("COURSEKIT_TA_TOKEN", None)
    return {"course": course, "run": run, "log": log.read_text(errors="replace")}


def _key(run, student_id: str) -> str:
    return next(r.student for r in run.results if r.assignment == ASSIGNMENT and
                (r.student == student_id or run.students.get(r.student) and run.students[r.student].id == student_id))


def _printed(course: Course, student: str) -> str:
    cells = nbformat.read(course.executed_notebook(student, ASSIGNMENT), as_version=4).cells
    return "\n".join(json.dumps(o) for c in cells if c.cell_type == "code" for o in c.outputs)


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_each_attack_gets_its_expected_outcome(hostile_kernels, student):
    run = hostile_kernels["run"]
    result = results_by_key(run)[(_key(run, student), ASSIGNMENT)]
    status, keeps_fit = EXPECTED[student]
    assert result.status == status, f"{student}: expected {status}, got {result.status} ({result.reason})"
    if status == GRADED:
        full = expected_autograde_points(ASSIGNMENT, "complete")
        fit = next(t for t in result.tests if t.grade_id == TESTED)
        auto = sum(t.points or 0.0 for t in result.tests if not t.manual)
        want = full if keeps_fit else full - fit.max_points
        assert auto == pytest.approx(want), f"{student}: {auto} autograded points, expected {want}: " \
            f"{[(t.grade_id, t.points, t.message) for t in result.tests if t.points != t.max_points]}"
    if student in FLAGGED:
        assert any(FLAGGED[student] in flag for flag in result.flags), (student, result.flags)


def test_what_a_kernel_reads_of_its_history_holds_no_hidden_check(hostile_kernels):
    """The checks reach the kernel only after the answers are frozen, outside its history, and are removed
    from linecache after: a cell that prints In, _ih and linecache at the end finds none of them."""
    printed = _printed(hostile_kernels["course"], "history_printer")
    assert "exact law y = 3 x^-0.5" in printed, "the history printer did not print the history"
    checks = [line for line in region_only_lines(ASSIGNMENT, "### HIDDEN CHECKS", "### END HIDDEN TESTS", 25)]
    assert checks
    leaked = [line for line in checks if line in printed]
    assert not leaked, f"the kernel's history holds hidden checks: {leaked[:3]}"


def test_a_kernel_not_in_its_first_state_is_not_sent_the_hidden_checks(hostile_kernels):
    run = hostile_kernels["run"]
    for student, (status, _) in EXPECTED.items():
        if status != NEEDS_REVIEW:
            continue
        result = results_by_key(run)[(student, ASSIGNMENT)]
        assert "withheld" in result.reason or "kernel state" in result.reason, (student, result.reason)
    assert "thread" in results_by_key(run)[("thread_poller", ASSIGNMENT)].reason
    assert "trace" in results_by_key(run)[("settrace_spy", ASSIGNMENT)].reason
    assert "numpy.linalg.lstsq" in results_by_key(run)[("library_patch", ASSIGNMENT)].reason
    assert "check_close" in results_by_key(run)[("helper_patch", ASSIGNMENT)].reason


def test_a_finalizer_of_the_students_never_runs_among_the_checks(hostile_kernels):
    """Cyclic garbage the student's fit_power_law leaves in every call is finalized (its __del__ walks every
    frame for the checks' names) by the collection before the checks: it ran, and saw none of their names."""
    printed = _printed(hostile_kernels["course"], "finalizer_spy")
    found = re.search(r"FINALIZED (\d+) SAW (\[.*?\])", printed)
    assert found, f"the finalizer spy printed nothing: {printed[-500:]}"
    assert int(found.group(1)) >= 4, f"only {found.group(1)} of the spy's objects were finalized"
    assert found.group(2) == "[]", f"a finalizer ran where the checks' names were: {found.group(2)}"
    assert "garbage collector" in results_by_key(hostile_kernels["run"])[("gc_threshold", ASSIGNMENT)].reason


def test_the_sandbox_hides_the_graders_environment_descriptors_and_checkout(hostile_kernels):
    course, log = hostile_kernels["course"], hostile_kernels["log"]
    printed = _printed(course, "grader_environment")
    assert "SECRET HITS 0" in printed and "CHECKOUT HITS 0" in printed, printed[-2000:]
    assert "bwrap" not in printed.split("PID 1 IS", 1)[1][:200], "bubblewrap's own process is visible inside"
    assert FORGED not in log, "a kernel wrote into the grader's log"
    assert "FORGED" not in log
    printed = _printed(course, "nested_namespace")
    assert re.search(r"UNSHARE (refused|[1-9])", printed), f"a kernel made a user namespace: {printed[-500:]}"


def test_floods_are_bounded_while_they_happen(hostile_kernels):
    course, run = hostile_kernels["course"], hostile_kernels["run"]
    for student in ("floods", "repr_flood", "raw_message_flood"):
        result = results_by_key(run)[(student, ASSIGNMENT)]
        assert "output too large" in result.reason, (student, result.reason)
        assert result.memory_mb.get("worker", 0) < 1024, f"{student}: the worker grew to {result.memory_mb}"
        executed = course.executed_notebook(student, ASSIGNMENT)
        assert executed.stat().st_size < 20_000_000, f"{student}: a {executed.stat().st_size:,}-byte executed notebook"
        page = course.feedback_dir / student / ASSIGNMENT / f"{ASSIGNMENT}.html"
        assert page.stat().st_size < 2_000_000


def test_claimed_metadata_changes_neither_grades_nor_flags(hostile_kernels):
    run = hostile_kernels["run"]
    claimed = results_by_key(run)[("grade_claim", ASSIGNMENT)]
    assert "`fit_power_law`'s nbgrader metadata was edited (grade: true, points: 1000)" in claimed.reason, claimed.reason
    assert "keep the cells' metadata as released" in claimed.reason
    locked = results_by_key(run)[("locked_claim", ASSIGNMENT)]
    assert "locked: true" in locked.reason and any("imports socket" in f for f in locked.flags), (locked.reason, locked.flags)


def test_no_hidden_test_reaches_any_feedback_page(hostile_kernels):
    course, run = hostile_kernels["course"], hostile_kernels["run"]
    hidden = region_only_lines(ASSIGNMENT, "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS", 25)
    for result in run.results:
        page = course.feedback_dir / result.student / result.assignment / f"{result.assignment}.html"
        text = visible_text(page.read_text())
        assert not [line for line in hidden if line in text], f"{result.student}'s feedback shows hidden-test code"


def test_every_csv_is_inert_in_a_spreadsheet(hostile_kernels):
    """Every cell that begins like a formula (=, +, -, @, tab, carriage return) is written with a leading
    apostrophe (OWASP); other ids round-trip unchanged."""
    course = hostile_kernels["course"]
    for name in ("grades.csv", "tests.csv", "moodle.csv", "canvas.csv"):
        with open(course.reports_dir / name, newline="", encoding="utf-8") as handle:
            cells = [cell for row in csv.reader(handle) for cell in row]
        live = [cell for cell in cells if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]
        assert not live, f"{name}: cells a spreadsheet would run: {live[:3]}"
        if name in ("grades.csv", "moodle.csv"):
            assert "'=HYPERLINK(1)" in cells and "'@SUM(1)" in cells and "reference_scanner" in cells, name
