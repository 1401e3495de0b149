"""The student's and the TA's day in a real browser (Playwright driving Debian's Chromium, headless).

Every server binds to 127.0.0.1 with a token, serves a copy in a temporary folder, and is stopped
(its whole process group) when the test ends. The browser may only reach that server: any other
request is refused and fails the test (the course works offline). Screenshots of each step go to
build/screenshots/ for a reviewer.
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import nbformat
import pytest

from coursekit.example_class import fill, solution_sources
from coursekit.formgrader_extension import RUBRIC_HEADING
from coursekit.grading import grade_class
from coursekit.model import Course, feedback_path
from coursekit.paths import BUILD_DIR, REPO_ROOT, STUDENT_RELEASE_DIR, assignments
from coursekit.sources import write_notebook

from conftest import GRADING_CELL_TIMEOUT_S, unzipped_student_kit, visible_text

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOTS = BUILD_DIR / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
TOKEN = "browser-test-token"
ASSIGNMENT = "03_scaling_laws"  # the fastest notebook: the one run end to end in the browser
# the TA scores every written answer of one submission (grade_id -> points), the comment goes on the last one
WRITTEN_SCORES = {"kaplan_protocol_answer": 1, "narrow_interval_answer": 2, "kaplan_vs_chinchilla": 3}
COMMENT = "Q1 and Q2 right; Q3 names no check."
WRONG_FIT = '''def fit_power_law(x, y):
    # plausible slip: returns the intercept itself instead of its exponential
    slope, intercept = np.polyfit(np.log(x), np.log(y), 1)
    return float(intercept), float(slope)
'''


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_server(command: list[str], cwd: Path, port: int, log: Path):
    """Start a Jupyter server in its own process group; wait for its API; always stop the group."""
    home = log.parent / "home"  # per-user state (workspaces, IPython history, temporary files) stays in the test's folder
    (home / "tmp").mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_") and k != "IPYTHONDIR"}
    with open(log, "w") as out:
        server = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                  env={**env, "HOME": str(home), "MPLCONFIGDIR": str(home / "mpl"),
                                       "TMPDIR": str(home / "tmp")})
    try:
        for _ in range(240):  # up to two minutes on a loaded machine
            if server.poll() is not None:
                raise AssertionError(f"server exited with {server.returncode}:\n{log.read_text()[-3000:]}")
            try:
                api(f"http://127.0.0.1:{port}", "/api/status", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            raise AssertionError(f"server did not answer on 127.0.0.1:{port}:\n{log.read_text()[-3000:]}")
        yield f"http://127.0.0.1:{port}"
    finally:
        for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
            try:
                os.killpg(server.pid, sig)
                server.wait(wait)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue
        for _ in range(20):  # stopped means nothing answers on the port any more
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) != 0:
                    break
            time.sleep(0.5)
        else:
            raise AssertionError(f"something still listens on 127.0.0.1:{port} after the server was stopped")


def api(base: str, path: str, timeout: float = 30) -> dict:
    request = urllib.request.Request(f"{base}{path}", headers={"Authorization": f"token {TOKEN}"})
    return json.loads(urllib.request.urlopen(request, timeout=timeout).read())


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.fail("Chromium is missing: the browser tests need Debian's `chromium` package "
                    "(`.ci/run` installs it; by hand: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@contextmanager
def offline_page(browser, base: str):
    """A page that may only talk to `base`; yields (page, the other addresses it tried)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    elsewhere: list[str] = []

    def only_the_server(route):
        if route.request.url.startswith(base) or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_server)
    try:
        yield context.new_page(), elsewhere
    finally:
        context.close()


@contextmanager
def page_from_disk(browser, path: Path):
    """A page opened from disk as a student or a TA opens it, offline; yields (page, the other addresses it
    tried, the errors the browser reported)."""
    with offline_page(browser, "file://") as (page, elsewhere):
        problems: list[str] = []
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        yield page, elsewhere, problems


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


# ---------------------------------------------------------------- the student

@pytest.fixture(scope="module")
def student_lab(tmp_path_factory):
    """The student zip unzipped as a student would, plus a solved copy of one notebook, served by
    the zip's own `python start_lab.py` (what `make lab` runs on notebooks/)."""
    folder = tmp_path_factory.mktemp("student")
    kit = unzipped_student_kit(folder)
    release = nbformat.read(STUDENT_RELEASE_DIR / f"{ASSIGNMENT}.ipynb", as_version=4)  # up to date: test_releases
    solutions = solution_sources(ASSIGNMENT)
    write_notebook(fill(release, solutions, set(solutions)), kit / "solved" / f"{ASSIGNMENT}.ipynb")
    port = free_port()
    command = [sys.executable, str(kit / "start_lab.py"), "--no-browser", f"--port={port}", f"--token={TOKEN}"]
    with running_server(command, kit, port, folder / "lab.log") as base:
        yield base, kit
    left = list((folder / "home" / "tmp").glob("fm-course-lab-*"))
    assert not left, f"the launcher left its kernelspec and settings behind: {left}"


def open_notebook(page, base: str, path: str):
    page.goto(f"{base}/lab/tree/{path}?token={TOKEN}&reset")  # reset: no tab restored from an earlier page
    page.locator(".jp-NotebookPanel-toolbar").wait_for(timeout=90_000)
    page.wait_for_function(  # the kernel has started and is idle
        "() => [...document.querySelectorAll('.jp-StatusBar-TextItem')].some(e => /\\| Idle/.test(e.textContent))",
        timeout=120_000)


def validate(page) -> str:
    """Click Validate; return the text of its result dialog, then close it."""
    page.get_by_role("button", name="Validate").click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(timeout=30_000)
    page.wait_for_function("() => !document.querySelector('.jp-Dialog').innerText.includes('Validating')",
                           timeout=180_000)
    return dialog.inner_text()


def close_dialog(page) -> None:
    page.locator(".jp-Dialog button").last.click()
    page.locator(".jp-Dialog").wait_for(state="detached")


def test_make_lab_runs_the_student_launcher():
    recipe = subprocess.run(["make", "-n", "lab"], cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout
    assert "notebooks/start_lab.py" in recipe, recipe


@pytest.mark.parametrize("assignment", assignments())
def test_student_opens_each_notebook_with_the_course_kernel_and_no_instructor_tools(browser, student_lab, assignment):
    base, _ = student_lab
    with offline_page(browser, base) as (page, elsewhere):
        open_notebook(page, base, f"{assignment}.ipynb")
        shot(page, f"student-1-open-{assignment}")
        assert page.locator(".jp-Toolbar-kernelName").first.inner_text() == "Python (foundation-models course)"
        menus = page.locator("#jp-top-panel .lm-MenuBar-itemLabel").all_inner_texts()
        assert "Nbgrader" not in menus, f"instructor menu shown to students: {menus}"
        page.get_by_role("button", name="Validate").wait_for(timeout=30_000)  # nbgrader's student tool stays
        assert page.locator("#jp-left-stack [title*='Create Assignment' i]").count() == 0
        for _ in range(60):  # the notebook's session reaches the server's list shortly after it opens
            sessions = [s for s in api(base, "/api/sessions") if s["path"].endswith(f"{assignment}.ipynb")]
            if sessions:
                break
            time.sleep(0.5)
        assert sessions and sessions[0]["kernel"]["name"] == "fm-course", sessions
    offered = api(base, "/api/kernelspecs")
    assert sorted(offered["kernelspecs"]) == ["fm-course"] and offered["default"] == "fm-course", \
        f"the lab offers other kernels than the course's: {sorted(offered['kernelspecs'])}"
    spec = offered["kernelspecs"]["fm-course"]["spec"]
    assert spec["argv"][0] == sys.executable, f"the course kernel should be the launcher's Python, got {spec['argv']}"
    with pytest.raises(urllib.error.HTTPError) as missing:
        api(base, "/formgrader/api/assignments")
    assert missing.value.code == 404, "the formgrader must not be served to students"
    assert not elsewhere, f"the lab tried to reach other hosts: {elsewhere[:5]}"


def test_student_sees_the_visible_tests_hint_and_validate_fails_then_passes(browser, student_lab):
    base, _ = student_lab
    with offline_page(browser, base) as (page, elsewhere):
        open_notebook(page, base, f"{ASSIGNMENT}.ipynb")
        verdict = validate(page)  # the release as handed out: stubs
        shot(page, "student-2-validate-release")
        close_dialog(page)
        assert "failed" in verdict and "NotImplementedError: `fit_power_law` is not written yet (Part A)" in verdict, verdict[:2000]

        stub = page.locator(".jp-Cell", has_text="def fit_power_law").first
        stub.scroll_into_view_if_needed()
        stub.locator(".cm-content").click()
        page.keyboard.press("Control+A")
        page.keyboard.insert_text(WRONG_FIT)
        page.keyboard.press("Escape")
        page.locator("#jp-top-panel .lm-MenuBar-itemLabel", has_text="Run").click()
        page.locator(".lm-Menu-itemLabel").get_by_text("Run All Cells", exact=True).click()
        test_cell = page.locator(".jp-Cell", has_text='"""fit_power_law: recovers exact power laws').first
        hint = test_cell.locator(".jp-OutputArea", has_text="Hint: the coefficient is the exponential of the intercept")
        hint.wait_for(timeout=120_000)
        test_cell.click()  # make it the active cell, so that the notebook scrolls to it and stays
        hint.scroll_into_view_if_needed()
        page.wait_for_timeout(1000)  # the notebook renders the cells around the new scroll position
        shot(page, "student-3-visible-test-hint")

        open_notebook(page, base, f"solved/{ASSIGNMENT}.ipynb")
        verdict = validate(page)
        shot(page, "student-4-validate-solution")
        assert "Success! Your notebook passes all the tests." in verdict, verdict[:2000]
    assert not elsewhere, f"the lab tried to reach other hosts: {elsewhere[:5]}"


# ---------------------------------------------------------------- the teaching assistant

@pytest.fixture(scope="module")
def graded_course(example_class_parallel, tmp_path_factory):
    """A copy of the graded example class (the session's own course stays untouched)."""
    course, _, _ = example_class_parallel
    copy = tmp_path_factory.mktemp("ta") / "course"
    shutil.copytree(course.root, copy, symlinks=True)
    return Course(copy)


def written_grades(course: Course, assignment: str) -> dict[str, tuple[str, str]]:
    with open(course.reports_dir / "grades.csv", newline="") as handle:
        return {row["student"]: (row[f"{assignment} written"], row["pending_manual"]) for row in csv.DictReader(handle)}


def test_ta_grades_a_written_answer_in_the_formgrader_and_make_grade_counts_it(browser, graded_course):
    from coursekit.formgrade import server_command, prepare
    from nbgrader.api import Gradebook

    prepare(graded_course)
    port = free_port()
    command = server_command(graded_course, port, TOKEN, open_browser=False)
    assert "--ServerApp.ip=127.0.0.1" in command
    server_log = graded_course.root.parent / "formgrade.log"
    with open(graded_course.reports_dir / "grades.csv", newline="") as handle:
        handed_in = {a: sum(row[f"{a} status"] != "not submitted" for row in csv.DictReader(handle)) for a in [ASSIGNMENT]}
    with running_server(command, graded_course.root, port, server_log) as base, \
            offline_page(browser, base) as (page, elsewhere):
        failed_requests: list[str] = []
        page.on("response", lambda r: failed_requests.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        listed = {a["name"]: a for a in api(base, "/formgrader/api/assignments")}
        assert sorted(listed) == sorted(assignments())
        assert all(a["status"] == "released" and not a["releaseable"] for a in listed.values()), listed
        assert listed[ASSIGNMENT]["num_submissions"] == handed_in[ASSIGNMENT], (listed[ASSIGNMENT], handed_in)
        page.goto(f"{base}/?token={TOKEN}")  # where `make formgrade` sends the TA's browser
        page.wait_for_selector("#course-workflow", timeout=60_000)
        assert page.url.startswith(f"{base}/formgrader/manage_assignments"), page.url
        assert page.locator("#warning-exchange").count() == 0
        page.wait_for_selector("td.num-submissions a")
        shot(page, "ta-1-formgrader")
        assert page.locator("td.autograde a:visible, td.assign a:visible, td.release a:visible").count() == 0

        page.get_by_role("link", name="Manual Grading").first.click()
        page.get_by_role("link", name=ASSIGNMENT).first.click()
        page.get_by_role("link", name=ASSIGNMENT).last.click()
        page.wait_for_selector("a[href*='/formgrader/submissions/']")
        shot(page, "ta-2-submissions")
        pending = page.locator("tr:has(td[data-search='needs manual grade'])")
        assert pending.count() >= 1, "the example class has written answers waiting for a grader"
        pending.first.locator("a.name-hidden").click()  # anonymous, as graders see it
        page.wait_for_selector("input.score")
        submission_id = page.url.split("/formgrader/submissions/")[1].split("/")[0]
        page.wait_for_function("() => window.MathJax && document.querySelectorAll('.MathJax, .MathJax_CHTML').length > 0",
                               timeout=60_000)
        rubric = page.get_by_text(RUBRIC_HEADING)
        assert rubric.count() == len(WRITTEN_SCORES), "one rubric under each written answer"
        for answer, points in WRITTEN_SCORES.items():  # every written answer of the notebook, so none is pending
            score = page.locator(f"input.score#{answer}")
            score.scroll_into_view_if_needed()
            with page.expect_response(lambda r: "/formgrader/api/grade/" in r.url and r.request.method == "PUT") as saved:
                score.fill(str(points))
                score.press("Tab")
            assert saved.value.ok, (answer, saved.value.status)
        comment = page.locator("textarea#kaplan_vs_chinchilla-comment")
        with page.expect_response(lambda r: "/formgrader/api/comment/" in r.url and r.request.method == "PUT") as saved:
            comment.fill(COMMENT)
            comment.press("Tab")
        assert saved.value.ok, saved.value.status
        score = page.locator("input.score#kaplan_vs_chinchilla")
        score.evaluate("e => e.scrollIntoView({block: 'center'})")  # Tab moved the focus further down
        page.wait_for_timeout(300)
        shot(page, "ta-3-written-answer-scored")

        refused = page.evaluate("""async (url) => {
            const xsrf = (document.cookie.match(/_xsrf=([^;]+)/) || [])[1] || '';
            const reply = await fetch(url, {method: 'POST', headers: {'X-XSRFToken': decodeURIComponent(xsrf)}});
            return [reply.status, await reply.text()]; }""", f"{base}/formgrader/api/submission/{ASSIGNMENT}/complete/autograde")
        assert refused[0] == 200 and json.loads(refused[1])["success"] is False and "make grade" in refused[1], refused
        # MathJax's combined configuration sometimes asks for its TeX web font of \\mathcal (NativeMML's styles) that
        # jupyter_server_mathjax does not ship; it then falls back to STIX-Web. Anything else missing fails.
        optional = "/static/jupyter_server_mathjax/fonts/HTML-CSS/TeX/otf/MathJax_Script-Regular.otf"
        missing = [r for r in failed_requests if "/static/" in r and optional not in r]
        assert not missing, f"files the pages needed were missing: {missing}"
    assert not elsewhere, f"the formgrader tried to reach other hosts (MathJax from a CDN?): {elsewhere[:5]}"
    critical = [line for line in server_log.read_text().splitlines()
                if line.startswith("[C ") and "received signal 15" not in line]  # the test's own stop is critical
    assert not critical, critical[:3]

    with Gradebook(f"sqlite:///{graded_course.gradebook}") as gradebook:
        student = gradebook.find_submission_notebook_by_id(submission_id).student.id
    before = written_grades(graded_course, ASSIGNMENT)
    run = grade_class(graded_course, jobs=2, cell_timeout_s=GRADING_CELL_TIMEOUT_S, progress=False)
    after = written_grades(graded_course, ASSIGNMENT)
    assert float(after[student][0]) == sum(WRITTEN_SCORES.values()), \
        f"{student}: written points {after[student]} (before: {before[student]})"
    assert ASSIGNMENT not in after[student][1], f"{student} still pending: {after[student]}"
    result = next(r for r in run.results if (r.student, r.assignment) == (student, ASSIGNMENT))
    assert COMMENT in visible_text(feedback_path(graded_course, result).read_text()), "the comment reaches the student"
    assert {s: v for s, v in after.items() if s != student} == {s: v for s, v in before.items() if s != student}


@pytest.mark.parametrize("assignment", assignments())
def test_a_feedback_page_renders_its_markup_and_math_offline(browser, example_class_parallel, assignment):
    """A student's feedback page, opened from disk as a student opens it: no markup shown as text (every
    page showed its <p>, <h1> and <th> tags escaped), the formulas typeset (MathML, no MathJax), the
    results table there with a failed test's message, nothing fetched from anywhere, no script errors."""
    course, run, _ = example_class_parallel
    page_file = course.feedback_dir / "partial" / assignment / f"{assignment}.html"
    with page_from_disk(browser, page_file) as (page, elsewhere, problems):
        text = page.inner_text("body")
        page.screenshot(path=str(SCREENSHOTS / f"feedback-{assignment}-partial.png"))
        shown_markup = [tag for tag in ("<p>", "</p>", "<h1", "<th>", "<td>", "<tr>", "&lt;", "<strong>") if tag in text]
        assert not shown_markup, f"{assignment}: the page shows its markup as text: {shown_markup}"
        prose = page.evaluate("""() => { const body = document.body.cloneNode(true);
            body.querySelectorAll('pre, code, .highlight').forEach(e => e.remove());  // code may hold TeX strings
            return body.innerText; }""")
        raw_tex = [tex for tex in ("\\frac", "\\log", "\\mathcal", "\\sum", "$$") if tex in prose]
        assert not raw_tex, f"{assignment}: formulas are shown as TeX: {raw_tex}"
        formulas = page.locator("math")
        assert formulas.count() > 20, f"{assignment}: only {formulas.count()} typeset formulas"
        box = formulas.nth(5).bounding_box()
        assert box and box["width"] > 5 and box["height"] > 5, f"{assignment}: a formula is not laid out: {box}"
        assert page.locator("table.cf-results th").first.inner_text() == "test"
        failed = page.locator("table.cf-results tr.cf-failed")
        rows = failed.all_inner_texts()
        assert any("not written yet (Part" in row for row in rows), rows  # the stubs partial left
        assert any("not written yet" not in row for row in rows), rows  # its wrong answer: the visible run's error
        assert page.locator("script").count() == 0, "the page carries a script"
        assert not elsewhere, f"{assignment}: the page fetched {elsewhere[:3]}"
        assert not problems, f"{assignment}: the browser reported {problems[:3]}"


def test_the_class_summary_shows_a_ta_whom_to_write_to_and_why(browser, example_class_parallel):
    """The summary opened from disk as a TA opens it: the lowest scores (the blank student, 0 points) and every
    failed submission are in the attention list with a reason and a link that opens the student's own feedback
    page; the roster table lists every student and sorts by total with a click (its script allowed by the page's
    policy, no error); the histograms have both axes labelled; the sandbox line is in the footer, not the top."""
    course, run, _ = example_class_parallel
    with page_from_disk(browser, course.reports_dir / "summary.html") as (page, elsewhere, problems):
        page.screenshot(path=str(SCREENSHOTS / "summary.png"), full_page=True)
        attention = page.locator("h2:has-text('need attention') + table tbody tr")
        rows = [attention.nth(i).inner_text() for i in range(attention.count())]
        for assignment in assignments():
            assert any(r.startswith(f"blank\t{assignment}\tlow score\t0 of") for r in rows), rows
            assert any(r.startswith(f"broken\t{assignment}\tfailed to grade") for r in rows), rows
        assert not any(r.startswith(("complete", "partial")) and "low score" in r for r in rows), rows
        blank_row = attention.filter(has_text="low score").first
        with page.expect_navigation():
            blank_row.locator("a").click()
        assert page.url.endswith(f"/feedback/blank/{assignments()[0]}/{assignments()[0]}.html"), page.url
        assert "blank" in page.inner_text("body")
        page.go_back()
        students = page.locator("h2:has-text('Students (') + p + table")
        names = [students.locator("tbody tr").nth(i).locator("td").first.inner_text() for i in range(4)]
        assert sorted(names) == ["blank", "broken", "complete", "partial"]
        total = students.locator("thead th", has_text="total")
        total.click()
        totals = [float(students.locator("tbody tr").nth(i).locator("td").nth(2 + len(assignments())).inner_text())
                  for i in range(4)]
        assert totals == sorted(totals) and totals[-1] > totals[0], totals
        total.click()
        assert students.locator("tbody tr").first.locator("td").first.inner_text() == "complete"
        page.screenshot(path=str(SCREENSHOTS / "summary-sorted-by-total.png"), full_page=True)
        for svg in page.locator("svg[aria-label*='grade histogram']").all():
            labels = svg.inner_html()
            assert "students</text>" in labels and "points (out of" in labels
        footer = page.locator("footer").inner_text()
        assert "Kernels: sandboxed" in footer and "bwrap" not in page.locator("h1 + p").inner_text()
        # the similar pair: complete and partial filled their answers from one solution
        similar = page.locator("h2:has-text('Similar answers') + table tr:has(a)")
        assert similar.count() == len(assignments()) and "complete\tpartial" in similar.first.inner_text()
        similar.first.locator("a").click()
        page.wait_for_load_state("load")
        assert page.url.endswith("similarity.html#pair-1"), page.url
        pair = page.locator("#pair-1")
        assert pair.locator("pre").count() == 2 and pair.locator("mark").count() >= 2
        marked = pair.locator("mark").first.bounding_box()
        assert marked and marked["width"] > 20, "the shared passage is not visible"
        page.screenshot(path=str(SCREENSHOTS / "similarity.png"))
        assert not elsewhere and not problems, (elsewhere, problems)

