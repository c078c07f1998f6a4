# The book's two set-up commands are `make book` and `make test`; both create
# .venv on first use and install the pinned versions from constraints.txt.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
STATE  := $(CURDIR)/_build/.state

# Hermetic, deterministic runs: no state under $HOME, no font-cache noise, fixed hashing.
# MPLBACKEND stays unset: kernels then use the inline backend and store PNG figures.
unexport MPLBACKEND
export MPLCONFIGDIR        := $(STATE)/matplotlib
export IPYTHONDIR          := $(STATE)/ipython
export JUPYTER_CONFIG_DIR  := $(STATE)/jupyter/config
export JUPYTER_DATA_DIR    := $(STATE)/jupyter/data
export JUPYTER_RUNTIME_DIR := $(STATE)/jupyter/runtime
export PYTHONHASHSEED      := 0
export PYDEVD_DISABLE_FILE_VALIDATION := 1

SPHINXOPTS ?= -E -W --keep-going -n -q
NBVAL      := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg
CHAPTERS   ?= $(wildcard chapters/*.md)

.PHONY: help venv warm book execute test test-unit test-notebooks test-portable lab bench constraints clean

help:
	@echo "make book        build the HTML book into _build/html"
	@echo "make test        everything CI runs: unit tests, doctests, notebooks (nbval), book build"
	@echo "make test-portable  nbval again under other BLAS kernels and one thread (run after make test)"
	@echo "make execute     re-execute chapters/*.md into their .ipynb (CHAPTERS=... for some)"
	@echo "make lab         open the chapters in JupyterLab"
	@echo "make bench       run the speed and memory comparisons in benchmarks/"
	@echo "make pdf         the book as one PDF, _build/pdf/ (needs TeX Live: see README)"
	@echo "make test-pdf    check that PDF (page count, chapter titles, references, overfull boxes)"
	@echo "make test-browser open every page of the HTML book in headless Chromium and check it"
	@echo "make test-oracles compare with R's mclust, flexmix and lme4 live (needs R: see README)"
	@echo "make constraints re-pin constraints.txt from pyproject.toml's ranges"

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test,lab]"
	@mkdir -p $(MPLCONFIGDIR) && $(BIN)/python -c "import matplotlib.pyplot"
	@touch $@

venv: $(STAMP)

warm: $(STAMP)
	@mkdir -p $(MPLCONFIGDIR) $(IPYTHONDIR) $(JUPYTER_RUNTIME_DIR)
	@$(BIN)/python -c "import matplotlib.pyplot" >/dev/null

book: warm
	$(BIN)/sphinx-build $(SPHINXOPTS) -b html . _build/html
	@echo "The book is at _build/html/index.html"

execute: warm
	$(BIN)/python -m tools.notebooks execute $(CHAPTERS)

# The book tests inspect the HTML that `make book` builds: a prerequisite, so `make -j test` waits for it.
# Two workers (pytest-xdist): most tests are single-threaded, so two cores halve the time.
test-unit: book
	EMCORE_BOOK_HTML=$(CURDIR)/_build/html $(BIN)/python -m pytest -n 2 --doctest-modules emcore tests

# Two notebooks at a time (pytest-xdist; each notebook stays whole on one worker): the
# chapters are mostly single-threaded, so two cores run them in about half the time.
test-notebooks: warm
	$(BIN)/python -m pytest -n 2 --dist loadfile $(NBVAL) chapters

test: book test-unit test-notebooks

# The stored outputs again, under other arithmetic (OpenBLAS kernel families, one
# BLAS thread, numpy SIMD below AVX-512): see tools/portable.py and CONTRIBUTING.md.
test-portable: warm
	$(BIN)/python -m tools.portable

lab: warm
	$(BIN)/jupyter lab --notebook-dir=chapters

bench: warm
	$(BIN)/python -m benchmarks

constraints:
	rm -rf _build/.pin && $(PYTHON) -m venv _build/.pin
	_build/.pin/bin/python -m pip install --quiet --upgrade pip
	_build/.pin/bin/python -m pip install --quiet -e ".[test,lab,browser]"
	( echo "# Exact versions that 'make' installs (pip -c), so executed notebook outputs are reproducible."; \
	  echo "# Regenerate with 'make constraints' after changing pyproject.toml's ranges."; \
	  _build/.pin/bin/python -m pip freeze --exclude-editable ) > constraints.txt
	rm -rf _build/.pin

clean:
	rm -rf _build .pytest_cache .hypothesis

# ---- The PDF edition and the browser test (optional: need Debian packages) ----------
# `make pdf` builds the book through Sphinx's LaTeX builder and xelatex (latexmk), puts
# it in _build/pdf/ and rebuilds the HTML, whose pages then offer it for download.
# `make test-pdf` and `make test-browser` check the built PDF and HTML (booktests/).
# .ci/run installs the packages and runs all three after `make test`.
PDF_PACKAGES     := latexmk texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended \
                    texlive-xetex fonts-freefont-otf tex-gyre xindy poppler-utils
BROWSER_PACKAGES := chromium chromium-driver
# R and the packages the live oracle tests compare with (their stored numbers need no R)
ORACLE_PACKAGES  := r-base-core r-cran-mclust r-cran-flexmix r-cran-lme4
PDF_NAME         := em-algorithm-executed
BROWSER_STAMP    := $(VENV)/.installed-browser

.PHONY: pdf pdf-tools test-pdf test-browser browser-tools edition-packages test-oracles

edition-packages:
	@echo $(PDF_PACKAGES) $(BROWSER_PACKAGES) $(ORACLE_PACKAGES)

# The live comparisons with R (tests named *live*), which `make test` skips without R: here
# a missing R package is an error, not a skip.
test-oracles: warm
	@Rscript -e 'for (p in c("mclust", "flexmix", "lme4")) library(p, character.only = TRUE)' \
	  >/dev/null || { echo "make test-oracles needs R; as root: apt-get install $(ORACLE_PACKAGES)" >&2; exit 1; }
	EMCORE_ORACLES=1 $(BIN)/python -m pytest -p no:cacheprovider -q -rs -k "live and not alive" tests

pdf-tools:
	@command -v latexmk >/dev/null && command -v xelatex >/dev/null && command -v xindy >/dev/null || \
	  { echo "make pdf needs TeX Live; as root: apt-get install $(PDF_PACKAGES)" >&2; exit 1; }

pdf: pdf-tools warm
	rm -rf _build/latex
	$(BIN)/sphinx-build $(SPHINXOPTS) -b latex . _build/latex
	$(MAKE) -C _build/latex all-pdf LATEXMKOPTS="-interaction=nonstopmode -halt-on-error -silent" >_build/latex/make.log 2>&1 || \
	  { tail -40 _build/latex/make.log; echo "LaTeX failed: see _build/latex/$(PDF_NAME).log" >&2; exit 1; }
	@mkdir -p _build/pdf && cp _build/latex/$(PDF_NAME).pdf _build/pdf/
	$(MAKE) book
	@echo "The PDF is at _build/pdf/$(PDF_NAME).pdf"

test-pdf: warm
	@command -v pdftotext >/dev/null || { echo "test-pdf needs pdftotext; as root: apt-get install poppler-utils" >&2; exit 1; }
	$(BIN)/python -m pytest -p no:cacheprovider booktests/test_pdf.py

browser-tools:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { echo "make test-browser needs Chromium; as root: apt-get install $(BROWSER_PACKAGES)" >&2; exit 1; }

$(BROWSER_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[browser]"
	@touch $@

test-browser: browser-tools warm $(BROWSER_STAMP)
	@test -f _build/html/index.html || $(MAKE) book
	$(BIN)/python -m pytest -p no:cacheprovider booktests/test_browser.py
