"""Source flags: the student's own cells, read (never run), for code a TA should look at.

Code that reaches for what a kernel holds besides the student's own work (IPython's history and
namespaces, stack frames and tracebacks, threads and trace functions, `sys.modules`, builtins,
`gc`, `ctypes`, processes, sockets, paths outside the notebook's folder) is not wrong in itself, so
it costs no points: the submission is graded as usual and listed for a TA, with the cell and line.

The syntax tree is read, not the spelling: an attribute is flagged on whatever object it is
reached (`e.__traceback__.tb_frame.f_back.f_globals`), a module under any alias (`import sys as
s; s._getframe`), and anything that reaches a name the tree cannot see is flagged for that alone:
`getattr`/`setattr`/`delattr`/`hasattr` or `operator.attrgetter`/`methodcaller` with a computed
name (or passed around as a value), `eval`, `exec`, `compile`, `__import__`, `importlib`, `vars()`,
`globals()`, `locals()`, `__dict__`. A string constant that names a flagged attribute is flagged
too (`getattr(sys, "_getframe")`).
"""
from __future__ import annotations

import ast
import re

_FLAGGED_MODULES = {
    "ctypes": "imports ctypes", "subprocess": "imports subprocess", "socket": "imports socket",
    "gc": "imports gc", "IPython": "imports IPython", "ipykernel": "imports ipykernel", "jupyter_client": "imports jupyter_client",
    "zmq": "imports zmq", "builtins": "imports builtins", "importlib": "imports importlib",
    "multiprocessing": "imports multiprocessing", "urllib": "imports urllib", "http": "imports http",
    "requests": "imports requests", "shutil": "imports shutil", "pty": "imports pty", "signal": "imports signal",
    "sqlite3": "imports sqlite3", "inspect": "imports inspect", "__main__": "imports __main__",
    "linecache": "imports linecache (the source of every cell run)", "threading": "imports threading",
    "_thread": "imports _thread", "concurrent": "imports concurrent", "asyncio": "imports asyncio",
    "traceback": "imports traceback (walks stack frames)", "types": "imports types", "marshal": "imports marshal",
    "dis": "imports dis", "code": "imports code", "codeop": "imports codeop", "atexit": "imports atexit",
    "faulthandler": "imports faulthandler", "pickle": "imports pickle", "dill": "imports dill",
    "cloudpickle": "imports cloudpickle", "operator": "", "sys": "", "os": "",
}
_FLAGGED_CALLS = {
    "get_ipython": "uses get_ipython()", "__import__": "uses __import__", "exec": "uses exec()", "eval": "uses eval()",
    "compile": "uses compile()", "globals": "uses globals()", "locals": "uses locals()", "vars": "uses vars()",
    "breakpoint": "uses breakpoint()",
}
_DYNAMIC_ACCESS = {"getattr", "setattr", "delattr", "hasattr"}  # fine with a constant, ordinary name
# attributes that reach frames, code, namespaces or the kernel, on any object
_FLAGGED_ANYWHERE = {
    "f_back", "f_globals", "f_locals", "f_code", "f_builtins", "f_trace", "tb_frame", "tb_next", "gi_frame",
    "cr_frame", "ag_frame", "co_consts", "co_code", "co_names", "__traceback__", "__globals__", "__code__",
    "__closure__", "__subclasses__", "__builtins__", "__dict__", "__getattribute__", "__self__", "__func__",
    "_getframe", "_current_frames", "settrace", "setprofile", "gettrace", "getprofile", "addaudithook",
    "get_referrers", "get_referents", "get_objects", "user_ns", "user_global_ns", "history_manager",
    "input_transformers_cleanup", "input_transformers_post", "ast_transformers", "run_cell", "showtraceback",
    "set_custom_exc", "iopub_socket", "shell_streams", "last_traceback", "last_value", "last_type",
    "exc_info", "_xoptions", "meta_path", "path_hooks", "path_importer_cache", "excepthook", "displayhook",
    "breakpointhook", "interrupt_main", "start_new_thread", "enumerate", "stack", "currentframe",
}
_NEEDS_MODULE = {  # attributes flagged only on this module (`enumerate` alone is a builtin, `stack` a numpy call)
    "enumerate": {"threading"}, "stack": {"inspect", "traceback"}, "currentframe": {"inspect"},
    "exc_info": {"sys"}, "excepthook": {"sys", "threading"}, "displayhook": {"sys"},
}
_FLAGGED_ON_MODULE = {
    ("sys", "modules"): "touches sys.modules", ("sys", "stdout"): "touches sys.stdout",
    ("sys", "stderr"): "touches sys.stderr", ("sys", "audit"): "uses sys.audit",
    ("os", "system"): "runs a shell (os.system)", ("os", "popen"): "runs a shell (os.popen)",
    ("os", "fork"): "forks (os.fork)", ("os", "kill"): "sends signals (os.kill)", ("os", "setsid"): "uses os.setsid",
    ("os", "environ"): "touches os.environ", ("os", "putenv"): "touches the environment (os.putenv)",
    ("os", "execv"): "replaces its process (os.execv)", ("os", "execve"): "replaces its process (os.execve)",
    ("os", "_exit"): "ends its process (os._exit)", ("os", "dup2"): "rewires file descriptors (os.dup2)",
    ("os", "killpg"): "sends signals (os.killpg)", ("os", "posix_spawn"): "starts processes (os.posix_spawn)",
    ("operator", "attrgetter"): "", ("operator", "methodcaller"): "",
}
# IPython's history and output caches: In, Out, _ih, _oh, _i, _ii, _iii, _i7, _7, __, ___
_HISTORY = re.compile(r"^(In|Out|_ih|_oh|_dh|_i{1,3}|_i\d+|_\d+|_{2,3})$")
_SAFE_MAGICS = {"timeit", "time", "matplotlib", "precision", "who", "whos", "pinfo", "pinfo2", "config"}


def _outside_folder(path: str) -> bool:
    """An absolute path, a home folder, or a climb out of the notebook's folder."""
    return bool(re.match(r"^(/[A-Za-z._]|~)", path)) or ".." in re.split(r"[\\/]", path.strip())


def _python_source(source: str) -> str:
    """The cell as Python (magics and shell escapes become get_ipython() calls, as IPython runs them)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)
    except Exception:
        return source


def module_aliases(trees: list[ast.AST]) -> dict[str, str]:
    """Local name -> the module (or module attribute, dotted) it was imported as, over every cell."""
    aliases = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    aliases[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def _module_of(node: ast.AST, aliases: dict[str, str]) -> str | None:
    """The module an expression names (`sys`, an alias of it, `os.path`), if it names one."""
    if isinstance(node, ast.Name):
        return aliases.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _module_of(node.value, aliases)
        return f"{base}.{node.attr}" if base else None
    return None


def _attribute_flag(name: str, module: str | None) -> str:
    """Why reaching attribute `name` (on `module`, when known) is flagged ('' if it is not)."""
    top = (module or "").split(".")[0]
    if name in _NEEDS_MODULE:
        return f"reaches {top}.{name}" if top in _NEEDS_MODULE[name] else ""
    if name in _FLAGGED_ANYWHERE:
        return f"reaches {name}" + (f" of {module}" if module else "")
    return _FLAGGED_ON_MODULE.get((top, name), "")


def flag_source(source: str, aliases: dict[str, str] | None = None) -> list[str]:
    """What in one cell's source a TA should look at (empty for ordinary code). `aliases`: the
    notebook's imports (see module_aliases), else this cell's own."""
    try:
        tree = ast.parse(_python_source(source))
    except SyntaxError:
        return []
    aliases = aliases if aliases is not None else module_aliases([tree])
    found: list[str] = []
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}

    def add(node, what):
        if what:
            found.append(f"line {getattr(node, 'lineno', '?')}: {what}")

    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for name in names:
                add(node, _FLAGGED_MODULES.get(name.split(".")[0], ""))
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    add(node, _attribute_flag(alias.name, node.module))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if _outside_folder(node.value):
                add(node, f"names a path outside its folder ({node.value[:60]!r})")
            elif node.value in _FLAGGED_ANYWHERE and node.value not in _NEEDS_MODULE:
                add(node, f"names {node.value!r} in a string")
        elif isinstance(node, ast.Name):
            if node.id in ("__builtins__", "__loader__", "__spec__"):
                add(node, f"touches {node.id}")
            elif isinstance(node.ctx, ast.Load) and _HISTORY.match(node.id):
                add(node, f"reads IPython's input or output history ({node.id})")
            elif node.id in _DYNAMIC_ACCESS | set(_FLAGGED_CALLS) and id(node) not in called:
                add(node, f"passes {node.id} around as a value")
        elif isinstance(node, ast.Attribute):
            add(node, _attribute_flag(node.attr, _module_of(node.value, aliases)))
        elif isinstance(node, ast.Call):
            _flag_call(node, tree, aliases, add)
    return sorted(set(found), key=found.index)


def _flag_call(node: ast.Call, tree: ast.AST, aliases: dict[str, str], add) -> None:
    func = node.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    if isinstance(func, ast.Name):
        target = aliases.get(name, "")
    else:
        target = f"{_module_of(func.value, aliases) or ''}.{name}" if isinstance(func, ast.Attribute) else ""
    if isinstance(func, ast.Name) and name in _FLAGGED_CALLS and not (name == "get_ipython" and _is_safe_magic_call(node, tree)):
        add(node, _FLAGGED_CALLS[name])
    dynamic = (isinstance(func, ast.Name) and name in _DYNAMIC_ACCESS and len(node.args) >= 2) or \
        target.endswith(("operator.attrgetter", "operator.methodcaller")) or name in ("attrgetter", "methodcaller")
    if dynamic:
        names = node.args[1:2] if name in _DYNAMIC_ACCESS else node.args
        for argument in names:
            if not (isinstance(argument, ast.Constant) and isinstance(argument.value, str)):
                add(node, f"uses {name} with a computed name")
            elif argument.value.startswith("__") or _attribute_flag(argument.value.split(".")[-1], None):
                add(node, f"uses {name} to reach {argument.value!r}")
    if name in ("run_line_magic", "run_cell_magic", "system", "getoutput"):
        magic = _magic_name(node)
        if name in ("system", "getoutput"):
            add(node, "runs a shell command (!)")
        elif magic not in _SAFE_MAGICS:
            add(node, f"runs the %{magic} magic")


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


def flag_notebook(nb: dict, instructor_sources: set[str] = frozenset(), roles: dict[str, dict] | None = None) -> list[str]:
    """Flags for every cell the student wrote: not a test or read-only cell (nbgrader restores those
    from the source), nor an instructor's cell left as released. A cell's role is the source's
    (`roles`: grade_id -> the source's nbgrader metadata), never what the submission's metadata claims:
    a cell the source does not know is the student's."""
    texts, trees = {}, []
    for index, cell in enumerate(nb.get("cells", []), start=1):
        if cell.get("cell_type") != "code":
            continue
        grade_id = (cell.get("metadata", {}).get("nbgrader") or {}).get("grade_id")
        role = (roles or {}).get(grade_id) if roles is not None else cell.get("metadata", {}).get("nbgrader", {})
        role = role or {}
        if role.get("locked") or (role.get("grade") and not role.get("solution")):
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        if source in instructor_sources:
            continue
        texts[index] = source
        try:
            trees.append(ast.parse(_python_source(source)))
        except SyntaxError:
            continue
    aliases = module_aliases(trees)
    flags = []
    for index, source in texts.items():
        flags += [f"cell {index}, {what}" for what in flag_source(source, aliases)]
    return flags
