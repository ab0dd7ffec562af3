# lendgraph: `make demo` installs and serves the demo; `make test` installs and runs every check.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install demo test lint unit bench schema clean designer browser-deps screenshots fuzz audit tck

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## designer: the web app in designer/ (npm ci from the committed lock file, then vite build)
DESIGNER_STAMP := designer/dist/.built
$(DESIGNER_STAMP): designer/package-lock.json $(wildcard designer/*.html) designer/vite.config.js \
		$(wildcard designer/src/*) $(wildcard designer/src/*/*)
	cd designer && npm ci --no-audit --no-fund && npm run build
	touch $(DESIGNER_STAMP)

designer: $(DESIGNER_STAMP)

## browser-deps: Debian's Chromium (and a Chinese font, for names on screen) for the
## browser tests, when missing
browser-deps:
	@(command -v chromium >/dev/null 2>&1 && fc-list :lang=zh 2>/dev/null | grep -q .) || \
	  (apt-get update -qq && \
	   DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei)

## demo: venv, install, migrate a SQLite file, seed the demo portfolio, serve on :8000
demo: install designer
	$(BIN)/lendgraph demo

## test: ruff, mypy, the import-direction check, then pytest on SQLite and (if
## DATABASE_URL points at PostgreSQL) on PostgreSQL too
test: install lint designer browser-deps unit

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/lendgraph export-schema --output $(VENV)/schema.graphql >/dev/null
	@diff -u api/schema.graphql $(VENV)/schema.graphql || \
	  (echo "api/schema.graphql is out of date: run '$(BIN)/lendgraph export-schema'" && exit 1)

# under make the browser tests must run: they fail, not skip, without Chromium or the build.
# With PostgreSQL configured the two passes run side by side (CI has two cores): SQLite's output
# shows as it comes, PostgreSQL's after it; either failing fails the target.
unit: install
	@case "$$DATABASE_URL" in \
	  postgres*) \
	    echo "== SQLite, and PostgreSQL ($$DATABASE_URL) beside it: its output follows"; \
	    log=$$(mktemp); \
	    ( LENDGRAPH_REQUIRE_BROWSER=1 $(BIN)/python -m pytest --durations=15 -p no:cacheprovider \
	      >"$$log" 2>&1; echo $$? >"$$log.rc" ) & \
	    env -u DATABASE_URL LENDGRAPH_REQUIRE_BROWSER=1 $(BIN)/python -m pytest --durations=15; \
	    sqlite=$$?; wait; \
	    echo "== again on PostgreSQL ($$DATABASE_URL)"; cat "$$log"; \
	    pg=$$(cat "$$log.rc"); rm -f "$$log" "$$log.rc"; \
	    [ "$$sqlite" -eq 0 ] && [ "$$pg" -eq 0 ] ;; \
	  *) env -u DATABASE_URL LENDGRAPH_REQUIRE_BROWSER=1 $(BIN)/python -m pytest --durations=15 && \
	    echo "== DATABASE_URL is not PostgreSQL: PostgreSQL run skipped" ;; \
	esac

## fuzz: every query and mutation, many generated documents each (LENDGRAPH_FUZZ_EXAMPLES, 200
## by default; `make test` runs 4), and 500 generated customer-graph documents asked compiled and
## not as five roles (`make test`: 60), on SQLite and, if DATABASE_URL is PostgreSQL, there too
FUZZ_EXAMPLES ?= 200
EQUIVALENCE_EXAMPLES ?= 500
FUZZ = LENDGRAPH_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) LENDGRAPH_EQUIVALENCE_EXAMPLES=$(EQUIVALENCE_EXAMPLES) \
  $(BIN)/python -m pytest -q tests/fuzz tests/api/test_compiled_reads.py
fuzz: install
	env -u DATABASE_URL $(FUZZ)
	@case "$$DATABASE_URL" in \
	  postgres*) $(FUZZ) ;; \
	esac

## audit: graphql-http's GraphQL-over-HTTP audit against a real server (part of `make test`)
audit: install designer
	env -u DATABASE_URL LENDGRAPH_REQUIRE_BROWSER=1 $(BIN)/python -m pytest -q -s \
	  tests/api/test_graphql_over_http.py

## screenshots: the designer's key screens into docs/ (for the README)
screenshots: install designer browser-deps
	env -u DATABASE_URL LENDGRAPH_SCREENSHOTS=1 $(BIN)/python -m pytest -q tests/designer

# on PostgreSQL the customer graph runs again in a fresh database beside PostGraphile 5
# (bench/postgraphile, installed from its lock file)
bench: install
	$(BIN)/python bench/customer_graph.py
	$(BIN)/python bench/import_customers.py
	$(BIN)/python bench/workflow.py
	$(BIN)/python bench/simulate.py --only sqlite
	$(BIN)/python bench/simulate_collections.py --only sqlite
	$(BIN)/python bench/simulate_reminders.py --only sqlite
	@case "$$DATABASE_URL" in \
	  postgres*) (test -d bench/postgraphile/node_modules || \
	                npm ci --prefix bench/postgraphile --no-audit --no-fund) && \
	             $(BIN)/python bench/customer_graph.py --database-url "$$DATABASE_URL" --fresh && \
	             $(BIN)/python bench/simulate.py --only postgres && \
	             $(BIN)/python bench/simulate_collections.py --only postgres && \
	             $(BIN)/python bench/simulate_reminders.py --only postgres && \
	             $(BIN)/python bench/load.py ;; \
	  *) echo "== DATABASE_URL is not PostgreSQL: the customer graph on PostgreSQL" \
	          "(beside PostGraphile), the simulations on PostgreSQL and bench/load.py skipped" ;; \
	esac

## tck: the public DMN TCK (compliance levels 2 and 3) against bpmn.dmn, beside other engines
tck: install
	$(BIN)/python bench/tck.py

schema: install
	$(BIN)/lendgraph export-schema

clean:
	rm -rf designer/node_modules designer/dist
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis lendgraph.db
