"""An unwritten answer says so, with its part: in the lab, in Validate and in the feedback.

- `NameStubs`, a preprocessor of nbgrader's `generate_assignment` (right after `ClearSolutions`),
  turns each stub's bare `raise NotImplementedError()` into
  `raise NotImplementedError("`fit_power_law` is not written yet (Part A)")`, so a visible test or
  Validate run on a stub ends in that sentence instead of a bare exception name. It runs before
  nbgrader computes the checksums and saves the cells, so the gradebook knows the named stub.
- `unwritten_functions` reads a submission: the functions whose answer cell still holds a stub's
  line (named or bare), with their part. The feedback uses it for every
  test that calls one (`not_written_message`): it is read from the student's own cells, never
  from a kernel's output, so it holds for a hidden test too.

A part is the nearest heading above the answer cell that starts `Part <letter>` (nbgrader's
example course: `## Part A (2 points)`).
"""
from __future__ import annotations

import re

from nbgrader.preprocessors.base import NbGraderPreprocessor
from nbgrader.utils import is_grade, is_solution
from nbformat import NotebookNode

_PART = re.compile(r"^#{1,6}\s+(Part\s+[A-Z]{1,2})\b", re.MULTILINE)
_DEF = re.compile(r"^(?P<indent>[ \t]*)def\s+(?P<name>[A-Za-z_]\w*)\s*\(", re.MULTILINE)
_BARE_STUB = re.compile(r"^(?P<indent>[ \t]*)raise NotImplementedError(?:\(\))?[ \t]*$", re.MULTILINE)
_STUB = "raise NotImplementedError"
# a stub's line as released (named) or as nbgrader leaves it (bare): not a student's own
# `raise NotImplementedError("mode x")` inside a written function
_STUB_LINE = re.compile(r'^[ \t]*raise NotImplementedError(?:\(\)|\("`\w+` is not written yet[^"\n]*"\))?[ \t]*$',
                        re.MULTILINE)


def _is_answer(cell: NotebookNode) -> bool:
    """An autograded answer cell: a code cell nbgrader marks as a solution, not as graded by hand."""
    return cell.cell_type == "code" and is_solution(cell) and not is_grade(cell)


def answer_parts(nb: NotebookNode) -> dict[int, str]:
    """Index of each autograded answer cell -> its part ("" where no `Part X` heading comes before it)."""
    part, found = "", {}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            headings = _PART.findall(cell.source)
            part = headings[-1].replace("\t", " ") if headings else part
        elif _is_answer(cell):
            found[index] = part
    return found


def _named(function: str, part: str) -> str:
    return f"`{function}`" + (f" ({part})" if part else "")


def not_written_text(function: str, part: str) -> str:
    """What a stub says when it is called."""
    return f"`{function}` is not written yet" + (f" ({part})" if part else "")


def _enclosing_function(source: str, position: int) -> str:
    """The function a line at `position` of a cell belongs to ('' at the cell's top level)."""
    line_start = source.rfind("\n", 0, position) + 1
    indent = len(source[line_start:position]) - len(source[line_start:position].lstrip())
    name = ""
    for match in _DEF.finditer(source, 0, line_start):
        if len(match.group("indent")) < indent:
            name = match.group("name")
    return name


def name_stubs(source: str, part: str) -> str:
    """An answer cell's source with each bare stub raising the sentence that names its function and part."""
    def named(match: re.Match) -> str:
        function = _enclosing_function(source, match.start() + len(match.group("indent")))
        if not function:
            return match.group(0)
        return f'{match.group("indent")}{_STUB}("{not_written_text(function, part)}")'
    return _BARE_STUB.sub(named, source)


class NameStubs(NbGraderPreprocessor):
    """generate_assignment: each stub names its function and part (see the module docstring)."""

    def preprocess(self, nb, resources):
        for index, part in answer_parts(nb).items():
            nb.cells[index].source = name_stubs(nb.cells[index].source, part)
        return nb, resources


def unwritten_functions(nb: NotebookNode) -> dict[str, str]:
    """Function -> its part, for each function whose answer cell in `nb` still raises NotImplementedError."""
    found = {}
    for index, part in answer_parts(nb).items():
        source = nb.cells[index].source
        for match in _STUB_LINE.finditer(source):
            function = _enclosing_function(source, match.start() + match.group(0).index("raise"))
            if function:
                found[function] = part
    return found


def functions_called(source: str, functions: dict[str, str]) -> list[str]:
    """The functions of `functions` that `source` (a test cell) calls or passes on, in the order given."""
    def used(name: str) -> bool:  # a call, or the function passed as an argument (not a word in a docstring)
        word = re.escape(name)
        return bool(re.search(rf"(?<![\w.]){word}\s*\(|[(,=]\s*{word}\s*[,)]", source))
    return [name for name in functions if used(name)]


def not_written_message(called: list[str], parts: dict[str, str]) -> str:
    """A lost test's message when the functions it calls are stubs."""
    if len(called) == 1:
        return f"{not_written_text(called[0], parts[called[0]])}: write it, then run this test again"
    named = [_named(name, parts[name]) for name in called]
    return f"{', '.join(named[:-1])} and {named[-1]} are not written yet: write them, then run this test again"
