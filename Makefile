# Everything the project needs is installed from here: a fresh machine needs only python3.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo gui screenshots docs docs-serve test lint typecheck pytest emulate bench clean

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
test: $(STAMP)
	$(BIN)/ruff check yicam tests benchmarks
	$(BIN)/ruff format --check yicam tests benchmarks
	$(BIN)/mypy
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest -n 4

emulate: $(STAMP)
	$(BIN)/yicam emulate

bench: $(STAMP)
	for b in benchmarks/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build site *.egg-info .mypy_cache .pytest_cache .ruff_cache
