"""Tampering detection: the grader's own known-answer cells, a kernel-state check, and source flags.

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
- **Kernel state.** A first cell (before any student code) and a last cell print the shell's
  input transformers, AST transformers, custom exception handlers, event callbacks, the
  shell's and kernel's key methods, sys hooks and the builtins; the grader compares the two.
- **Source flags.** The student's own cells are read (never run) for code that reaches for
  IPython internals, `sys.modules`, builtins, `gc`, `ctypes`, `subprocess`, sockets, or files
  outside its folder; such a submission is graded but listed for a TA to look at.
"""
from __future__ import annotations

import ast
import json
import random
import re
from dataclasses import dataclass, field

from nbformat import NotebookNode

MUST_FAIL, MUST_PASS, STATE_FIRST, STATE_LAST = "must fail", "must pass", "state first", "state last"

_DOCSTRINGS = ('"""Check the value against the reference."""', '"""Compare with the closed form."""',
               '"""Check the result to the stated tolerance."""', '"""Reference value, float64."""')


def _number(rng: random.Random) -> str:
    return f"{rng.uniform(0.05, 9.5):.{rng.randint(3, 6)}f}"


def _different(rng: random.Random, value: str) -> str:
    other = float(value) * rng.choice((1.01, 0.98, 1.2, 0.5)) + rng.choice((0.01, 0.1, 0.3))
    return f"{other:.6f}"


def known_answer_source(kind: str, rng: random.Random, has_check_close: bool) -> str:
    """A cell that looks like a test and must fail (or pass) in any honest kernel."""
    value = _number(rng)
    expected = _different(rng, value) if kind == MUST_FAIL else value
    if kind == MUST_PASS:  # plain Python only: an honest notebook may lack numpy or the helpers here
        return rng.choice(_DOCSTRINGS) + "\n" + f'assert abs({value} - {expected}) < 1e-06, "expected {expected}, got {value}"'
    forms = [f'assert abs({value} - {expected}) < 1e-06, "expected {expected}, got {value}"',
             f"np.testing.assert_allclose(np.float64({value}), {expected}, rtol=1e-07)"]
    if has_check_close:
        label = rng.choice(("value", "reference", "result", "closed form"))
        forms.append(f'check_close("{label}", {value}, {expected}, atol=1e-9, rtol=1e-9)')
    return rng.choice(_DOCSTRINGS) + "\n" + rng.choice(forms)


# The state check: runs in a throw-away namespace so it leaves no name behind in the student's.
_STATE_CODE = r'''
import sys as _sys, builtins as _builtins, json as _json
_ip = get_ipython()
def _ids(items):
    return [f"{getattr(x, '__module__', '?')}.{getattr(x, '__qualname__', type(x).__qualname__)}@{id(x)}"
            for x in items]
_tm = getattr(_ip, "input_transformer_manager", None)
_facts = {
    "input transformers": _ids(list(getattr(_ip, "input_transformers_cleanup", [])) + list(getattr(_ip, "input_transformers_post", []))
                               + (list(_tm.cleanup_transforms) + list(_tm.line_transforms) + list(_tm.token_transformers) if _tm else [])),
    "AST transformers": _ids(_ip.ast_transformers),
    "custom exception handlers": repr(_ip.custom_exceptions),
    "event callbacks": {name: _ids(callbacks) for name, callbacks in _ip.events.callbacks.items()},
    "shell methods": {name: str(id(getattr(type(_ip), name, None))) + ("+instance" if name in vars(_ip) else "")
                      for name in ("run_cell", "run_cell_async", "run_ast_nodes", "run_code", "showtraceback",
                                   "_showtraceback", "showsyntaxerror", "transform_cell", "transform_ast",
                                   "should_run_async", "get_exception_only", "excepthook", "run_line_magic")},
    "kernel methods": {name: str(id(getattr(type(_ip.kernel), name, None))) + ("+instance" if name in vars(_ip.kernel) else "")
                       for name in ("do_execute", "execute_request", "send_response", "dispatch_shell")},
    "session": str(id(type(_ip.kernel.session).send)) + ("+instance" if "send" in vars(_ip.kernel.session) else ""),
    "sys hooks": {"displayhook": type(_sys.displayhook).__qualname__,
                  "trace": repr(_sys.gettrace()), "profile": repr(_sys.getprofile())},
    # ipykernel rebinds input() for every request (to forward stdin)
    "builtins": {name: id(value) for name, value in vars(_builtins).items()
                 if not name.startswith("_") and name not in ("input", "raw_input", "getpass")},
}
print(TOKEN + _json.dumps(_facts))
'''


def state_source(token: str) -> str:
    """The state-check cell: one expression statement, so nothing is assigned in the student's namespace."""
    code = _STATE_CODE.replace("TOKEN", repr(token))
    return f"exec(compile({code!r}, '<grader>', 'exec'), {{'get_ipython': get_ipython}})"


@dataclass
class KnownAnswers:
    """The cells the grader added to one submission, by exact source."""

    cells: dict[str, str] = field(default_factory=dict)  # source -> kind
    token: str = ""


def _is_test(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("grade")) and not meta.get("solution")


def insert_known_answers(nb: dict, seed: int) -> KnownAnswers:
    """Insert the known-answer and state cells into a notebook (a plain JSON dict), in place."""
    rng = random.Random(seed)
    plan = KnownAnswers(token=f"coursekit-state-{rng.getrandbits(64):016x}:")
    has_check_close = any("def check_close" in "".join(c.get("source", "")) for c in nb.get("cells", []))

    def cell(source: str, kind: str) -> dict:
        plan.cells[source] = kind
        new = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}
        if nb.get("nbformat", 4) == 4 and nb.get("nbformat_minor", 0) >= 5:
            new["id"] = f"grader-{rng.getrandbits(48):012x}"
        return new

    cells = nb.get("cells", [])
    out = [cell(state_source(plan.token), STATE_FIRST)]
    for original in cells:
        out.append(original)
        if _is_test(original):
            kind = rng.choice((MUST_FAIL, MUST_PASS))
            out.append(cell(known_answer_source(kind, rng, has_check_close), kind))
    out += [cell(known_answer_source(MUST_FAIL, rng, has_check_close), MUST_FAIL),
            cell(known_answer_source(MUST_PASS, rng, has_check_close), MUST_PASS),
            cell(state_source(plan.token).replace("exec(", "exec( ", 1), STATE_LAST)]
    nb["cells"] = out
    return plan


def _has_error(cell: NotebookNode) -> bool:
    return any(o.get("output_type") == "error" for o in cell.get("outputs", []))


def _state(cell: NotebookNode, token: str) -> dict | None:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stdout":
            for line in output.get("text", "").splitlines():
                if line.startswith(token):
                    try:
                        return json.loads(line[len(token):])
                    except ValueError:
                        return None
    return None


def _compare_states(first: dict, last: dict) -> list[str]:
    findings = []
    for key in ("input transformers", "AST transformers", "custom exception handlers", "shell methods",
                "kernel methods", "session", "sys hooks"):
        if first.get(key) != last.get(key):
            findings.append(f"{key} were changed")
    before, after = first.get("event callbacks", {}), last.get("event callbacks", {})
    for event in sorted(set(before) | set(after)):
        added = [c for c in after.get(event, []) if c not in before.get(event, [])]
        # matplotlib's inline backend registers its own figure flush when pyplot is imported
        added = [c for c in added if not c.startswith(("matplotlib_inline.", "matplotlib.", "ipykernel."))]
        if added or any(c not in after.get(event, []) for c in before.get(event, [])):
            findings.append(f"IPython '{event}' event callbacks were changed")
    changed = sorted(name for name, ident in first.get("builtins", {}).items()
                     if last.get("builtins", {}).get(name) != ident)
    if changed:
        findings.append("builtins were replaced or removed: " + ", ".join(changed[:8]))
    return findings


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
    states = {k: _state(found[s], plan.token) for s, k in plan.cells.items() if k in (STATE_FIRST, STATE_LAST) and s in found}
    if states.get(STATE_FIRST) is None or states.get(STATE_LAST) is None:
        problems.append("the kernel-state check did not report")
    else:
        problems += ["kernel state: " + f for f in _compare_states(states[STATE_FIRST], states[STATE_LAST])]
    return problems


def remove_known_answers(nb: NotebookNode, plan: KnownAnswers) -> NotebookNode:
    nb.cells = [c for c in nb.cells if not (c.cell_type == "code" and c.source in plan.cells)]
    return nb


# ---------------------------------------------------------------------------- source flags
_FLAGGED_MODULES = {
    "ctypes": "imports ctypes", "subprocess": "imports subprocess", "socket": "imports socket",
    "gc": "imports gc", "IPython": "imports IPython", "ipykernel": "imports ipykernel",
    "builtins": "imports builtins", "importlib": "imports importlib", "multiprocessing": "imports multiprocessing",
    "urllib": "imports urllib", "http": "imports http", "requests": "imports requests", "shutil": "imports shutil",
    "pty": "imports pty", "signal": "imports signal", "sqlite3": "imports sqlite3", "inspect": "imports inspect",
}
_FLAGGED_CALLS = {
    "get_ipython": "uses get_ipython()", "__import__": "uses __import__", "exec": "uses exec()", "eval": "uses eval()",
    "compile": "uses compile()", "globals": "uses globals()", "setattr": "uses setattr()", "delattr": "uses delattr()",
}
_FLAGGED_ATTRIBUTES = {
    ("sys", "modules"): "touches sys.modules", ("sys", "settrace"): "uses sys.settrace",
    ("sys", "setprofile"): "uses sys.setprofile", ("sys", "excepthook"): "touches sys.excepthook",
    ("sys", "displayhook"): "touches sys.displayhook", ("sys", "_getframe"): "uses sys._getframe",
    ("sys", "stdout"): "touches sys.stdout", ("sys", "stderr"): "touches sys.stderr",
    ("os", "system"): "runs a shell (os.system)", ("os", "popen"): "runs a shell (os.popen)",
    ("os", "fork"): "forks (os.fork)", ("os", "kill"): "sends signals (os.kill)", ("os", "setsid"): "uses os.setsid",
    ("os", "environ"): "touches os.environ",
}
_FILE_FUNCTIONS = {"open", "Path", "listdir", "scandir", "glob", "iglob", "rglob", "walk", "remove", "unlink",
                   "rmtree", "rename", "replace", "chdir", "loadtxt", "genfromtxt", "read_csv", "load", "fromfile"}
_SAFE_MAGICS = {"timeit", "time", "matplotlib", "precision", "who", "whos", "pinfo", "pinfo2", "config"}


def _outside_folder(path: str) -> bool:
    return path.startswith(("/", "~")) or ".." in re.split(r"[\\/]", path)


def _python_source(source: str) -> str:
    """The cell as Python (magics and shell escapes become get_ipython() calls, as IPython runs them)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)
    except Exception:
        return source


def flag_source(source: str) -> list[str]:
    """What in one cell's source a TA should look at (empty for ordinary code)."""
    code = _python_source(source)
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    found = []

    def add(node, what):
        found.append(f"line {getattr(node, 'lineno', '?')}: {what}")

    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for name in names:
                top = name.split(".")[0]
                if top in _FLAGGED_MODULES:
                    add(node, _FLAGGED_MODULES[top])
            if isinstance(node, ast.ImportFrom) and node.module in ("os", "sys"):
                for alias in node.names:
                    if (node.module, alias.name) in _FLAGGED_ATTRIBUTES:
                        add(node, _FLAGGED_ATTRIBUTES[(node.module, alias.name)])
        elif isinstance(node, ast.Name) and node.id in ("__builtins__", "__loader__", "__spec__"):
            add(node, f"touches {node.id}")
        elif isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and (node.value.id, node.attr) in _FLAGGED_ATTRIBUTES:
                add(node, _FLAGGED_ATTRIBUTES[(node.value.id, node.attr)])
            elif node.attr.startswith("__") and node.attr.endswith("__") and node.attr in (
                    "__globals__", "__code__", "__subclasses__", "__builtins__", "__closure__", "__dict__"):
                add(node, f"reaches into {node.attr}")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if (isinstance(func, ast.Name) and name in _FLAGGED_CALLS
                    and not (name == "get_ipython" and _is_safe_magic_call(node, tree))):
                add(node, _FLAGGED_CALLS[name])
            if name in _FILE_FUNCTIONS:
                for arg in node.args[:1]:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and _outside_folder(arg.value):
                        add(node, f"opens a path outside its folder ({arg.value[:60]!r})")
            if name in ("run_line_magic", "run_cell_magic", "system", "getoutput"):
                magic = _magic_name(node)
                if name in ("system", "getoutput"):
                    add(node, "runs a shell command (!)")
                elif magic not in _SAFE_MAGICS:
                    add(node, f"runs the %{magic} magic")
    return sorted(set(found), key=found.index)


def _magic_name(call: ast.Call) -> str | None:
    if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
        return call.args[0].value
    return None


def _is_safe_magic_call(node: ast.Call, tree: ast.AST) -> bool:
    """get_ipython() used only as `get_ipython().run_line_magic('timeit', ...)` for a harmless magic."""
    if not (isinstance(node.func, ast.Name) and node.func.id == "get_ipython"):
        return False
    for parent in ast.walk(tree):
        if (isinstance(parent, ast.Call) and isinstance(parent.func, ast.Attribute) and parent.func.value is node
                and parent.func.attr in ("run_line_magic", "run_cell_magic")):
            return _magic_name(parent) in _SAFE_MAGICS
    return False


def flag_notebook(nb: dict, instructor_sources: set[str] = frozenset()) -> list[str]:
    """Flags for every cell the student wrote: not graded or locked cells (the grader restores
    those), nor an instructor's cell left as released."""
    flags = []
    for index, cell in enumerate(nb.get("cells", []), start=1):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") != "code" or (meta.get("locked") or (meta.get("grade") and not meta.get("solution"))):
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        if source in instructor_sources:
            continue
        flags += [f"cell {index}, {what}" for what in flag_source(source)]
    return flags
