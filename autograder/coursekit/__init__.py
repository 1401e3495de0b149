"""coursekit: build the releases of the foundation-models exercise notebooks and grade a class.

Modules, one concern each:
- ``paths``: where things live in the repository and the nbgrader course.
- ``sources``: jupytext percent sources -> nbgrader source notebooks.
- ``releases``: student release (``notebooks/`` with its kit), solution release (``solutions/``), the LMS zip.
- ``nbgrader_config``: the one nbgrader configuration (CLI, formgrader and in-process API).
- ``model``: the course folder, a submission's result, a graded cell (imports no other grading module).
- ``sandbox`` and ``sandbox_caps``: the bubblewrap kernel every grading kernel runs in, and its caps;
  ``sandbox_mounts``: the linked view of the Python environment and data/ it sees (no checkout path).
- ``output_limits``: the byte budgets of a cell's and a notebook's outputs while they run.
- ``known_answers``: the grader's own must-fail / must-pass cells; ``kernel_state``: the kernel's state
  report and what may not change in it.
- ``hidden_checks``: a test cell's hidden checks sent in steps, only to a kernel in its first state,
  after the answers are frozen; ``hidden_test_rules``: the rules every hidden test of a source keeps.
- ``source_flags``: what in a student's own code a TA should look at (on the syntax tree).
- ``submission_checks``: what is checked and mended in a submission before anything runs.
- ``execution``: one submission, from its folder to its scores (runs in a worker); ``nbgrader_pass``:
  nbgrader's autograde preprocessors on the notebook in memory; ``tracked_execute``: nbgrader's Execute
  preprocessor timed per kind of cell, with a kernel client that stops waiting once the kernel is ready;
  ``cell_skipping``: the instructor cells no grade needs.
- ``warm_kernels`` and ``zygote_main``: a worker's zygote in the sandbox, forked into each submission's kernel.
- ``workers``: the pool of forked worker processes with a wall-clock watchdog.
- ``cluster``: the same jobs on a Dask cluster (``make grade SCHEDULER=...``), each in a one-slot pool there.
- ``gradebook``: nbgrader's gradebook (its ``db_url``), written only from the grader's results.
- ``gradebook_merge``: graded submissions into the gradebook, a batch per transaction.
- ``roster``: who is in the class, under which folder name; ``intake``: what each student handed in (a folder
  or an LMS zip), a copy's name (`03 (1).ipynb`) graded as the notebook.
- ``grading``: a whole class: check, take in, execute in parallel, merge, restore, report;
  ``class_grading``: one run's state between those steps.
- ``student_view``: the notebook a student's feedback is made of (their own submitted outputs, each
  test's visible part and the grader's verdict); ``visible_run``: the notebook again without hidden
  tests, for the messages of the tests that lost points; ``stub_messages``: a stub names its function and
  part, in the release and in the feedback; ``feedback``: that view as an HTML page;
  ``safe_html``: the one allowlist its HTML passes and math as MathML.
- ``reports``: grades.csv, tests.csv, the LMS exports, the printed summary; ``summary_page`` and
  ``summary_charts``: summary.html (who needs attention and why, the sortable roster, histograms, tests);
  ``similarity``: similarity.csv and similarity.html (copydetect's winnowing over the answer cells).
- ``formgrade``: ``make formgrade``: nbgrader's formgrader on a graded course, on 127.0.0.1 with a token.
- ``formgrader_extension``: the Jupyter server extension it enables: rubrics beside written answers,
  MathJax served locally, nbgrader's own generate/release/collect/autograde/feedback switched off.
- ``mutants``: runs the wrong and alternative answers in ``tests/answers`` against the tests;
  ``example_class``: the bundled example class, generated from the sources.
- ``gpu_check``: ``make gpu-check`` on a machine with CUDA.
- ``bench``: timings for ``make bench``; ``simulated_class``: thousands of graded results of a tiny
  assignment, made without executing anything.
- ``cli``: ``python -m coursekit ...``, what the Makefile calls.
"""

import os as _os
import sys as _sys

# nbgrader runs the `alembic` executable of its environment when it creates a gradebook, and
# jupyter_client starts kernels by name: make this environment's bin/ win, however we were started.
_bin = _os.path.dirname(_sys.executable)
if _os.environ.get("PATH", "").split(_os.pathsep)[0] != _bin:
    _os.environ["PATH"] = _bin + _os.pathsep + _os.environ.get("PATH", "")
