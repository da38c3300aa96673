# Two commands: `make demo` and `make test`. Everything the project needs is installed from here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000

.PHONY: demo test test-sqlite test-postgres lint format bench install browsers system-packages clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP) system-packages
	$(BIN)/cite-emploi demo --port $(PORT)

# Pango and fonts for WeasyPrint's PDF (Debian packages; skipped with a message elsewhere).
system-packages:
	-sh scripts/install_system_packages.sh

# Debian's Chromium for the browser journeys (Playwright never downloads its own browser here).
browsers:
	sh tests/browser/install_chromium.sh

# The whole suite on SQLite, then on PostgreSQL when DATABASE_URL is set.
test: $(STAMP) system-packages browsers
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MAKE) test-sqlite
	@if [ -n "$$DATABASE_URL" ]; then $(MAKE) test-postgres; else echo "DATABASE_URL non défini : PostgreSQL non testé."; fi

test-sqlite: $(STAMP)
	env -u DATABASE_URL HTTPS=off $(BIN)/pytest -q

test-postgres: $(STAMP)
	HTTPS=off $(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	HTTPS=off $(BIN)/python bench/qpv_locate.py
	HTTPS=off $(BIN)/python bench/offer_import.py
	HTTPS=off $(BIN)/python bench/catalogue.py
	HTTPS=off $(BIN)/python bench/followup.py
	HTTPS=off $(BIN)/python bench/beneficiary_import.py
	HTTPS=off $(BIN)/python bench/talent.py
	HTTPS=off $(BIN)/python bench/diagnostic.py
	HTTPS=off $(BIN)/python bench/steering.py
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) var/staticfiles
