"""reports/similarity.csv and similarity.html: pairs of students whose own answer code is alike.

Method (copydetect's, Schleimer et al. 2003, "Winnowing"): per assignment, a student's document is
the code of their answer cells (nbgrader `solution: true`) in the executed notebook; a cell still as
released (the stub) is left out. copydetect's `filter_code` lexes it with Pygments and rewrites every
name as V, every function name as F, every string as S, and drops comments and whitespace, so
renaming, re-indenting and re-commenting change nothing. Every NOISE_K-character run of that filtered
text is hashed and WINDOW-wide winnowing keeps some hashes. Boilerplate is the source notebook with
its solution regions cleared by nbgrader's ClearSolutions, with nbgrader's bare stubs and with the
stubs named as the release names them (stub_messages): the setup and test cells, the `def` lines and
the `raise NotImplementedError(...)` lines. Its hashes are removed from every document, so what two
students got from the release never counts. A pair's two ratios are the share of each student's
remaining (non-boilerplate) fingerprinted code that the other also has; `similarity` is the LARGER
of the two (copydetect's report shows a pair when either file's share passes its threshold): answers
copied whole and padded with code of the copier's own still count in full for the original.

Parameters and threshold, measured on tests/test_similarity.py's class (three answer cells of 3-9
lines each: an InfoNCE loss, a cosine-similarity matrix, a power-law fit). With copydetect's defaults,
k = 25 filtered characters (about two lines) and window 1, the copy (renamed, re-spaced, re-commented,
independent lines swapped) scores 0.98 and the highest pair of independent correct solutions 0.12
(they share one line, `return float(np.exp(..)), float(-..)`). A smaller k finds coincidences: 0.33
between independent students at k = 15, 0.58 at k = 10; a larger one loses short copied runs (the
copy falls to 0.91 at k = 30). Windows 2 and 4 change no figure by more than 0.01 at k = 25 and save
nothing on documents this short, so every k-gram is kept. The threshold, 0.5, sits between 0.12 and
0.98. On the course's three notebooks (every answer cell), the instructor's solution against a
re-spaced copy scores 0.99-1.00; against it, a notebook whose answers are tests/answers' in-spec
alternatives scores 0.03-0.18, and two such notebooks 0.29-0.32 (those alternatives were written from
one another); the released stubs share nothing with any. The threshold is meant for whole
assignments: one short function alone is too little text (the alternatives reach 0.5 in 21 of their
282 same-function pairs).

Import cost: `import copydetect.utils` runs copydetect/__init__.py, which imports copydetect.detector
and with it matplotlib.pyplot: 0.5-0.8 s measured (numpy alone: 0.1 s). It is imported inside the
functions that need it: a grading run pays it once, at its serial end, and nothing else that imports
this module does.
"""
from __future__ import annotations

import copy
import dataclasses
import hashlib
import html
import itertools
import json
from dataclasses import dataclass
from typing import Iterable, Sequence

import nbformat
import numpy as np
from nbgrader.preprocessors import ClearSolutions
from nbgrader.utils import is_solution

from .model import GRADED, Course, SubmissionResult
from .reports import InertWriter
from .stub_messages import NameStubs

NOISE_K = 25  # characters of filtered code per hashed k-gram (no shared run shorter than this counts)
WINDOW = 1  # winnowing window: 1 keeps every k-gram (answer cells are short, there are few)
SIMILARITY_THRESHOLD = 0.5  # a pair is reported at this larger ratio or above
METHOD = (f"copydetect 0.5.0 winnowing over the answer cells' code, names and strings normalised, comments and "
          f"whitespace ignored, k = {NOISE_K} characters of filtered code, window {WINDOW}; the released notebook "
          f"(stubs, setup and test cells) is boilerplate and never counts. Similarity: the larger of the two "
          f"students' shares of their own code found in the other's.")


@dataclass(frozen=True)
class SimilarPair:
    """Two students' answers to one assignment that share much code (student_a < student_b)."""

    assignment: str
    student_a: str
    student_b: str
    similarity: float  # 0-1: the larger of the two students' shares of their code the other also has
    shared_tokens: int  # filtered-code characters copydetect found in both (the smaller of the two counts)
    marked_a: str  # student_a's answer code, HTML-escaped, the shared passages in <mark>
    marked_b: str


@dataclass(frozen=True)
class _Fingerprint:
    """One student's answer document and its winnowed hashes (boilerplate removed)."""

    code: str
    offsets: np.ndarray  # filter_code's map from filtered positions back to `code`
    hashes: set[int]
    positions: dict[int, list[int]]  # hash -> where in the filtered code it starts
    coverage: float  # filtered characters the kept hashes cover: the denominator of a ratio
    bodies: list[tuple[int, int]]  # where in `code` each cell's code lies (its header line and blank lines left out)


def _released_cells(course: Course, assignment: str) -> dict[str, set[str]]:
    """grade_id -> the sources of each code cell as students received it (solution regions cleared): the
    release's stubs that name their function (see stub_messages) and nbgrader's bare ones, which an
    earlier release handed out."""
    notebook = nbformat.read(course.source_notebook(assignment), as_version=4)
    cleared, _ = ClearSolutions(config=course.config()).preprocess(notebook, {})
    versions: dict[str, set[str]] = {}
    for release in (copy.deepcopy(cleared), NameStubs().preprocess(cleared, {})[0]):
        for index, cell in enumerate(release.cells):
            if cell.cell_type == "code":
                versions.setdefault(cell.metadata.get("nbgrader", {}).get("grade_id", f"cell-{index}"), set()).add(cell.source)
    return versions


def _answer_cells(notebook_path, released: dict[str, set[str]]) -> list[str]:
    """The student's answer cells that differ from the release, each under a comment naming it
    (comments are filtered out, so the headers never match anything)."""
    notebook = nbformat.read(notebook_path, as_version=4)
    cells = []
    for cell in notebook.cells:
        if cell.cell_type != "code" or not is_solution(cell):
            continue
        grade_id = " ".join(str(cell.metadata["nbgrader"].get("grade_id", "")).split())
        if cell.source.strip() not in {source.strip() for source in released.get(grade_id, set())}:
            cells.append(f"# ---- {grade_id} ----\n{cell.source.rstrip()}\n\n")
    return cells


def _boilerplate(released: Iterable[str], noise_k: int) -> set[int]:
    """Every k-gram hash of the released code cells (window 1: all of them, as copydetect does)."""
    from copydetect.utils import filter_code, hashed_kgrams

    hashes: set[int] = set()
    for source in released:
        hashes.update(hashed_kgrams(filter_code(source, "cell.py", language="python")[0], noise_k).tolist())
    return hashes


def _fingerprint(cells: list[str], boilerplate: set[int], noise_k: int, window: int) -> _Fingerprint:
    """copydetect's CodeFingerprint of the cells one after the other, with two changes. Each cell is
    filtered and hashed on its own, so no k-gram spans two cells: the end of one stub and the start
    of the next are boilerplate only together, and would otherwise match in every student who left
    two stubs. The boilerplate is removed from the hash table directly: get_document_fingerprints'
    own removal (np.intersect1d with assume_unique=True) also drops k-grams the student repeated."""
    from copydetect.utils import filter_code, get_document_fingerprints, get_token_coverage

    positions: dict[int, list[int]] = {}
    offsets, bodies, raw_start, filtered_start = [], [], 0, 0
    for cell in cells:
        bodies.append((raw_start + cell.index("\n") + 1, raw_start + len(cell.rstrip())))
        filtered, cell_offsets = filter_code(cell, "answers.py", language="python")
        # filter_code's rows [i, n]: the filtered characters from i on, up to the next row, lie n raw
        # characters further on. Shifted by the cells before; its first row ([0, 0]) is left out, as
        # it hides the rows a leading comment adds (at i = -1). Every cell ends in a blank line,
        # so its last filtered character has a row (the mapping clips to the last row).
        shift = raw_start - filtered_start
        offsets += [[filtered_start + at, removed + shift] for at, removed in cell_offsets[1:].tolist()]
        for hash_value, where in get_document_fingerprints(filtered, noise_k, window)[1].items():
            if int(hash_value) not in boilerplate:
                positions.setdefault(int(hash_value), []).extend(filtered_start + at for at in where)
        raw_start, filtered_start = raw_start + len(cell), filtered_start + len(filtered)
    coverage = float(get_token_coverage(positions, noise_k, filtered_start))
    return _Fingerprint("".join(cells), np.array(offsets, dtype=int), set(positions), positions, coverage, bodies)


def _in_code(slices: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Slices of the filtered code as slices of the code itself (copydetect.compare_files' mapping)."""
    if len(offsets) == 0:
        return slices
    return slices + offsets[:, 1][np.clip(np.searchsorted(offsets[:, 0], slices), 0, offsets.shape[0] - 1)]


def _marked(code: str, slices: np.ndarray, bodies: list[tuple[int, int]]) -> str:
    """`code` HTML-escaped, each slice wrapped in <mark> where it lies inside a cell's code: a run
    shared across the end of one cell and the start of the next leaves the header between unmarked."""
    spans = sorted((max(int(start), low), min(int(end), high)) for start, end in zip(*slices.tolist())
                   for low, high in bodies)
    out, at = [], 0
    for start, end in spans:
        start = max(start, at)
        if end > start:
            out += [html.escape(code[at:start]), "<mark>", html.escape(code[start:end]), "</mark>"]
            at = end
    return "".join(out) + html.escape(code[at:])


def _compare(assignment: str, a: str, print_a: _Fingerprint, b: str, print_b: _Fingerprint,
             noise_k: int) -> SimilarPair | None:
    from copydetect.utils import find_fingerprint_overlap, get_copied_slices

    where_a, where_b = find_fingerprint_overlap(print_a.hashes, print_b.hashes, print_a.positions, print_b.positions)
    if len(where_a) == 0:
        return None
    slices_a, slices_b = get_copied_slices(where_a, noise_k), get_copied_slices(where_b, noise_k)
    shared_a, shared_b = int(np.sum(slices_a[1] - slices_a[0])), int(np.sum(slices_b[1] - slices_b[0]))
    similarity = max(shared_a / print_a.coverage, shared_b / print_b.coverage)
    return SimilarPair(assignment, a, b, similarity, min(shared_a, shared_b),
                       _marked(print_a.code, _in_code(slices_a, print_a.offsets), print_a.bodies),
                       _marked(print_b.code, _in_code(slices_b, print_b.offsets), print_b.bodies))


def similar_pairs(course: Course, results: Sequence[SubmissionResult], threshold: float = SIMILARITY_THRESHOLD,
                  *, noise_k: int = NOISE_K, window: int = WINDOW) -> list[SimilarPair]:
    """Every pair of graded students of an assignment whose similarity is `threshold` or more,
    highest first. Only GRADED submissions count (a failed or missing one has no executed notebook
    worth comparing); a student whose answers are all stubs has nothing to compare."""
    graded: dict[str, set[str]] = {}
    for result in results:
        if result.status == GRADED:
            graded.setdefault(result.assignment, set()).add(result.student)
    pairs = []
    for assignment, students in sorted(graded.items()):
        released = _released_cells(course, assignment)
        boilerplate = _boilerplate([source for sources in released.values() for source in sources], noise_k)
        prints = {}
        for student in sorted(students):
            path = course.executed_notebook(student, assignment)
            if path.is_file():
                found = _fingerprint(_answer_cells(path, released), boilerplate, noise_k, window)
                if found.coverage:
                    prints[student] = found
        for (a, print_a), (b, print_b) in itertools.combinations(prints.items(), 2):
            pair = _compare(assignment, a, print_a, b, print_b, noise_k)
            if pair is not None and pair.similarity >= threshold:
                pairs.append(pair)
    return sorted(pairs, key=lambda p: (-p.similarity, p.assignment, p.student_a, p.student_b))


def class_pairs(course: Course, results: Sequence[SubmissionResult]) -> list[SimilarPair]:
    """`similar_pairs` of a grading run, kept in .grading/similarity.json under a digest of what it read
    (every graded submission's fingerprint and this module's settings): a run that graded nothing new
    reads no notebook (a class of 200 costs about 15 s of serial reading and comparing otherwise)."""
    graded = sorted((r.student, r.assignment, r.fingerprint) for r in results if r.status == GRADED)
    key = hashlib.sha256(json.dumps([graded, NOISE_K, WINDOW, SIMILARITY_THRESHOLD]).encode()).hexdigest()
    stored = course.state_dir / "similarity.json"
    try:
        kept = json.loads(stored.read_text())
        if kept.get("key") == key:
            return [SimilarPair(**pair) for pair in kept["pairs"]]
    except (OSError, ValueError, TypeError):
        pass  # none yet, or written by another version: compute
    pairs = similar_pairs(course, results)
    stored.parent.mkdir(parents=True, exist_ok=True)
    stored.write_text(json.dumps({"key": key, "pairs": [dataclasses.asdict(pair) for pair in pairs]}))
    return pairs


def write_similarity_csv(course: Course, pairs: Sequence[SimilarPair], names: dict[str, str]) -> None:
    """reports/similarity.csv: a row per pair (header only when none), every cell made inert."""
    course.reports_dir.mkdir(parents=True, exist_ok=True)
    with open(course.reports_dir / "similarity.csv", "w", newline="", encoding="utf-8") as handle:
        writer = InertWriter(handle)
        writer.writerow(["assignment", "student_a", "student_b", "similarity", "shared_tokens"])
        writer.writerows([[p.assignment, names.get(p.student_a, p.student_a), names.get(p.student_b, p.student_b),
                           f"{p.similarity:.0%}", p.shared_tokens] for p in pairs])


_PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; base-uri 'none'"
_PAGE_STYLE = """body{font-family:sans-serif;margin:1.5em auto;max-width:1500px;padding:0 1em}
section{border-top:2px solid #888;margin-top:1.5em}.sides{display:grid;grid-template-columns:1fr 1fr;gap:1em}
pre{font:13px/1.4 monospace;white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f6f6;border:1px solid #ccc;
padding:.6em;margin:0}mark{background:#ffd95a;color:#000}h3{margin:.6em 0 .3em}"""


def write_similarity_html(course: Course, pairs: Sequence[SimilarPair], names: dict[str, str],
                          threshold: float = SIMILARITY_THRESHOLD) -> None:
    """reports/similarity.html: each pair's two answer documents side by side, shared code marked.
    Self-contained and inert: no script, no request (its Content-Security-Policy allows neither)."""
    e = html.escape
    sections = []
    for number, pair in enumerate(pairs, start=1):
        name_a, name_b = (names.get(key, key) for key in (pair.student_a, pair.student_b))
        sections.append(
            f'<section id="pair-{number}"><h2>{number}. {e(pair.assignment)}: {e(name_a)} and {e(name_b)}, '
            f'{pair.similarity:.0%} ({pair.shared_tokens} shared characters of filtered code)</h2><div class="sides">'
            f'<div><h3>{e(name_a)}</h3><pre>{pair.marked_a}</pre></div>'
            f'<div><h3>{e(name_b)}</h3><pre>{pair.marked_b}</pre></div></div></section>')
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_PAGE_POLICY}">
<title>Similar answers</title><style>{_PAGE_STYLE}</style></head><body>
<h1>Similar answers</h1>
<p>Pairs of students whose own answer code is {threshold:.0%} alike or more, most alike first; the
<mark>marked</mark> passages are in both. A lead for a TA to read, not a verdict.</p>
<p>Method: {e(METHOD)}</p>
{''.join(sections) or '<p>No pair above the threshold.</p>'}
</body></html>
"""
    course.reports_dir.mkdir(parents=True, exist_ok=True)
    (course.reports_dir / "similarity.html").write_text(page, encoding="utf-8")


def similarity_section(pairs: Sequence[SimilarPair], names: dict[str, str]) -> str:
    """The class summary's section: one row per pair, linking to its place in similarity.html."""
    e = html.escape
    rows = "".join(f'<tr><td>{e(p.assignment)}</td><td>{e(names.get(p.student_a, p.student_a))}</td>'
                   f'<td>{e(names.get(p.student_b, p.student_b))}</td><td>{p.similarity:.0%}</td>'
                   f'<td><a href="similarity.html#pair-{number}">side by side</a></td></tr>'
                   for number, p in enumerate(pairs, start=1))
    rows = rows or '<tr><td colspan="5">no pair above the threshold</td></tr>'
    return (f"<h2>Similar answers ({len(pairs)})</h2><table><tr><th>assignment</th><th>student</th><th>student</th>"
            f"<th>similarity</th><th></th></tr>{rows}</table>")
