# dealledger: `make demo` runs the pipeline on demo data, `make test` runs the tests.
# Both set up everything they need first (virtual environment, packages, dbt manifest).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DBT_DIR := dbt_project
INSTALLED := $(VENV)/.installed-stamp
MANIFEST := $(DBT_DIR)/target/manifest.json
DASHBOARDS_NPM := dashboards/node_modules/.package-lock.json

.PHONY: install manifest browser demo test lint dagster docs dashboards clean

install: $(INSTALLED)

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --editable ".[dev]"
	touch $@

# dagster-dbt reads the manifest when the code location loads; it is built here, never at import.
# Parsed for the home the pipeline will use: dbt re-parses the whole project (7-16 s) when the profile's
# database path differs from the one the saved parse state was made with. A run keeps its dbt's parse state
# for the next (assets/transform.py), so only a home's first run after another home's parses everything.
manifest: $(INSTALLED)
	DEALLEDGER_HOME=$(abspath $(or $(DEALLEDGER_HOME),.dealledger)) $(BIN)/dbt parse --quiet --project-dir $(CURDIR)/$(DBT_DIR) --profiles-dir $(CURDIR)/$(DBT_DIR)

# The dashboard tests drive Debian's chromium headless (docs/dashboards.md); installed when missing.
browser:
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

demo: manifest
	$(BIN)/dealledger demo

test: manifest browser $(DASHBOARDS_NPM)
	$(BIN)/python -m pytest

lint: $(INSTALLED)
	$(BIN)/ruff check orchestration tests
	$(BIN)/ruff format --check orchestration tests

# The UI on http://127.0.0.1:3000 with the instance settings of orchestration/dagster.yaml.
dagster: manifest
	home=$${DEALLEDGER_HOME:-$(CURDIR)/.dealledger}; mkdir -p $$home/dagster && \
	cp orchestration/dagster.yaml $$home/dagster/dagster.yaml && \
	DEALLEDGER_HOME=$$home DAGSTER_HOME=$$home/dagster $(BIN)/dagster dev -m dealledger.definitions

# The dbt docs site as one file that works offline: $$DEALLEDGER_HOME/docs/index.html (after a run).
docs: manifest
	$(BIN)/dealledger docs

# Observable Framework and playwright-core, from the committed lock file.
$(DASHBOARDS_NPM): dashboards/package-lock.json
	cd dashboards && npm ci --no-audit --no-fund

# The static dashboards site in dashboards/dist, from $$DEALLEDGER_HOME/serving.duckdb.
dashboards: $(INSTALLED) $(DASHBOARDS_NPM)
	dashboards/build.sh

clean:
	rm -rf $(VENV) $(DBT_DIR)/target $(DBT_DIR)/logs .dealledger

# Pipeline against hand-written DuckDB SQL at 100k, 1M and 10M deals (docs/benchmarks.md); not part of `make test`.
SCALES ?= 100000,1000000,10000000
.PHONY: bench
bench: manifest
	PYTHONPATH=$(CURDIR)/orchestration:$(CURDIR) $(BIN)/python -m benchmarks.run --scales $(SCALES)
