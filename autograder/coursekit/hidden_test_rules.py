"""The rules every hidden test of a source keeps, so that it gives a student's code nothing to read
(checked by `make sources` and `tests/test_sources.py`; see `hidden_checks` for how they run).

A graded name is one a solution cell defines at its top level (the student's functions and classes).
In each test cell's hidden block:

1. the block has its two halves: the answers, then `### HIDDEN CHECKS`, then the checks;
2. the checks never name a graded name (no student code runs while a reference exists), nor a name the
   visible part binds to what student code returned (`_got_vis = fit(...)`: freeze it in the answers)
   or a function of the visible part that calls student code;
3. in the answers, every call of a graded name is inside `frozen(...)`, directly or through a
   function of the answers that is itself called only inside `frozen(...)`; a graded name is
   never kept as a value (`f = nce_loss`) outside such a call;
   (so every name the checks can read holds plain data or the course's own fixtures);
4. a per-submission seed line (`NAME = <int>  # per-submission seed`) stands in the answers.
"""
from __future__ import annotations

import ast

from .hidden_checks import CHECKS_MARK, seed_lines, split_hidden
from .student_view import HIDDEN_BEGIN, HIDDEN_END


def graded_names(cells) -> set[str]:
    """Every function and class a solution cell defines at its top level."""
    names = set()
    for cell in cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("solution"):
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        names.update(n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)))
    return names


def _hidden_parts(source: str) -> tuple[str, str] | None:
    parts = split_hidden(source)
    if parts is None:
        return None
    answers, checks = parts
    return answers.split(HIDDEN_BEGIN, 1)[1].split("\n", 1)[-1], checks


def _parents(tree: ast.AST) -> dict[int, ast.AST]:
    return {id(child): node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _inside_frozen(node: ast.AST, parents: dict[int, ast.AST]) -> bool:
    while id(node) in parents:
        node = parents[id(node)]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "frozen":
            return True
    return False


def _enclosing_function(node: ast.AST, parents: dict[int, ast.AST]) -> str | None:
    while id(node) in parents:
        node = parents[id(node)]
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            return getattr(node, "name", None)
    return None


def check_answers(answers: str, graded: set[str]) -> list[str]:
    """Rules 3 and 4 for the answers half of one hidden block."""
    try:
        tree = ast.parse(answers)
    except SyntaxError as error:
        return [f"the answers do not parse: {error}"]
    parents = _parents(tree)
    problems = []
    helpers = {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in graded:
            if _inside_frozen(node, parents):
                continue
            function = _enclosing_function(node, parents)
            if function is None or function not in helpers:
                problems.append(f"line {node.lineno}: `{node.id}` is used outside frozen(...)")
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in helpers:
            if isinstance(parents.get(id(node)), ast.Call) and not _inside_frozen(node, parents) \
                    and _enclosing_function(node, parents) is None:
                problems.append(f"line {node.lineno}: the answers' helper `{node.id}` is called outside frozen(...)")
    return sorted(set(problems), key=problems.index)


def _loads(node: ast.AST, touched: set[str], named: dict[str, int]) -> None:
    """Note each load of a touched name in an expression (a comprehension's own variables excepted)."""
    own = {n.id for c in ast.walk(node) if isinstance(c, ast.comprehension) for n in ast.walk(c.target)
           if isinstance(n, ast.Name)}
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in touched - own:
            named.setdefault(n.id, n.lineno)


def _check_in_order(statements: list[ast.stmt], touched: set[str], named: dict[str, int]) -> None:
    for node in statements:
        if isinstance(node, (ast.For, ast.AsyncFor)):
            _loads(node.iter, touched, named)
            touched -= _bound(node.target)
            _check_in_order(node.body + node.orelse, touched, named)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                _loads(item.context_expr, touched, named)
                touched -= _bound(item.optional_vars)
            _check_in_order(node.body, touched, named)
        elif isinstance(node, (ast.If, ast.While)):
            _loads(node.test, touched, named)
            _check_in_order(node.body + node.orelse, touched, named)
        elif isinstance(node, ast.Try):
            _check_in_order(node.body + [s for h in node.handlers for s in h.body] + node.orelse + node.finalbody,
                            touched, named)
        else:
            _loads(node, touched, named)
            touched -= {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                touched.discard(node.name)


def check_checks(checks: str, graded: set[str]) -> list[str]:
    """Rule 2 for the checks half of one hidden block (`graded`: what is student code at its start)."""
    try:
        tree = ast.parse(checks)
    except SyntaxError as error:
        return [f"the checks do not parse: {error}"]
    named: dict[str, int] = {}
    _check_in_order(tree.body, set(graded), named)
    return [f"line {line}: the checks name `{name}` (student code, or what it returned before frozen(...))"
            for name, line in sorted(named.items(), key=lambda item: item[1])]


def _names_in(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _clean(value: ast.AST, touched: set[str]) -> bool:
    """True if `value` gives plain data: it names no student code, or passes what does through frozen()."""
    if not _names_in(value) & touched:
        return True
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "frozen":
        return True
    if isinstance(value, (ast.Tuple, ast.List)):
        return all(_clean(element, touched) for element in value.elts)
    if isinstance(value, ast.Call) and not _names_in(value.func) & touched:  # course code given plain data
        return all(_clean(arg, touched) for arg in value.args + [k.value for k in value.keywords])
    if isinstance(value, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
        return _clean(value.elt, touched)
    if isinstance(value, ast.DictComp):
        return _clean(value.key, touched) and _clean(value.value, touched)
    return False


def _bound(target: ast.AST | None) -> set[str]:
    return {n.id for n in ast.walk(target) if isinstance(n, ast.Name)} if target is not None else set()


def _follow(statements: list[ast.stmt], touched: set[str]) -> None:
    """Walk statements in order: a name bound to what student code returned (not through frozen) is
    touched, a name bound again to plain data is not any more."""
    for node in statements:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            (touched.add if _names_in(node) & touched else touched.discard)(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            clean = _clean(node.value, touched)
            for target in getattr(node, "targets", None) or [node.target]:
                for name in _bound(target):
                    (touched.discard if clean else touched.add)(name)
        elif isinstance(node, ast.AugAssign) and not _clean(node.value, touched):
            touched |= _bound(node.target)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            if not _clean(node.iter, touched):
                touched |= _bound(node.target)
            _follow(node.body + node.orelse, touched)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None and not _clean(item.context_expr, touched):
                    touched |= _bound(item.optional_vars)
            _follow(node.body, touched)
        elif isinstance(node, (ast.If, ast.While)):
            _follow(node.body + node.orelse, touched)
        elif isinstance(node, ast.Try):
            _follow(node.body + [s for h in node.handlers for s in h.body] + node.orelse + node.finalbody, touched)


def student_touched(code: str, graded: set[str]) -> set[str]:
    """The graded names, plus what `code` (a test cell's visible part and answers) makes of them: its
    functions that call student code, and the names still bound at its end to what such code returned
    (not through `frozen(...)`)."""
    touched = set(graded)
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return touched
    for _ in range(2):  # twice: a function used before the helper it calls is defined
        _follow(tree.body, touched)
    return touched


def check_hidden_tests(cells, where: str) -> list[str]:
    """Every breach of the module's rules in a source's test cells (an empty list if none)."""
    graded = graded_names(cells)
    problems = []
    for cell in cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution") or HIDDEN_BEGIN not in cell.source:
            continue
        grade_id = meta.get("grade_id", "?")
        if cell.source.count(CHECKS_MARK) != 1 or HIDDEN_END not in cell.source:
            problems.append(f"{where}/{grade_id}: its hidden block needs one `{CHECKS_MARK}` line between the "
                            "answers and the checks")
            continue
        answers, checks = _hidden_parts(cell.source)
        visible = cell.source.split(HIDDEN_BEGIN, 1)[0]
        problems += [f"{where}/{grade_id}: {p}" for p in
                     check_answers(answers, student_touched(visible, graded))
                     + check_checks(checks, student_touched(visible + "\n" + answers, graded))]
        if seed_lines(checks):
            problems.append(f"{where}/{grade_id}: a per-submission seed line stands in the checks")
    return problems
