# qv: reproducible education quality review packs.  `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

DATA ?=
OUT  ?= outputs
YEAR ?=
AS_AT ?=
TRUST ?=
JOBS ?=
FORCE ?=
REQUEST ?=
QUICK ?=

# Without DATA, qv reads $$QV_DATA or data_dir in parameters/region.yaml, as `qv` itself does.
QV_ARGS = $(if $(DATA),--data $(DATA)) --out $(OUT) $(if $(YEAR),--year $(YEAR)) \
          $(if $(AS_AT),--as-at $(AS_AT)) $(if $(JOBS),--jobs $(JOBS)) \
          $(if $(REQUEST),--request $(REQUEST)) $(foreach t,$(TRUST),--trust $(t)) \
          $(if $(FORCE),--force)

.PHONY: help venv reviews pdf dashboards annual cqc briefs validate lab test lint docs tutorial bench \
        sample-data clean

help: ## Show this help
	@echo "qv: education quality review packs."
	@echo "Variables: DATA=dir TRUST=code YEAR=2025/26 AS_AT=YYYY-MM-DD (the date packs are as at)"
	@echo "           JOBS=n FORCE=1 (rebuild up-to-date packs)"
	@echo "           REQUEST=file.yaml (a CQC request the bundle answers; its trust only)"
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*## "}; {printf "  make %-12s %s\n", $$1, $$2}'
	@echo "Trusts, pack kinds and each notebook's parameters: $(BIN)/qv list (all commands: $(BIN)/qv --help)"

$(STAMP): requirements.lock pyproject.toml
	@echo "qv: setting up $(VENV) from requirements.lock (the first time takes a few minutes)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check --progress-bar on --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)
	@echo "qv: $(VENV) is ready"

venv: $(STAMP) ## Create or refresh .venv from the pinned lock file

reviews: $(STAMP) ## Build every pack for every trust (DATA, TRUST, YEAR, AS_AT, JOBS, FORCE)
	$(BIN)/qv reviews $(QV_ARGS)

dashboards: $(STAMP) ## Build only the desktop review dashboards
	$(BIN)/qv reviews $(QV_ARGS) --pack desktop-review-dashboard

annual: $(STAMP) ## Build only the annual education quality review packs
	$(BIN)/qv reviews $(QV_ARGS) --pack annual-review-pack

cqc: $(STAMP) ## Build only the CQC response bundles (REQUEST=file.yaml answers a CQC request)
	$(BIN)/qv reviews $(QV_ARGS) --pack cqc-response-bundle

pdf: $(STAMP) ## Build every pack and print each HTML pack to an A4 PDF beside it
	$(BIN)/qv reviews $(QV_ARGS) --pdf

briefs: $(STAMP) ## Build only the visit briefs (triggered and learner/educator)
	$(BIN)/qv reviews $(QV_ARGS) --pack triggered-visit-brief --pack learner-educator-visit-brief

validate: $(STAMP) ## Check the data directory and print every problem found (DATA)
	$(BIN)/qv validate $(DATA)

lab: $(STAMP) ## Open JupyterLab on notebooks/ (start with tutorial.ipynb)
	$(BIN)/jupyter lab notebooks/

# The tutorial runs with a fixed hash seed (as pack kernels do) so that its outputs are stable.
NBVAL = PYTHONHASHSEED=0 $(BIN)/python -m pytest --nbval --nbval-current-env \
        --nbval-sanitize-with notebooks/tutorial.sanitize.cfg notebooks/tutorial.ipynb

test: $(STAMP) ## Run lint, unit, doctests, the tutorial (nbval), end-to-end, browser tests, docs
	$(BIN)/ruff check qvlib tests benchmarks notebooks docs
	$(BIN)/python -m pytest -n 2 --dist loadfile qvlib tests
	$(NBVAL)
	$(MAKE) --no-print-directory docs

lint: $(STAMP) ## Lint and format-check the code
	$(BIN)/ruff check qvlib tests benchmarks notebooks docs
	$(BIN)/ruff format --check qvlib tests benchmarks docs

docs: $(STAMP) ## Build the documentation into outputs/site (fails on a broken link)
	$(BIN)/mkdocs build --strict --quiet
	@echo "docs: outputs/site/index.html"

tutorial: $(STAMP) ## Re-run notebooks/tutorial.ipynb and keep its outputs (review the diff)
	cd notebooks && PYTHONHASHSEED=0 ../$(BIN)/jupyter nbconvert --to notebook --execute \
	  --inplace --ExecutePreprocessor.record_timing=False tutorial.ipynb

bench: $(STAMP) ## Run the benchmarks (ratios measured in one run; QUICK=1 scales them down)
	$(BIN)/python -m benchmarks $(if $(QUICK),--quick)

sample-data: $(STAMP) ## Regenerate data/sample from the committed seed
	$(BIN)/qv sample-data --out data/sample --force

clean: ## Remove outputs and the virtual environment
	rm -rf $(OUT) $(VENV) .pytest_cache .ruff_cache
