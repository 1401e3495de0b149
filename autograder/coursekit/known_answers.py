"""Tampering detection: the grader's own known-answer cells and a kernel-state check.

A student's kernel runs the hidden tests, so student code can change *how* they run: rewrite the
cells (an IPython input transformer), swallow their errors (a custom exception handler, a
patched `showtraceback`), or patch the helpers the tests call. None of that can be prevented
inside the kernel, but it can be caught:

- **Known answers.** Before execution the grader inserts cells of its own (never in any
  release) after every test cell and at the end: cells that must fail and cells that must pass,
  written like the tests (an `assert`, `check_close`, `np.testing.assert_allclose`) with values
  drawn afresh for every submission. Found again by their exact source after execution, a cell
  that must fail but shows no error, or must pass but shows one, means the kernel no longer
  reports what it runs: the submission is marked `needs review`, never given the points.
- **Kernel state** (`kernel_state`). A first cell (before any student code), a cell after every
  locked cell (the ids of what it bound) and a last cell print the kernel's state; the grader
  compares them (and `hidden_checks` compares it again before every test's hidden checks).
- **Source flags.** The student's own cells are read (never run) for code that reaches for
  IPython internals, `sys.modules`, builtins, `gc`, `ctypes`, `subprocess`, sockets, or files
  outside its folder; such a submission is graded but listed for a TA to look at.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from nbformat import NotebookNode

from .kernel_state import compare_states, locked_names, read_state, state_source

MUST_FAIL, MUST_PASS, STATE_FIRST, STATE_LAST = "must fail", "must pass", "state first", "state last"
STATE_HELPERS = "state after a locked cell"  # the ids of what the locked cell just bound

_DOCSTRINGS = ('"""Check the value against the reference."""', '"""Compare with the closed form."""',
               '"""Check the result to the stated tolerance."""', '"""Reference value, float64."""')


def _number(rng: random.Random) -> str:
    return f"{rng.uniform(0.05, 9.5):.{rng.randint(3, 6)}f}"


def _different(rng: random.Random, value: str) -> str:
    """A number at least 0.01 away from `value`, above or below it. (It was `value * factor + offset`
    with factors below 1, which gave `value` itself for a few draws such as 0.5 * 0.98 + 0.01: one
    must-fail cell in 70,000 passed, and an honest notebook was sent to review.)"""
    gap = float(value) * rng.choice((0.01, 0.02, 0.2, 0.5)) + rng.choice((0.01, 0.1, 0.3))
    return f"{float(value) + rng.choice((gap, -gap)):.6f}"


def known_answer_source(kind: str, rng: random.Random, has_check_close: bool, form: int | None = None) -> str:
    """A cell that looks like a test and must fail (or pass) in any honest kernel.

    A cell that must fail uses one of the forms the tests use (a plain assert, numpy's
    assert_allclose, the notebook's check_close): `form` picks one, else it is drawn."""
    value = _number(rng)
    expected = _different(rng, value) if kind == MUST_FAIL else value
    if kind == MUST_PASS:  # plain Python only: an honest notebook may lack numpy or the helpers here
        return rng.choice(_DOCSTRINGS) + "\n" + f'assert abs({value} - {expected}) < 1e-06, "expected {expected}, got {value}"'
    forms = [f'assert abs({value} - {expected}) < 1e-06, "expected {expected}, got {value}"',
             f"np.testing.assert_allclose(np.float64({value}), {expected}, rtol=1e-07)"]
    if has_check_close:
        label = rng.choice(("value", "reference", "result", "closed form"))
        forms.append(f'check_close("{label}", {value}, {expected}, atol=1e-9, rtol=1e-9)')
    return rng.choice(_DOCSTRINGS) + "\n" + (forms[form % len(forms)] if form is not None else rng.choice(forms))


@dataclass
class KnownAnswers:
    """The cells the grader added to one submission, by exact source."""

    cells: dict[str, str] = field(default_factory=dict)  # source -> kind
    token: str = ""
    helpers: list[str] = field(default_factory=list)  # the locked cells' functions and modules (reported by name)


def _is_test(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("grade")) and not meta.get("solution")


def insert_known_answers(nb: dict, seed: int, source_cells: list | None = None) -> KnownAnswers:
    """Insert the known-answer and state cells into a notebook (a plain JSON dict), in place. A
    locked code cell (its role and source from `source_cells`, by grade_id) is followed by a state
    report of the functions and modules it binds."""
    rng = random.Random(seed)
    plan = KnownAnswers(token=f"coursekit-state-{rng.getrandbits(64):016x}:")
    locked = {c.metadata["nbgrader"]["grade_id"]: locked_names(c.source) for c in source_cells or []
              if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("locked")
              and not c.metadata["nbgrader"].get("grade") and c.metadata["nbgrader"].get("grade_id")}
    plan.helpers = sorted({name for names in locked.values() for name in names})
    has_check_close = any("def check_close" in "".join(c.get("source", "")) for c in nb.get("cells", []))

    def cell(source: str, kind: str) -> dict:
        plan.cells[source] = kind
        new = {"cell_type": "code", "execution_count": None, "metadata": {"coursekit": plan.token}, "outputs": [],
               "source": source}
        if nb.get("nbformat", 4) == 4 and nb.get("nbformat_minor", 0) >= 5:
            new["id"] = f"grader-{rng.getrandbits(48):012x}"
        return new

    cells = nb.get("cells", [])
    out = [cell(state_source(plan.token), STATE_FIRST)]
    for original in cells:
        out.append(original)
        grade_id = (original.get("metadata", {}).get("nbgrader") or {}).get("grade_id")
        if original.get("cell_type") == "code" and locked.get(grade_id):
            out.append(cell(state_source(plan.token, locked[grade_id], variant=1 + len(plan.cells)), STATE_HELPERS))
        if _is_test(original):
            kind = rng.choice((MUST_FAIL, MUST_PASS))
            out.append(cell(known_answer_source(kind, rng, has_check_close), kind))
    for form in range(3 if has_check_close else 2):  # every form at least once, after all the tests
        out.append(cell(known_answer_source(MUST_FAIL, rng, has_check_close, form), MUST_FAIL))
    out += [cell(known_answer_source(MUST_PASS, rng, has_check_close), MUST_PASS),
            cell(state_source(plan.token, plan.helpers, variant=1 + len(plan.cells)), STATE_LAST)]
    nb["cells"] = out
    return plan


def _has_error(cell: NotebookNode) -> bool:
    return any(o.get("output_type") == "error" for o in cell.get("outputs", []))


def check_known_answers(nb: NotebookNode, plan: KnownAnswers) -> list[str]:
    """Why the executed notebook cannot be trusted ('' list if every known answer came out right)."""
    found: dict[str, NotebookNode] = {}
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source in plan.cells:
            found[cell.source] = cell
    problems = []
    missing = [s for s in plan.cells if s not in found or found[s].get("execution_count") is None]
    if missing:
        problems.append(f"{len(missing)} of the grader's own cells did not run or were changed")
    fails = [s for s, k in plan.cells.items() if k == MUST_FAIL and s in found and not _has_error(found[s])]
    if fails:
        problems.append(f"{len(fails)} grader check(s) that must fail passed: the kernel no longer reports "
                        "errors as it should (an input transformer, an exception handler or a patched helper)")
    passes = [s for s, k in plan.cells.items() if k == MUST_PASS and s in found and _has_error(found[s])]
    if passes:
        problems.append(f"{len(passes)} grader check(s) that must pass failed: the kernel's state was changed")
    states = {k: read_state(found[s].get("outputs", []), plan.token) for s, k in plan.cells.items()
              if k in (STATE_FIRST, STATE_LAST) and s in found}
    helpers: dict[str, int] = {}
    for source, kind in plan.cells.items():
        if kind == STATE_HELPERS:
            report = read_state(found[source].get("outputs", []), plan.token) if source in found else None
            if report is None:
                states[STATE_FIRST] = None
            else:
                helpers.update(report.get("helpers", {}))
    if states.get(STATE_FIRST) is None or states.get(STATE_LAST) is None:
        problems.append("the kernel-state check did not report")
    else:
        problems += ["kernel state: " + f for f in compare_states(states[STATE_FIRST], states[STATE_LAST], helpers)]
    return problems


def remove_known_answers(nb: NotebookNode, plan: KnownAnswers) -> NotebookNode:
    nb.cells = [c for c in nb.cells if not (c.cell_type == "code" and c.source in plan.cells)]
    return nb
