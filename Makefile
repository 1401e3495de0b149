# Foundation-models exercise session: build the releases, grade a class, test it all.
# `make` lists the targets. Every target creates the environment (.venv) itself when missing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
JOBS   ?=
ZIP    ?=
FORCE  ?=
UNSAFE ?=
EVERYCELL ?=
SCHEDULER ?=
COURSE ?=
KERNEL := fm-course
# Jupyter refuses to run as root unless told; containers and CI machines often are root.
ROOT_OK := $(if $(filter 0,$(shell id -u)),--allow-root)

COURSE_ARG := $(if $(COURSE),--course $(abspath $(COURSE)))
GRADE_ARGS := $(COURSE_ARG) $(if $(JOBS),--jobs $(JOBS)) $(if $(ZIP),--zip $(abspath $(ZIP))) $(if $(FORCE),--force) $(if $(UNSAFE),--unsafe) $(if $(EVERYCELL),--every-cell) $(if $(SCHEDULER),--scheduler $(SCHEDULER))

.DEFAULT_GOAL := help
.PHONY: help demo test release solutions grade formgrade lab bench mutants sources clean env sandbox gpu-check

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-11s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "  variables: JOBS=n (parallel graders, default all cores), ZIP=path (LMS zip), FORCE=1 (regrade all), UNSAFE=1 (grade without the sandbox),"
	@echo "             EVERYCELL=1 (also run the instructor cells no grade depends on, marked grading=\"skip\" in the source)"
	@echo "             SCHEDULER=tcp://host:8786 (grade on a Dask cluster whose workers have this course environment: see the README)"
	@echo "             COURSE=folder (grade/formgrade another course folder than autograder/, e.g. build/demo/course)"

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (foundation-models course)" >/dev/null
	@touch $@

env: $(STAMP) ## create the virtual environment from requirements.txt (done by every target)

demo: $(STAMP) ## build the release and grade the bundled example class in build/demo
	$(BIN)/python -m coursekit demo $(if $(JOBS),--jobs $(JOBS))

test: $(STAMP) ## run the whole test suite (what CI runs; installs Debian's chromium for the browser tests when missing)
	@.ci/install-chromium
	$(BIN)/python -m pytest

release: $(STAMP) ## regenerate notebooks/ (student release) and build/fm-exercises-student.zip
	$(BIN)/python -m coursekit release

solutions: $(STAMP) ## regenerate solutions/ (solutions and visible tests, no hidden test)
	$(BIN)/python -m coursekit solutions

sources: $(STAMP) ## regenerate the nbgrader source notebooks from autograder/source/*/*.py
	$(BIN)/python -m coursekit sources

grade: $(STAMP) ## autograde autograder/submitted/ (or ZIP=lms.zip): feedback, grades.csv, tests.csv
	$(BIN)/python -m coursekit grade $(GRADE_ARGS)

sandbox: $(STAMP) ## check that the grading sandbox (bubblewrap) works on this machine
	$(BIN)/python -m coursekit sandbox

formgrade: $(STAMP) ## grade the written answers in nbgrader's formgrader (COURSE=build/demo/course for the demo)
	$(BIN)/python -m coursekit formgrade $(COURSE_ARG)

lab: $(STAMP) ## open JupyterLab on notebooks/ as students get it (Validate button, no instructor tools)
	$(BIN)/python notebooks/start_lab.py

bench: $(STAMP) ## time each notebook, every step of one grading, a class of 20 vs plain nbgrader (speed-up, overhead, memory)
	$(BIN)/python -m coursekit bench

mutants: $(STAMP) ## show how the hidden tests score every wrong and alternative answer in tests/answers
	$(BIN)/python -m coursekit mutants

gpu-check: $(STAMP) ## run the 01 solution on a GPU machine and call each graded torch function with CUDA tensors
	$(BIN)/python -m coursekit gpu-check

clean: ## remove build/ and the graders' generated state (not the submissions, not the gradebook)
	rm -rf build autograder/release autograder/.grading autograder/source/*/*.ipynb
