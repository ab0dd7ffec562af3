# lendgraph: `make demo` installs and serves the demo; `make test` installs and runs every check.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install demo test lint unit bench schema clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## demo: venv, install, migrate a SQLite file, seed the demo portfolio, serve on :8000
demo: install
	$(BIN)/lendgraph demo

## test: ruff, mypy, the import-direction check, then pytest on SQLite and (if
## DATABASE_URL points at PostgreSQL) on PostgreSQL too
test: install lint unit

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/lendgraph export-schema --output $(VENV)/schema.graphql >/dev/null
	@diff -u api/schema.graphql $(VENV)/schema.graphql || \
	  (echo "api/schema.graphql is out of date: run '$(BIN)/lendgraph export-schema'" && exit 1)

unit: install
	env -u DATABASE_URL $(BIN)/python -m pytest
	@case "$$DATABASE_URL" in \
	  postgres*) echo "== again on PostgreSQL ($$DATABASE_URL)" && $(BIN)/python -m pytest ;; \
	  *) echo "== DATABASE_URL is not PostgreSQL: PostgreSQL run skipped" ;; \
	esac

bench: install
	$(BIN)/python bench/customer_graph.py
	$(BIN)/python bench/import_customers.py
	$(BIN)/python bench/workflow.py

schema: install
	$(BIN)/lendgraph export-schema

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis lendgraph.db
