# Everything the project needs is installed from here: a fresh machine needs only python3.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo gui screenshots docs docs-serve test test-all lint typecheck pytest emulate bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/yicam demo

gui: $(STAMP)
	$(BIN)/yicam gui --demo

# The window against an emulated camera, with real frames and thumbnails, for the README.
screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m yicam.gui.screenshots docs/screenshots

# The documentation site (mkdocs.yml) into site/; make test builds it too, with --strict.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

docs-serve: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve

# Four workers on any machine: most tests wait on sockets, streams and timers, not the CPU
# (the whole suite takes about a fifth of its run time in CPU), so even two cores keep four busy.
# mypy also as on Windows and macOS (a cache each, so all three stay quick); the CI workflow
# for the platforms this machine cannot run is checked against GitHub's schema (offline copy).
test: $(STAMP)
	$(BIN)/ruff check yicam tests benchmarks noxfile.py
	$(BIN)/ruff format --check yicam tests benchmarks noxfile.py
	$(BIN)/mypy
	$(BIN)/mypy --platform win32 --cache-dir .mypy_cache/win32
	$(BIN)/mypy --platform darwin --cache-dir .mypy_cache/darwin
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/ci.yml
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest -n 4 --dist loadgroup

# The suite on Python 3.11, 3.12 and 3.13, each against the built wheel (noxfile.py). pyenv's
# shims answer only for its global version, so its 3.1x interpreters go on PATH first.
PYENV_ROOT ?= $(HOME)/.pyenv
PYENV_PATH := $(subst $(eval) ,:,$(wildcard $(PYENV_ROOT)/versions/3.1[123].*/bin))
# One session: make test-all NOX_ARGS="-s tests-3.12"; nox's own options after NOX_ARGS=.
test-all: $(STAMP)
	PATH="$(PYENV_PATH):$$PATH" $(BIN)/nox $(NOX_ARGS)

emulate: $(STAMP)
	$(BIN)/yicam emulate

bench: $(STAMP)
	for b in benchmarks/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .nox build site *.egg-info .mypy_cache .pytest_cache .ruff_cache
