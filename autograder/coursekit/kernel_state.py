"""The kernel's state, as the grader checks it: a report a grader cell prints, and what may change.

A student's code can change *how* the kernel runs later cells, or leave code running that watches
them: an IPython transformer or event callback, a patched shell method, a replaced builtin, a
trace or profile function, a thread, a signal handler or timer, a garbage-collector callback or
threshold, an
import hook, a library function replaced by one defined in a notebook cell, a helper of the locked
setup cell replaced. A *state report* (a cell of the grader's, run in a throw-away namespace so it
binds nothing) prints all of these after a token; the grader compares reports:

- the first (before any student code) with every later one: before each test's hidden checks are
  sent (`hidden_checks`: a kernel that is not in its first state never receives them) and at the end;
- the ids of the locked cells' functions and modules, reported right after each locked cell runs,
  with every later report.

What is allowed to differ: threads and callbacks the libraries start themselves (LIBRARY_THREADS;
matplotlib's inline backend's and ipykernel's callbacks), new attributes of a module (lazy imports), and the builtins ipykernel
rebinds for every request (input, getpass).
"""
from __future__ import annotations

import json

# Threads a library starts on first use, whatever the notebook does: tqdm's monitor (its first progress
# bar) and pyzmq's garbage collector (the kernel's first large output). Neither runs the notebook's code.
LIBRARY_THREADS = (("tqdm._monitor", "TMonitor"), ("zmq.utils.garbage", "GarbageCollectorThread"))

# A report: runs in a throw-away namespace so it leaves no name behind in the student's.
_STATE_CODE = r'''
import sys as _sys, builtins as _builtins, json as _json, gc as _gc, signal as _signal
_ip = get_ipython()
def _ids(items):
    return [f"{getattr(x, '__module__', '?')}.{getattr(x, '__qualname__', type(x).__qualname__)}@{id(x)}"
            for x in items]
def _from_a_cell(value):
    code = getattr(value, "__code__", None) or getattr(getattr(value, "__call__", None), "__code__", None)
    name = getattr(code, "co_filename", "") or ""
    return "/ipykernel_" in name or name.startswith("<ipython-input")
# threads that libraries start for themselves, the first time they need them: the library's own class
# (by identity), whose run() is the library's code
_library_threads = set()
for _thread in __import__("threading").enumerate():
    for _module_name, _class_name in LIBRARY_THREADS:
        _class = getattr(_sys.modules.get(_module_name), _class_name, None)
        if _class is not None and type(_thread) is _class and not _from_a_cell(_class.run):
            _library_threads.add(_thread.ident)
_tm = getattr(_ip, "input_transformer_manager", None)
_seen, _library = set(), []
for _value in list(_ip.user_ns.values()):
    if type(_value) is type(_sys) and not _value.__name__.startswith("__"):
        for _module in [_value] + [v for v in list(vars(_value).values()) if type(v) is type(_sys)]:
            if id(_module) in _seen:
                continue
            _seen.add(id(_module))
            for _name, _attr in list(vars(_module).items()):
                if callable(_attr) and type(_attr).__name__ in ("function", "partial", "method") and _from_a_cell(_attr):
                    _library.append(f"{_module.__name__}.{_name}")
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
    # the grader's kernel sends through its own output limiter (an instance attribute): it must stay the same one
    "session": f"{id(type(_ip.kernel.session).send)}:{id(vars(_ip.kernel.session).get('send'))}",
    # (IPython swaps its own excepthook in and out around each cell: the hooks are named, not identified)
    "sys hooks": {"displayhook": type(_sys.displayhook).__qualname__, "excepthook": _ids([_sys.excepthook])[0].split("@")[0],
                  "unraisablehook": _ids([_sys.unraisablehook])[0].split("@")[0],
                  "breakpointhook": _ids([_sys.breakpointhook])[0].split("@")[0],
                  "trace": repr(_sys.gettrace()), "profile": repr(_sys.getprofile())},
    # ipykernel rebinds input() for every request (to forward stdin)
    "builtins": {name: id(value) for name, value in vars(_builtins).items()
                 if not name.startswith("_") and name not in ("input", "raw_input", "getpass")},
    "threads": sorted(str(t) for t in _sys._current_frames()
                      if t != __import__("threading").get_ident() and t not in _library_threads),
    "thread names": sorted(t.name for t in __import__("threading").enumerate() if t.ident not in _library_threads),
    "signal handlers": {str(int(s)): repr(_signal.getsignal(s)) for s in _signal.valid_signals()
                        if s not in (_signal.SIGKILL, _signal.SIGSTOP)},
    "timers": [_signal.getitimer(w) for w in (_signal.ITIMER_REAL, _signal.ITIMER_VIRTUAL, _signal.ITIMER_PROF)],
    "garbage collector": {"callbacks": _ids(_gc.callbacks), "enabled": _gc.isenabled(), "thresholds": _gc.get_threshold()},
    "import hooks": _ids(list(_sys.meta_path) + list(_sys.path_hooks)),
    "library functions from a notebook cell": sorted(_library),
    "helpers": {name: id(_ip.user_ns[name]) for name in HELPERS if name in _ip.user_ns},
}
print(TOKEN + _json.dumps(_facts))
'''


def state_source(token: str, helpers: list[str] | None = None, variant: int = 0) -> str:
    """A state report: one expression statement, so nothing is assigned in the student's namespace.
    `helpers`: names whose objects it reports (the locked cells' functions and modules); `variant`
    makes two reports' sources differ (the grader finds its cells again by their exact source)."""
    code = (_STATE_CODE.replace("TOKEN", repr(token)).replace("HELPERS", repr(sorted(helpers or [])))
            .replace("LIBRARY_THREADS", repr(LIBRARY_THREADS)))
    return f"exec({' ' * variant}compile({code!r}, '<grader>', 'exec'), {{'get_ipython': get_ipython}})"


def read_state(outputs: list, token: str) -> dict | None:
    """The report among a cell's outputs (None if it did not print one)."""
    for output in outputs:
        if output.get("output_type") == "stream" and output.get("name") == "stdout":
            for line in str(output.get("text", "")).splitlines():
                if line.startswith(token):
                    try:
                        return json.loads(line[len(token):])
                    except ValueError:
                        return None
    return None


# threads and callbacks the kernel's libraries start or register themselves
_OWN_CALLBACKS = ("matplotlib_inline.", "matplotlib.", "ipykernel.")


def compare_states(first: dict, later: dict, helpers: dict[str, int] | None = None) -> list[str]:
    """What changed between the first report and a later one (see the module docstring); `helpers`:
    name -> id of each locked cell's function or module, as reported right after its cell."""
    findings = []
    for key in ("input transformers", "AST transformers", "custom exception handlers", "shell methods",
                "kernel methods", "session", "sys hooks", "signal handlers", "timers", "garbage collector",
                "import hooks"):
        if first.get(key) != later.get(key):
            a, b = first.get(key), later.get(key)
            which = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k)) if isinstance(a, dict) and isinstance(b, dict) else []
            findings.append(f"{key} were changed" + (f" ({', '.join(which[:4])})" if which else ""))
    before, after = first.get("event callbacks", {}), later.get("event callbacks", {})
    for event in sorted(set(before) | set(after)):
        added = [c for c in after.get(event, []) if c not in before.get(event, []) and not c.startswith(_OWN_CALLBACKS)]
        if added or any(c not in after.get(event, []) for c in before.get(event, [])):
            findings.append(f"IPython '{event}' event callbacks were changed")
    changed = sorted(name for name, ident in first.get("builtins", {}).items() if later.get("builtins", {}).get(name) != ident)
    if changed:
        findings.append("builtins were replaced or removed: " + ", ".join(changed[:8]))
    extra = sorted(set(later.get("threads", [])) - set(first.get("threads", [])))
    if extra:
        names = sorted(set(later.get("thread names", [])) - set(first.get("thread names", [])))
        findings.append(f"{len(extra)} thread(s) started by the notebook were still running"
                        + (f" ({', '.join(names[:4])})" if names else ""))
    if later.get("library functions from a notebook cell"):
        findings.append("library functions were replaced by functions of the notebook: "
                        + ", ".join(later["library functions from a notebook cell"][:6]))
    replaced = sorted(name for name, ident in (helpers or {}).items()
                      if name in later.get("helpers", {}) and later["helpers"][name] != ident)
    if replaced:
        findings.append("the read-only cells' functions or modules were replaced: " + ", ".join(replaced[:6]))
    return findings


def locked_names(source: str) -> list[str]:
    """The functions, classes and modules a locked cell binds at its top level (reported after it runs)."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    names = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names += [alias.asname or alias.name.split(".")[0] for alias in node.names if alias.name != "*"]
    return names
