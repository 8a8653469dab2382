# Two commands do all the set-up (see README):  make lab   and   make test
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.genlib-installed
BOOK_STAMP := $(VENV)/.genlib-book-installed
# The test suite runs notebooks in quick mode unless told otherwise (GENLIB_QUICK=0 make test).
GENLIB_QUICK ?= 1
export GENLIB_QUICK

.PHONY: lab test offline unit notebooks browser render pretrain bench bench-cold bench-quick clean-venv

# tools/install.py: Python >= 3.10 checked first, then the venv, torch (CPU build on Linux without an
# NVIDIA GPU), the project, its kernel, JupyterLab's defaults; the same script works without make
$(STAMP): pyproject.toml tools/install.py tools/torch_build.py tools/lab_settings.py
	$(PYTHON) tools/install.py --venv $(VENV) --extras lab,test
	@touch $(STAMP)

lab: $(STAMP)  ## open the collection in JupyterLab (GENLIB_LAB_QUICK=1: quick mode; --allow-root as root)
	$(PYTHON) tools/lab.py --venv $(VENV)

test: $(STAMP) $(BOOK_STAMP)  ## genlib unit tests, the browser tests (the website's too), and nbval over every notebook
	OMP_WAIT_POLICY=PASSIVE $(BIN)/python -m pytest -p no:cacheprovider -n 2 --dist loadfile --durations=25 \
	    --nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout=600 tests notebooks

offline: $(STAMP)  ## every notebook (quick mode) on the digits alone, as where no data set can be had
	GENLIB_HIDE_DATA=1 OMP_WAIT_POLICY=PASSIVE $(BIN)/python -m pytest -p no:cacheprovider -n 2 \
	    --dist loadfile --nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout=600 notebooks

unit: $(STAMP)  ## unit tests only (fast)
	$(BIN)/python -m pytest -q tests -m "not browser and not bench"

notebooks: $(STAMP)  ## nbval over the notebooks only
	$(BIN)/python -m pytest -q --nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg notebooks

browser: $(STAMP)  ## the real-browser test alone
	$(BIN)/python -m pytest -q -m browser tests

render: $(STAMP)  ## re-execute every notebook in place in full mode (outputs are committed)
	for nb in notebooks/*.ipynb; do GENLIB_QUICK=0 $(BIN)/jupyter nbconvert --to notebook --execute \
	    --inplace --ExecutePreprocessor.timeout=-1 "$$nb" || exit 1; done

pretrain: $(STAMP)  ## train every full-mode model of the collection once (cached in data/checkpoints)
	GENLIB_QUICK=0 $(BIN)/python -m genlib.zoo

.PHONY: bundle
bundle: $(STAMP)  ## the full-mode models of make pretrain in one archive: dist/genlib-models-<version>.tar
	GENLIB_QUICK=0 $(BIN)/python -m genlib.bundle pack --out dist

bench: $(STAMP)  ## regenerate bench/RESULTS.md
	OMP_WAIT_POLICY=PASSIVE GENLIB_QUICK=0 $(BIN)/python -m bench

bench-cold: $(STAMP)  ## every notebook in full mode from an empty cache (about an hour)
	OMP_WAIT_POLICY=PASSIVE GENLIB_QUICK=0 $(BIN)/python -m bench --only notebooks --cold

bench-quick: $(STAMP)
	OMP_WAIT_POLICY=PASSIVE $(BIN)/python -m bench --quick

.PHONY: handout instructor nbgrader
handout: $(STAMP)  ## the notebooks without hints or outputs, in handout/ (for a class)
	$(BIN)/python tools/handout.py --out handout

steps: $(STAMP)  ## write genlib/steps/ from the notebooks' #@save cells (edit a step in its notebook, then run this)
	$(BIN)/python tools/collect_steps.py

instructor: $(STAMP)  ## the notebooks with their worked answers, in instructor/notebooks/ (not for students)
	$(BIN)/python -m instructor.build --out instructor/notebooks

nbgrader: $(STAMP)  ## an nbgrader course (solutions, hidden tests, points) in nbgrader/ (not for students)
	$(BIN)/python tools/nbgrader_course.py --out nbgrader

$(BOOK_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[book]'
	@touch $(BOOK_STAMP)

.PHONY: book
book: $(BOOK_STAMP)  ## the website (Jupyter Book) in build/book/_build/html, from the committed notebooks, never re-run
	$(BIN)/python tools/book.py

.PHONY: slides
slides: $(STAMP)  ## every notebook as a reveal.js deck in slides/ (reveal.js and MathJax from npm, offline once built)
	$(BIN)/python tools/slides.py build --out slides

clean-venv:
	rm -rf $(VENV)
