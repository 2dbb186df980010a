# Every target bootstraps what it needs: a fresh machine with python3 is enough.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(shell command -v uv 2>/dev/null || echo $(TOOLS)/bin/uv)
VENV := .venv
RUN := $(UV) run --frozen --no-sync
export ZENML_ANALYTICS_OPT_IN := false
export ZENML_LOGGING_VERBOSITY ?= WARN
export AUTO_OPEN_DASHBOARD := false

.PHONY: help env demo test test-fast lint format compile bench clean

help:  ## list targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(TOOLS)/bin/uv:
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	@touch $@

env: $(VENV)/.synced  ## create .venv from uv.lock

.zen: | $(VENV)/.synced
	$(RUN) zenml init >/dev/null
	$(RUN) zenml analytics opt-out >/dev/null

demo: env .zen  ## run every pipeline on bundled/synthetic data, print metrics and where outputs are
	$(RUN) model-factory demo

test: env  ## the whole suite, slow tests included (what CI runs)
	$(RUN) pytest -n 2 --dist loadgroup

test-fast: env  ## the suite without slow tests
	$(RUN) pytest -n 2 --dist loadgroup -m "not slow"

lint: env  ## ruff
	$(RUN) ruff check .
	$(RUN) ruff format --check .

format: env
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

clean:  ## remove environments and outputs
	rm -rf $(VENV) $(TOOLS) outputs build .zen
