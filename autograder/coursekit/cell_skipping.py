"""Which cells of a submission the grader need not run: instructor cells that no grade depends on.

The author marks an experiment, a plot or a worked example in the source script with
`# %% grading="skip"`. The mark is a claim, and it is checked twice:

* statically, here: a marked cell may be skipped only if no cell that still runs reads a name it
  defines (the last definition before a top-level read, any definition for a read inside a
  function body, which runs later). `check_source` refuses a source whose marks break this, and
  `plan_skips` applies the same rule to each submission, so a student's own code that reads an
  experiment's variable gets that experiment run (and a student cell that reaches the namespace
  dynamically, through `globals()`, `eval`, `get_ipython` ..., gets every cell run);
* dynamically, in `make test`: the example class and every wrong and alternative answer in
  `tests/answers` score the same with and without skipping (object mutations, random state and
  files are what a name analysis cannot see).

Only a cell whose text is exactly a marked source cell is skipped: a student who changed an
experiment has it run. The grader decides from the source notebook, never from the submission's
metadata.
"""
from __future__ import annotations

import ast
import functools
from dataclasses import dataclass, field

SKIP_MARK = "grading"  # cell metadata key in the source notebook; the value "skip" marks a cell
DYNAMIC_NAMES = frozenset({"globals", "locals", "vars", "eval", "exec", "get_ipython", "__builtins__",
                           "__main__", "__import__", "compile", "_ih", "_oh", "Out", "In"})

CODE_MAGICS = frozenset({"time", "timeit", "prun", "capture"})  # run their text as Python in the notebook
SHELL_MAGICS = frozenset({"matplotlib", "config", "load_ext", "reload_ext", "autoreload", "precision", "pip",
                          "conda", "env", "who", "whos", "pwd", "ls", "cat", "pinfo", "pinfo2", "psearch"})


def is_marked(cell) -> bool:
    return cell.get("cell_type") == "code" and cell.get("metadata", {}).get(SKIP_MARK) == "skip"


def _text(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _python(source: str) -> str | None:
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        code = TransformerManager().transform_cell(source)
        ast.parse(code)
        return code
    except (SyntaxError, ValueError, IndentationError):
        return None


@dataclass
class CellNames:
    """What one cell does with the notebook's global names."""

    binds: set[str] = field(default_factory=set)  # names it may bind at module level
    reads_now: set[str] = field(default_factory=set)  # read at module level before the cell binds them
    reads_later: set[str] = field(default_factory=set)  # read inside function bodies (at call time)
    dynamic: bool = False  # reaches the namespace by other means than names


def _target_names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del))}


def _function_reads(node: ast.AST) -> set[str]:
    """Global names a function, lambda or class body reads (roughly: loads that are not its locals)."""
    local: set[str] = set()
    declared_global: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.arg):
            local.add(sub.arg)
        elif isinstance(sub, ast.Name) and isinstance(sub.ctx, (ast.Store, ast.Del)):
            local.add(sub.id)
        elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and sub is not node:
            local.add(sub.name)
        elif isinstance(sub, (ast.Import, ast.ImportFrom)):
            local.update((a.asname or a.name).split(".")[0] for a in sub.names)
        elif isinstance(sub, (ast.Global, ast.Nonlocal)):
            declared_global.update(sub.names)
    loads = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return loads - (local - declared_global)


class _ModuleReads(ast.NodeVisitor):
    """Walks a cell in execution order, noting module-level reads of names not yet bound by it."""

    def __init__(self, names: CellNames):
        self.names = names
        self.bound: set[str] = set()

    def bind(self, targets: set[str]) -> None:
        self.bound |= targets
        self.names.binds |= targets

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            if node.id in DYNAMIC_NAMES:
                self.names.dynamic = True
            if node.id not in self.bound:
                self.names.reads_now.add(node.id)
        else:
            self.bind({node.id})

    def visit_Call(self, node: ast.Call) -> None:
        """IPython's magics arrive as `get_ipython().run_line_magic(name, text)`: the magics that run
        code are read as that code, the ones that configure the shell are harmless, others are dynamic."""
        func = node.func
        if (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call)
                and isinstance(func.value.func, ast.Name) and func.value.func.id == "get_ipython"
                and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in node.args)):
            args = [a.value for a in node.args]
            if func.attr in ("system", "getoutput"):
                return
            if func.attr in ("run_line_magic", "run_cell_magic") and args:
                if args[0] in CODE_MAGICS:
                    for text in args[1:]:
                        code = _python(text)
                        if code is not None:
                            for stmt in ast.parse(code).body:
                                self.visit(stmt)
                    return
                if args[0] in SHELL_MAGICS:
                    return
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self.visit(target)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
        self.visit(node.annotation)
        self.visit(node.target)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        for name in _target_names(node.target):
            if name not in self.bound:
                self.names.reads_now.add(name)
        self.visit(node.target)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self.visit(node.target)

    def visit_For(self, node: ast.For) -> None:
        self.visit(node.iter)
        self.visit(node.target)
        for stmt in node.body + node.orelse:
            self.visit(stmt)

    visit_AsyncFor = visit_For

    def visit_Import(self, node: ast.Import) -> None:
        self.bind({(a.asname or a.name).split(".")[0] for a in node.names})

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if any(a.name == "*" for a in node.names):
            self.names.dynamic = True
        self.bind({a.asname or a.name for a in node.names if a.name != "*"})

    def _scope(self, node: ast.AST, decorators: list, defaults: list) -> None:
        for expr in decorators + defaults:
            self.visit(expr)
        reads = _function_reads(node)
        self.names.reads_later |= reads
        if reads & DYNAMIC_NAMES:
            self.names.dynamic = True

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._scope(node, node.decorator_list, node.args.defaults + [d for d in node.args.kw_defaults if d])
        self.bind({node.name})

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._scope(node, node.decorator_list, node.bases + [k.value for k in node.keywords])
        self.bind({node.name})

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._scope(node, [], node.args.defaults + [d for d in node.args.kw_defaults if d])

    def _comprehension(self, node) -> None:
        # the first iterable is read here; the rest runs in the comprehension's own scope, now
        self.visit(node.generators[0].iter)
        local: set[str] = set()
        for gen in node.generators:
            local |= _target_names(gen.target)
        inner = [gen.iter for gen in node.generators[1:]] + [c for gen in node.generators for c in gen.ifs]
        inner += [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        for expr in inner:
            for sub in ast.walk(expr):
                if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load) and sub.id not in local:
                    if sub.id in DYNAMIC_NAMES:
                        self.names.dynamic = True
                    if sub.id not in self.bound:
                        self.names.reads_now.add(sub.id)
                elif isinstance(sub, ast.NamedExpr):
                    self.bind(_target_names(sub.target))

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _comprehension


@functools.lru_cache(maxsize=4096)
def cell_names(source: str) -> CellNames:
    """The names a cell binds and reads (a cell that does not parse runs nothing and binds nothing).
    Memoised (a worker sees the same locked and instructor cells in every submission): the answer is
    shared, read it only."""
    names = CellNames()
    code = _python(source)
    if code is None:
        return names
    _ModuleReads(names).visit(ast.parse(code))
    return names


def needed_cells(cells: list[CellNames], skippable: set[int]) -> set[int]:
    """The skippable cells that a cell which runs still depends on, to a fixed point."""
    needed: set[int] = set()
    while True:
        running = [i for i in range(len(cells)) if i not in skippable or i in needed]
        more: set[int] = set()
        for j in running:
            for name in cells[j].reads_now:
                last = next((i for i in range(j - 1, -1, -1) if name in cells[i].binds), None)
                if last is not None and last in skippable and last not in needed:
                    more.add(last)
            for name in cells[j].reads_later:
                more |= {i for i in skippable - needed if name in cells[i].binds}
        if not more:
            return needed
        needed |= more


@dataclass
class SkipPlan:
    skip: set[int]  # indices of code cells (in the submission's cell list) the grader does not run
    kept: set[int]  # marked cells the grader runs after all, because running code reads their names
    dynamic: bool  # a student cell reaches the namespace dynamically: nothing is skipped


def plan_skips(cells: list[dict], source_cells: list) -> SkipPlan:
    """Which of a submission's cells (nbformat dicts, in order) the grader may leave unexecuted."""
    marked = {_text(c) for c in source_cells if is_marked(c)}
    instructor = {_text(c) for c in source_cells if c.get("cell_type") == "code"}
    # nbgrader replaces read-only and test cells with the source's before running them
    replaced = {c["metadata"]["nbgrader"]["grade_id"]: _text(c) for c in source_cells
                if c.get("metadata", {}).get("nbgrader", {}).get("locked")}

    def text(cell) -> str:
        meta = cell.get("metadata", {}).get("nbgrader")
        grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
        return replaced.get(grade_id, _text(cell)) if grade_id is not None else _text(cell)

    code = [i for i, c in enumerate(cells) if c.get("cell_type") == "code"]
    texts = [text(cells[i]) for i in code]
    names = [cell_names(t) for t in texts]
    skippable = {pos for pos, i in enumerate(code)
                 if texts[pos] in marked and "nbgrader" not in cells[i].get("metadata", {})}
    if any(n.dynamic and t not in instructor for n, t in zip(names, texts)):
        return SkipPlan(set(), {code[pos] for pos in skippable}, True)
    needed = needed_cells(names, skippable)
    return SkipPlan({code[pos] for pos in skippable - needed}, {code[pos] for pos in needed}, False)


def check_source(source_cells: list, where: str) -> list[str]:
    """Every reason why the marks of a source notebook are wrong (empty: the marks hold)."""
    problems = []
    code = [c for c in source_cells if c.get("cell_type") == "code"]
    names = [cell_names(_text(c)) for c in code]
    skippable = {pos for pos, c in enumerate(code) if is_marked(c)}
    for pos in sorted(skippable):
        cell = code[pos]
        if "nbgrader" in cell.get("metadata", {}):
            problems.append(f"{where}: cell {cell.get('id')} is an nbgrader cell: only plain cells may be marked "
                            f'grading="skip"')
    for pos in sorted(needed_cells(names, skippable)):
        readers = [code[j].get("id") for j in range(len(code)) if j not in skippable
                   and (names[pos].binds & (names[j].reads_now | names[j].reads_later))]
        problems.append(f"{where}: cell {code[pos].get('id')} is marked grading=\"skip\" but defines "
                        f"{sorted(names[pos].binds)[:8]} that cells which run read ({', '.join(readers[:5])})")
    return problems
