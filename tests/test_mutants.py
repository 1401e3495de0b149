"""Hidden tests discriminate: every wrong answer in tests/answers loses points, every correct
alternative keeps full marks. One kernel per notebook runs the solution once, then each variant;
then the same in the grader's sandboxed kernel without the cells the grader skips, which must score
every variant the same (the six runs two at a time)."""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

import pytest

from coursekit.mutants import run_variants
from coursekit.paths import assignments


@pytest.fixture(scope="module")
def variant_runs():
    """Every notebook's variants, in the plain kernel and in the grader's sandboxed one without the skipped
    cells: six runs of one kernel each, two at a time (a process each, so that a sandboxed run's environment
    stays its own), the longest first."""
    context = multiprocessing.get_context("spawn")  # never a fork of this process and its threads
    threads = {name: os.environ.get(name) for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    os.environ.update(dict.fromkeys(threads, "1"))  # one thread per kernel, as the grader's (the processes start now)
    try:
        pool = ProcessPoolExecutor(max_workers=2, mp_context=context)
        runs = {(assignment, sandboxed): pool.submit(run_variants, assignment, sandboxed, sandboxed)
                for assignment in assignments() for sandboxed in (False, True)}
    finally:
        for name, value in threads.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    with pool:
        yield runs


@pytest.fixture(params=assignments(), scope="module")
def variant_run(request, variant_runs):
    return request.param, variant_runs[(request.param, False)].result()


def test_solution_notebook_runs_cleanly_with_hidden_tests(variant_run):
    """The source notebook, hidden tests included, executes top to bottom without an error."""
    assignment, (problems, _) = variant_run
    assert not problems, f"{assignment}: the solution run has errors: {problems}"


def test_every_wrong_answer_loses_points(variant_run):
    assignment, (_, outcomes) = variant_run
    wrong = [o for o in outcomes if o.kind == "wrong"]
    assert wrong, f"{assignment}: no wrong answers"
    survivors = [o.describe() for o in wrong if not o.as_expected]
    assert not survivors, f"{assignment}: wrong answers that keep full marks (or broke the harness):\n" + "\n".join(survivors)


def test_every_wrong_answer_fails_an_assert_not_only_stderr(variant_run):
    """A wrong answer that lost its points only because a RuntimeWarning reached stderr (nbgrader's 0 for any
    stderr) would keep them once a student silences warnings: every one must fail an assert or raise."""
    assignment, (_, outcomes) = variant_run
    weak = [o.describe() for o in outcomes if o.kind == "wrong" and o.caught_by_stderr_only]
    assert not weak, f"{assignment}: wrong answers caught only by stderr:\n" + "\n".join(weak)


def test_make_mutants_says_when_stderr_alone_cost_the_points():
    from coursekit.mutants import VariantOutcome

    by_stderr = VariantOutcome("a", "f", "noisy", "wrong", scores={"t1": (0.0, 1.0), "t2": (1.0, 1.0)},
                               errors={"t1": "stderr: RuntimeWarning: divide by zero"}, stderr_only={"t1"})
    by_assert = VariantOutcome("a", "f", "off", "wrong", scores={"t1": (0.0, 1.0), "t2": (0.0, 1.0)},
                               errors={"t2": "AssertionError: x"}, stderr_only={"t1"})
    assert by_stderr.caught_by_stderr_only and by_stderr.describe().startswith("ok: stderr")
    assert not by_assert.caught_by_stderr_only and by_assert.describe().startswith("ok ")


def test_every_alternative_answer_keeps_full_marks(variant_run):
    assignment, (_, outcomes) = variant_run
    alternatives = [o for o in outcomes if o.kind == "alternative"]
    assert alternatives, f"{assignment}: no alternative answers"
    rejected = [o.describe() for o in alternatives if not o.as_expected]
    assert not rejected, f"{assignment}: correct alternatives that lose points:\n" + "\n".join(rejected)


def test_the_graders_kernel_scores_every_variant_exactly_as_the_full_plain_run(variant_run, variant_runs):
    """Run as `make grade` runs it (the sandboxed kernel, without the instructor cells marked
    grading="skip"), every wrong and alternative answer gets the same score on every test cell as in
    the plain kernel that ran every cell: neither the sandbox nor the skipped cells change a grade."""
    assignment, (problems, outcomes) = variant_run
    sandboxed_problems, sandboxed = variant_runs[(assignment, True)].result()
    assert sandboxed_problems == problems, f"{assignment}: the solution runs differently in the sandbox"
    plain = {(o.kind, o.function, o.name): (o.scores, o.setup_error) for o in outcomes}
    boxed = {(o.kind, o.function, o.name): (o.scores, o.setup_error) for o in sandboxed}
    differ = {key: (plain[key], boxed.get(key)) for key in plain if plain[key] != boxed.get(key)}
    assert not differ, f"{assignment}: the sandbox changes the scores of {len(differ)} variants: {list(differ.items())[:3]}"
    assert len(boxed) == len(plain) > 0
    from coursekit.sandbox_caps import remove_cgroups

    for run in variant_runs.values():  # no sandbox may be running when the cgroups are counted
        run.result()
    assert remove_cgroups() == 0, "a finished sandbox left a cgroup in use"


def test_the_report_counts_what_each_test_cell_caught():
    """`make mutants`'s table, on outcomes written by hand: a cell catches a wrong answer when it gives it less
    than its points; "only here" counts the ones no other cell of the function caught; a variant whose code
    failed and the alternatives count for no cell."""
    from coursekit.mutants import VariantOutcome, catches_by_cell, catches_report

    def outcome(name, kind="wrong", setup_error="", **scores):
        return VariantOutcome("nb", "f", name, kind, scores=scores, setup_error=setup_error)

    outcomes = [outcome("a", t_one=(0.0, 1.0), t_two=(2.0, 2.0)),     # caught by t_one alone
                outcome("b", t_one=(0.0, 1.0), t_two=(1.0, 2.0)),     # by both (partial credit still counts)
                outcome("c", t_one=(1.0, 1.0), t_two=(2.0, 2.0)),     # by neither (a survivor)
                outcome("d", setup_error="variant code failed: SyntaxError"),
                outcome("e", kind="alternative", t_one=(0.0, 1.0), t_two=(0.0, 2.0)),
                VariantOutcome("nb", "g", "z", "wrong", scores={"t_g": (0.0, 3.0)})]
    assert catches_by_cell(outcomes) == {"f": {"t_one": (2, 1, 3), "t_two": (1, 0, 3)}, "g": {"t_g": (1, 1, 1)}}
    assert catches_report(outcomes) == ["   f: t_one 2/3 (1 only here), t_two 1/3", "   g: t_g 1/1 (1 only here)"]


def test_every_test_cell_listed_for_a_function_catches_a_wrong_answer(variant_run):
    """A test cell that catches none of its function's wrong answers does no work `tests/answers` shows:
    either a wrong answer that only it catches is missing, or the cell checks nothing new."""
    from coursekit.mutants import catches_by_cell

    assignment, (_, outcomes) = variant_run
    idle = [f"{function}/{gid}" for function, cells in catches_by_cell(outcomes).items()
            for gid, (caught, _, _) in cells.items() if caught == 0]
    assert not idle, f"{assignment}: test cells that catch no wrong answer: {idle}"
