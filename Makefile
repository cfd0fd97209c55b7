# qv: reproducible education quality review packs.  `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

DATA ?= data/sample
OUT  ?= outputs
YEAR ?=
TRUST ?=
JOBS ?=
QUICK ?=

QV_ARGS = --data $(DATA) --out $(OUT) $(if $(YEAR),--year $(YEAR)) $(if $(JOBS),--jobs $(JOBS)) \
          $(foreach t,$(TRUST),--trust $(t))

.PHONY: help venv reviews dashboards annual cqc briefs validate lab test lint bench sample-data clean

help: ## Show this help
	@echo "qv: education quality review packs.  Variables: DATA=dir TRUST=code YEAR=2025/26 JOBS=n"
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*## "}; {printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

venv: $(STAMP) ## Create or refresh .venv from the pinned lock file

reviews: $(STAMP) ## Build every pack for every trust (DATA, TRUST, YEAR, JOBS)
	$(BIN)/qv reviews $(QV_ARGS)

dashboards: $(STAMP) ## Build only the desktop review dashboards
	$(BIN)/qv reviews $(QV_ARGS) --pack desktop-review-dashboard

annual: $(STAMP) ## Build only the annual education quality review packs
	$(BIN)/qv reviews $(QV_ARGS) --pack annual-review-pack

cqc: $(STAMP) ## Build only the CQC response bundles
	$(BIN)/qv reviews $(QV_ARGS) --pack cqc-response-bundle

validate: $(STAMP) ## Check the data directory and print every problem found (DATA)
	$(BIN)/qv validate $(DATA)

lab: $(STAMP) ## Open JupyterLab on notebooks/
	$(BIN)/jupyter lab notebooks/

test: $(STAMP) ## Run lint, unit, notebook (nbval), end-to-end and browser tests
	$(BIN)/ruff check qvlib tests benchmarks notebooks
	$(BIN)/python -m pytest -n 2 --dist loadfile tests
	$(BIN)/python -m pytest -n 2 --dist loadfile --nbval-lax notebooks

lint: $(STAMP) ## Lint and format-check the code
	$(BIN)/ruff check qvlib tests benchmarks notebooks
	$(BIN)/ruff format --check qvlib tests benchmarks

bench: $(STAMP) ## Run the benchmarks (ratios measured in one run; QUICK=1 scales them down)
	$(BIN)/python -m benchmarks $(if $(QUICK),--quick)

sample-data: $(STAMP) ## Regenerate data/sample from the committed seed
	$(BIN)/qv sample-data --out data/sample

clean: ## Remove outputs and the virtual environment
	rm -rf $(OUT) $(VENV) .pytest_cache .ruff_cache
