# The two commands a fresh machine needs: `make demo` and `make test`. Both build the virtualenv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test lint format bench clean catalogs

install: $(STAMP)

# Re-install whenever the dependencies change.
$(STAMP): pyproject.toml setup.py
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "loanwatch needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/loanwatch demo

test: $(STAMP)
	$(BIN)/pytest

# One check cycle over a synthetic portfolio (see bench/README.md); e.g. make bench N=100000.
N ?= 10000
bench: $(STAMP)
	$(BIN)/python -m bench.checks --facilities $(N)

# Signed /loan status requests against `loanwatch web` and a bare Bolt app (see bench/README.md).
.PHONY: bench-web
bench-web: $(STAMP)
	$(BIN)/python -m bench.web

# The message catalogs (docs/languages.md): find every text marked for translation, bring the
# catalogs up to date with it (new texts empty, gone ones dropped), compile them. The build
# compiles them too (setup.py); a checkout reads a .po newer than its .mo directly.
LOCALE := bot/locale
catalogs: $(STAMP)
	$(BIN)/pybabel extract -F $(LOCALE)/babel.cfg --sort-output --add-location=file \
		--project loanwatch --copyright-holder "loanwatch" -o $(LOCALE)/loanwatch.pot .
	$(BIN)/pybabel update -i $(LOCALE)/loanwatch.pot -d $(LOCALE) -D loanwatch \
		--no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d $(LOCALE) -D loanwatch --statistics

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis *.egg-info
