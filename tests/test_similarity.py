"""The similarity report: a copy is found through renaming and reformatting, independent answers and
the release's stubs are not.

The oracle is the construction of a small class (no grading run, no kernel): ada wrote her own
answers; bob took them, renamed every variable, changed whitespace and comments and swapped lines
that do not depend on each other; cleo, dan and eve wrote the same three functions on their own
(loops, scipy's logsumexp, einsum, closed-form least squares...); finn handed in the stubs untouched;
gus and hana touched only the stub lines (a comment, the error's message). Measured with the
defaults (coursekit.similarity: k = 25, window 1): ada and bob 0.98; the highest pair of independent
answers 0.12 (ada and dan, who share one `return float(np.exp(..)), float(-..))` line); finn, gus and
hana share no fingerprint with anyone. The threshold (0.5) must sit between the two figures.
"""
from __future__ import annotations

import csv
import itertools

import nbformat
import pytest

from coursekit.model import FAILED, GRADED, Course, SubmissionResult
from coursekit.similarity import (SIMILARITY_THRESHOLD, similar_pairs, similarity_section, write_similarity_csv,
                                  write_similarity_html)

ASSIGNMENT = "01_toy"

SETUP = "import numpy as np\nfrom scipy import special"

STUBS = {
    "info_nce_loss": ('def info_nce_loss(z_c, z_x, tau):\n'
                      '    """InfoNCE: cross-entropy of context i against every candidate, the positive at i."""\n'),
    "cosine_similarity_matrix": ('def cosine_similarity_matrix(a, b):\n'
                                 '    """Cosine similarity of every row of a with every row of b."""\n'),
    "fit_power_law": ('def fit_power_law(n, loss):\n'
                      '    """(a, alpha) of loss = a * n ** -alpha, by least squares in log-log space."""\n'),
}

INSTRUCTOR = {
    "info_nce_loss": """    logits = z_c @ z_x.T / tau
    return float(np.mean(special.logsumexp(logits, axis=1) - np.diag(logits)))
""",
    "cosine_similarity_matrix": """    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return a @ b.T
""",
    "fit_power_law": """    slope, intercept = np.polyfit(np.log(n), np.log(loss), 1)
    return float(np.exp(intercept)), float(-slope)
""",
}

TESTS = {
    "info_nce_loss": "z = np.eye(3)\nassert info_nce_loss(z, z, 0.1) < info_nce_loss(z, z[::-1], 0.1)",
    "cosine_similarity_matrix": "assert np.allclose(cosine_similarity_matrix(np.eye(2), np.eye(2)), np.eye(2))",
    "fit_power_law": "n = np.array([1e3, 1e4, 1e5])\nassert np.allclose(fit_power_law(n, 2 * n ** -0.3), (2, 0.3))",
}

ADA = {
    "info_nce_loss": """    assert tau > 0, "<script>alert('tau')</script>"
    scores = (z_c @ z_x.T) / tau
    # subtract the row maximum before exponentiating, for stability
    scores = scores - scores.max(axis=1, keepdims=True)
    log_softmax = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
    positives = np.arange(scores.shape[0])
    return float(-log_softmax[positives, positives].mean())
""",
    "cosine_similarity_matrix": """    eps = 1e-12
    a_unit = a / np.maximum(np.sqrt((a * a).sum(axis=1))[:, None], eps)
    b_unit = b / np.maximum(np.sqrt((b * b).sum(axis=1))[:, None], eps)
    sims = a_unit @ b_unit.T
    return np.clip(sims, -1.0, 1.0)
""",
    "fit_power_law": """    n = np.asarray(n, dtype=float)
    loss = np.asarray(loss, dtype=float)
    log_n, log_loss = np.log(n), np.log(loss)
    mean_x, mean_y = log_n.mean(), log_loss.mean()
    slope = ((log_n - mean_x) * (log_loss - mean_y)).sum() / ((log_n - mean_x) ** 2).sum()
    intercept = mean_y - slope * mean_x
    return float(np.exp(intercept)), float(-slope)
""",
}

BOB = {  # ada's code: renamed, re-spaced, re-commented, independent lines swapped
    "info_nce_loss": """    assert tau>0, "temperature must be positive"
    logit = ( z_c@z_x.T )/tau
    logit = logit - logit.max(axis=1, keepdims=True)   # numerically stable
    lsm = logit - np.log( np.exp(logit).sum(axis=1, keepdims=True) )
    idx = np.arange(logit.shape[0])
    return float(-lsm[idx, idx].mean())
""",
    "cosine_similarity_matrix": """    # normalise both sides
    tiny = 1e-12
    y_n = b / np.maximum(np.sqrt((b*b).sum(axis=1))[:, None], tiny)
    x_n = a / np.maximum(np.sqrt((a*a).sum(axis=1))[:, None], tiny)
    s = x_n @ y_n.T
    return np.clip(s, -1.0, 1.0)
""",
    "fit_power_law": """    L = np.asarray(loss, dtype=float)
    N = np.asarray(n, dtype=float)
    x, y = np.log(N), np.log(L)
    mx, my = x.mean(), y.mean()

    b = ((x - mx) * (y - my)).sum() / ((x - mx) ** 2).sum()
    c = my - b * mx
    return float(np.exp(c)), float(-b)
""",
}

CLEO = {  # plain loops
    "info_nce_loss": """    total = 0.0
    for i in range(len(z_c)):
        row = [float(np.dot(z_c[i], z_x[j])) / tau for j in range(len(z_x))]
        top = max(row)
        log_denominator = top + np.log(sum(np.exp(r - top) for r in row))
        total += log_denominator - row[i]
    return total / len(z_c)
""",
    "cosine_similarity_matrix": """    out = np.zeros((len(a), len(b)))
    for i, u in enumerate(a):
        for j, v in enumerate(b):
            out[i, j] = np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v))
    return out
""",
    "fit_power_law": """    xs = [np.log(v) for v in n]
    ys = [np.log(v) for v in loss]
    k = len(xs)
    sx, sy = sum(xs), sum(ys)
    sxx = sum(x * x for x in xs)
    sxy = sum(x * y for x, y in zip(xs, ys))
    slope = (k * sxy - sx * sy) / (k * sxx - sx * sx)
    return float(np.exp((sy - slope * sx) / k)), float(-slope)
""",
}

DAN = {  # scipy's logsumexp, lstsq
    "info_nce_loss": """    similarities = np.matmul(z_c, z_x.T) / tau
    log_partition = special.logsumexp(similarities, axis=-1)
    return float((log_partition - similarities.diagonal()).mean())
""",
    "cosine_similarity_matrix": """    norms_a = np.linalg.norm(a, axis=-1)
    norms_b = np.linalg.norm(b, axis=-1)
    return np.matmul(a, b.T) / np.outer(norms_a, norms_b)
""",
    "fit_power_law": """    design = np.stack([np.ones(len(n)), np.log(n)], axis=1)
    (log_a, slope), *_ = np.linalg.lstsq(design, np.log(loss), rcond=None)
    return float(np.exp(log_a)), float(-slope)
""",
}

EVE = {  # einsum, softmax then log
    "info_nce_loss": """    z = np.einsum("id,jd->ij", z_c, z_x) / tau
    z -= z.max(axis=1)[:, None]
    p = np.exp(z)
    p /= p.sum(axis=1)[:, None]
    return float(-np.log(np.diag(p)).mean())
""",
    "cosine_similarity_matrix": """    an = a / np.sqrt(np.einsum("ij,ij->i", a, a))[:, None]
    bn = b / np.sqrt(np.einsum("ij,ij->i", b, b))[:, None]
    return np.einsum("id,jd->ij", an, bn)
""",
    "fit_power_law": """    A = np.vstack([np.log(n), np.ones_like(np.log(n))]).T
    coef = np.linalg.pinv(A) @ np.log(loss)
    return float(np.exp(coef[1])), float(-coef[0])
""",
}

STUB_BODY = "    # YOUR CODE HERE\n    raise NotImplementedError()\n"
FINN = {grade_id: STUB_BODY for grade_id in STUBS}  # handed in as released
GUS = {grade_id: "    # YOUR CODE HERE\n    # TODO: ask in the tutorial\n    raise NotImplementedError()\n" for grade_id in STUBS}
HANA = {grade_id: "    # I did not get this one\n    raise NotImplementedError(\"not done\")\n" for grade_id in STUBS}

CLASS = {"ada": ADA, "bob": BOB, "cleo": CLEO, "dan": DAN, "eve": EVE, "finn": FINN, "gus": GUS, "hana": HANA}
INDEPENDENT = ("ada", "cleo", "dan", "eve")
STUB_ONLY = ("finn", "gus", "hana")


def _notebook(bodies: dict[str, str], solution_marks: bool) -> nbformat.NotebookNode:
    """The toy assignment, its answer cells holding `bodies` (inside solution markers for the source)."""
    def meta(grade_id: str, **flags) -> dict:
        return {"nbgrader": {"grade_id": grade_id, "schema_version": 3, "locked": not flags.get("solution", False),
                             "solution": False, "grade": False, **flags}}

    cells = [nbformat.v4.new_code_cell(SETUP, metadata=meta("setup"))]
    for grade_id, stub in STUBS.items():
        body = f"    ### BEGIN SOLUTION\n{bodies[grade_id]}    ### END SOLUTION\n" if solution_marks else bodies[grade_id]
        cells.append(nbformat.v4.new_code_cell(stub + body, metadata=meta(grade_id, solution=True)))
        cells.append(nbformat.v4.new_code_cell(TESTS[grade_id], metadata=meta(f"test_{grade_id}", grade=True, points=1)))
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook


@pytest.fixture
def toy_class(tmp_path) -> tuple[Course, list[SubmissionResult]]:
    """The class above as a course folder: a source notebook and an executed notebook per student."""
    (tmp_path / "scripts" / ASSIGNMENT).mkdir(parents=True)
    (tmp_path / "scripts" / ASSIGNMENT / f"{ASSIGNMENT}.py").write_text("")
    course = Course(tmp_path / "course", scripts_dir=tmp_path / "scripts")
    course.source_notebook(ASSIGNMENT).parent.mkdir(parents=True)
    nbformat.write(_notebook(INSTRUCTOR, solution_marks=True), course.source_notebook(ASSIGNMENT))
    for student, bodies in CLASS.items():
        course.executed_notebook(student, ASSIGNMENT).parent.mkdir(parents=True)
        nbformat.write(_notebook(bodies, solution_marks=False), course.executed_notebook(student, ASSIGNMENT))
    return course, [SubmissionResult(student, ASSIGNMENT, GRADED) for student in CLASS]


def _all_pairs(toy_class) -> dict[frozenset[str], float]:
    course, results = toy_class
    return {frozenset((p.student_a, p.student_b)): p.similarity for p in similar_pairs(course, results, threshold=0.0)}


def test_the_copy_is_reported_and_the_independent_answers_are_not(toy_class):
    course, results = toy_class
    pairs = similar_pairs(course, results)
    assert [(p.student_a, p.student_b) for p in pairs] == [("ada", "bob")]
    assert pairs[0].similarity >= SIMILARITY_THRESHOLD and pairs[0].shared_tokens > 0
    assert "<mark>" in pairs[0].marked_a and "<mark>" in pairs[0].marked_b
    everything = _all_pairs(toy_class)
    independent = [everything.get(frozenset(p), 0.0) for p in itertools.combinations(INDEPENDENT, 2)]
    assert max(independent) < SIMILARITY_THRESHOLD <= everything[frozenset(("ada", "bob"))]


def test_stubs_are_boilerplate_never_a_match(toy_class):
    """finn's cells are the release itself; gus's and hana's only touch the stub lines: none of
    them shares a fingerprint with anyone, however low the threshold."""
    assert not [pair for pair in _all_pairs(toy_class) if pair & set(STUB_ONLY)]


def test_only_graded_submissions_count(toy_class):
    course, results = toy_class
    results = [SubmissionResult(r.student, r.assignment, FAILED) if r.student == "bob" else r for r in results]
    assert similar_pairs(course, results) == []


def test_reports_escape_and_neutralise_what_students_wrote(toy_class):
    course, results = toy_class
    pairs = similar_pairs(course, results)
    names = {"ada": "=HYPERLINK(\"http://x\")", "bob": "<b>bob</b>"}
    write_similarity_csv(course, pairs, names)
    write_similarity_html(course, pairs, names)
    rows = list(csv.reader(open(course.reports_dir / "similarity.csv", encoding="utf-8")))
    assert rows[0] == ["assignment", "student_a", "student_b", "similarity", "shared_tokens"]
    assert rows[1][1].startswith("'=") and rows[1][3].endswith("%")
    page = (course.reports_dir / "similarity.html").read_text()
    assert "<script" not in page and "&lt;script&gt;" in page and "&lt;b&gt;bob&lt;/b&gt;" in page
    assert "default-src 'none'" in page and "src=" not in page and 'id="pair-1"' in page
    assert 'href="similarity.html#pair-1"' in similarity_section(pairs, names)


def test_no_pair_still_writes_both_reports(tmp_path):
    course = Course(tmp_path / "course", scripts_dir=tmp_path)
    write_similarity_csv(course, [], {})
    write_similarity_html(course, [], {})
    assert (course.reports_dir / "similarity.csv").read_text().splitlines() == [
        "assignment,student_a,student_b,similarity,shared_tokens"]
    assert "No pair above the threshold" in (course.reports_dir / "similarity.html").read_text()
    assert "no pair above the threshold" in similarity_section([], {})


def test_a_run_that_graded_nothing_new_reads_no_notebook(toy_class, monkeypatch):
    """class_pairs keeps the pairs under a digest of the graded submissions' fingerprints: the same class again
    reads nothing (its notebooks gone, the pairs come back the same); a changed fingerprint computes afresh."""
    import dataclasses

    import coursekit.similarity as similarity

    course, results = toy_class[0], toy_class[1]
    first = similarity.class_pairs(course, results)
    assert first == similarity.similar_pairs(course, results)
    monkeypatch.setattr(similarity, "similar_pairs", lambda *args, **kwargs: pytest.fail("computed again"))
    assert similarity.class_pairs(course, results) == first
    changed = [dataclasses.replace(results[0], fingerprint="new"), *results[1:]]
    monkeypatch.setattr(similarity, "similar_pairs", lambda *args, **kwargs: [])
    assert similarity.class_pairs(course, changed) == []
