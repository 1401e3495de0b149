"""Source flags: the student's own cells, read (never run), for code a TA should look at.

Code that reaches for IPython internals, `sys.modules`, builtins, `gc`, `ctypes`, `subprocess`,
sockets, or paths outside the notebook's folder is not wrong in itself, so it costs no points;
the submission is graded as usual and listed for a TA, with the cell and line.
"""
from __future__ import annotations

import ast
import re

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
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _outside_folder(node.value):
            add(node, f"names a path outside its folder ({node.value[:60]!r})")
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
