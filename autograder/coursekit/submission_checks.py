"""What is checked and mended in a submission before anything runs.

- `precheck`: a notebook that cannot be executed at all (missing, renamed, a link, not JSON, a
  JSON list, an old format, larger than MAX_NOTEBOOK_MB, or beside files of more than
  MAX_SUBMISSION_MB) is reported with a reason that names the fix.
- `repair_graded_cells`, `repair_duplicates`, `restore_missing_cells`: graded cells that were renamed,
  copied or deleted are made safe for nbgrader and put back where the source has them, with a note
  for the student.
"""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import nbformat

MAX_NOTEBOOK_MB = 32
"""A notebook larger than this is not graded (the course's notebooks are 0.1-0.4 MB with their outputs:
a larger one carries outputs far beyond what the grader keeps, see output_limits)."""
MAX_SUBMISSION_MB = 64
"""The submission's files in all (they are copied into the kernel's in-memory folder)."""
MAX_SUBMISSION_FILES = 1000


def precheck(folder: Path, assignment: str) -> str:
    """Why this submission cannot be executed at all ('' if it can), in words that name the fix."""
    expected = folder / f"{assignment}.ipynb"
    if expected.is_symlink():
        return f"{assignment}.ipynb is a link, not a file: hand in the notebook itself"
    if not expected.is_file():
        others = sorted(p.name for p in folder.glob("*.ipynb"))
        found = f"found {', '.join(others)} instead" if others else "the folder holds no notebook"
        return f"missing notebook {assignment}.ipynb ({found}); rename it to {assignment}.ipynb and resubmit"
    redownload = "re-download it from JupyterLab (File > Download) and resubmit"
    size = expected.stat().st_size
    if size > MAX_NOTEBOOK_MB << 20:
        return (f"{assignment}.ipynb is {size / (1 << 20):.0f} MB, over the grader's {MAX_NOTEBOOK_MB} MB: clear its "
                "outputs in JupyterLab (Edit > Clear Outputs of All Cells), save, and hand it in again")
    from .model import submission_files

    files = submission_files(folder)
    if len(files) > MAX_SUBMISSION_FILES or sum(f.stat().st_size for f in files) > MAX_SUBMISSION_MB << 20:
        return (f"the submission holds {len(files)} files of {sum(f.stat().st_size for f in files) / (1 << 20):.0f} MB "
                f"in all, over the grader's {MAX_SUBMISSION_FILES} files or {MAX_SUBMISSION_MB} MB: hand in the "
                "notebook and the few files it needs")
    try:
        text = expected.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return f"{assignment}.ipynb is not a text file (not UTF-8): it is not a notebook; {redownload}"
    try:
        data = json.loads(text)
    except ValueError:
        return (f"{assignment}.ipynb is not a readable notebook (it is not valid JSON: the file is damaged or "
                f"truncated); {redownload}")
    if not isinstance(data, dict):
        return f"{assignment}.ipynb is a JSON {type(data).__name__}, not a notebook; {redownload}"
    if not isinstance(data.get("cells"), list) or not isinstance(data.get("nbformat"), int):
        return f"{assignment}.ipynb is JSON but not a notebook (no cells or no format version); {redownload}"
    if data["nbformat"] < 4:
        return (f"{assignment}.ipynb is in an old notebook format (version {data['nbformat']}): open it in "
                "JupyterLab, save it, and hand it in again")
    try:
        with warnings.catch_warnings():  # duplicate cell ids: repaired before grading
            warnings.simplefilter("ignore")
            nbformat.reads(text, as_version=4)
    except Exception as error:  # anything else nbformat refuses
        detail = str(error).strip().splitlines()[0][:150] if str(error).strip() else type(error).__name__
        return f"{assignment}.ipynb is not a valid notebook ({detail}); {redownload}"
    return ""


def repair_graded_cells(nb: dict, source_cells: list) -> list[str]:
    """Make graded cells match the source before nbgrader sees them; return notes for the student.

    A graded cell whose id is not in the source (renamed in the metadata) becomes an ordinary cell;
    a copied graded cell is ignored (see repair_duplicates); a test, written-answer or locked cell the
    submission lacks is put back where the source has it (see restore_missing_cells).
    """
    by_id = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"] for c in source_cells
             if c.metadata.get("nbgrader", {}).get("grade_id")}
    source_ids = set(by_id)
    graded_ids = {c.metadata["nbgrader"]["grade_id"] for c in source_cells
                  if c.metadata.get("nbgrader", {}).get("grade")}
    notes = []
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader")
        if not isinstance(meta, dict):
            if meta is not None:
                del cell["metadata"]["nbgrader"]
            continue
        grade_id = meta.get("grade_id")
        if (meta.get("grade") or meta.get("solution") or meta.get("locked")) and grade_id not in source_ids:
            del cell["metadata"]["nbgrader"]
            notes.append(f"graded cell `{grade_id}` was renamed or is not part of this assignment: the source's "
                         "cells were restored (keep the cells' metadata as released)")
        elif grade_id in source_ids:  # what a cell is (answer, test, read-only) and its points come from the source
            claimed = _role_change(meta, by_id[grade_id])
            cell["metadata"]["nbgrader"] = {**dict(by_id[grade_id]), **({"checksum": meta["checksum"]}
                                                                        if "checksum" in meta else {})}
            if claimed:
                notes.append(f"cell `{grade_id}`'s nbgrader metadata was edited ({claimed}): graded as released "
                             "(keep the cells' metadata as released)")
    duplicate_note = repair_duplicates(nb)
    restored = restore_missing_cells(nb, source_cells)
    missing = sorted(r for r in restored if r in graded_ids)
    locked = sorted(r for r in restored if r not in graded_ids)
    if missing:
        notes.append(f"graded cell(s) {', '.join(f'`{m}`' for m in missing[:6])} were missing or renamed: "
                     "restored from the source")
    if locked:
        notes.append(f"read-only cell(s) {', '.join(f'`{m}`' for m in locked[:6])} were missing: restored from the "
                     "source")
    return notes + ([duplicate_note] if duplicate_note else [])


def _role_change(submitted: dict, source: dict) -> str:
    """What a submitted cell's metadata claims that the source's does not ('' if nothing)."""
    changed = []
    for key in ("grade", "solution", "locked", "task"):
        if bool(submitted.get(key)) != bool(source.get(key)):
            changed.append(f"{key}: {str(bool(submitted.get(key))).lower()}")
    if (source.get("grade") or submitted.get("grade")) and submitted.get("points") != source.get("points"):
        if "points" in submitted:
            changed.append(f"points: {submitted.get('points')!r}"[:40])
    return ", ".join(changed)


def restore_missing_cells(nb: dict, source_cells: list) -> list[str]:
    """Put back every test, written-answer or locked cell of the source that the submission lacks, right after
    the nearest earlier source cell with an id that it has; return the ids put back.

    The cell goes back with the source's metadata and no content: nbgrader restores the content of locked and
    test cells from the gradebook, and a written answer the student deleted stays blank. nbgrader 0.9's own
    put-back (OverwriteCells.add_missing_grade_cells) assumes the cell before a missing test is a solution or
    test cell and fails the whole notebook when it is a locked cell, so it must find nothing missing.
    """
    def index_of(grade_id: str) -> int | None:
        for index, cell in enumerate(nb["cells"]):
            meta = cell.get("metadata", {}).get("nbgrader")
            if isinstance(meta, dict) and meta.get("grade_id") == grade_id:
                return index
        return None

    restored, anchor = [], -1
    for source_cell in source_cells:
        meta = source_cell.metadata.get("nbgrader", {})
        grade_id = meta.get("grade_id")
        if not grade_id:
            continue
        found = index_of(grade_id)
        if found is not None:
            anchor = found
            continue
        if not (meta.get("grade") or meta.get("locked")):
            continue  # a deleted solution cell is the student's answer: nothing to restore
        cell = {"cell_type": source_cell.cell_type, "metadata": {"nbgrader": dict(meta)}, "source": ""}
        if source_cell.cell_type == "code":
            cell.update(execution_count=None, outputs=[])
        nb["cells"].insert(anchor + 1, cell)
        anchor += 1
        restored.append(grade_id)
    return restored


def repair_duplicates(nb: dict) -> str:
    """Make a copied submission safe for nbgrader, in place; return a note for the student ('' if untouched).

    A copied cell keeps its grade_id and cell id. nbgrader's DeduplicateIds then leaves an empty
    `nbgrader` entry that crashes OverwriteCells, so later copies become ordinary cells here.
    """
    seen_grade_ids, seen_ids, dropped = set(), set(), []
    for index, cell in enumerate(nb.get("cells", [])):
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in seen_grade_ids:
            del cell["metadata"]["nbgrader"]
            dropped.append(grade_id)
        elif grade_id:
            seen_grade_ids.add(grade_id)
        if "id" in cell:
            while cell["id"] in seen_ids:
                cell["id"] = f"{cell['id'][:50]}-copy{index}"
            seen_ids.add(cell["id"])
    return f"copies of graded cells ignored: {', '.join(sorted(set(dropped)))}" if dropped else ""
