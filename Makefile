# The CRM's two commands: `make run` (install, prepare, serve) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app run
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run serve test test-sqlite test-postgresql install install-dev requirements translations \
	catalog db lint demo bench load-test

run: install translations db
	$(FLASK) crm ensure-admin --url http://$(HOST):$(PORT)
	$(BIN)/python run.py --host $(HOST) --port $(PORT)

# Production: gunicorn with the settings of gunicorn.conf.py (SECRET_KEY and DATABASE_URL
# must be set; run `make db` once per release, not on every host).
serve: install translations
	CRM_ENV=production $(BIN)/gunicorn -c gunicorn.conf.py

test: install-dev translations test-sqlite test-postgresql

test-sqlite:
	CRM_TEST_DB=sqlite $(BIN)/pytest

test-postgresql:
	CRM_TEST_DB=postgresql $(BIN)/pytest

# What the running CRM needs (requirements.txt); tests and tools add requirements-dev.txt.
install: $(VENV)/.installed-runtime

install-dev: $(VENV)/.installed-dev

# Made only when missing: an existing .venv (or a link to a shared one) is kept as it is.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# Re-pin both sets from requirements*.in; pins already in the .txt files are kept.
PIP_COMPILE := $(BIN)/pip-compile --quiet --allow-unsafe --strip-extras --newline=lf \
	--no-emit-index-url --no-emit-trusted-host --no-emit-find-links
requirements: install-dev
	$(PIP_COMPILE) --output-file requirements.txt requirements.in
	$(PIP_COMPILE) --output-file requirements-dev.txt requirements-dev.in

# Compile the catalogues (.mo files are built, never committed).
translations: install
	$(BIN)/pybabel compile -d translations --statistics 2>&1 | tail -n 2

# Re-extract every msgid and merge it into the Russian and English catalogues.
catalog: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k _ -k gettext -k ngettext:1,2 \
		-k lazy_pgettext:1c,2 -k pgettext:1c,2 \
		-o translations/messages.pot --no-location --sort-output --project CRM .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching
	$(BIN)/python tools/fill_en_catalog.py

db: install
	$(FLASK) db upgrade
	$(FLASK) crm init

demo: db
	$(FLASK) crm demo

lint: install-dev
	$(BIN)/ruff check .

# The benchmark (SQLite and PostgreSQL) and the load test; both write bench/results.md.
bench: install-dev translations
	$(BIN)/python -m bench.run --database both

load-test: install-dev translations
	$(BIN)/python -m bench.load.run
