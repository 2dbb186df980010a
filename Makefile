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
export ZENML_AUTO_OPEN_DASHBOARD := false

CHECKOV_VERSION := 3.3.30
# checkov pins an old `packaging`, so it lives in its own environment, never in .venv.
CHECKOV := $(TOOLS)/checkov/bin/checkov

.PHONY: help env demo test test-durations test-fast lint format compile bench clean checkov \
	check-terraform browser image image-check

help:  ## list targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(TOOLS)/bin/uv:
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --compile-bytecode
	@touch $@

env: $(VENV)/.synced  ## create .venv from uv.lock

.zen: | $(VENV)/.synced
	$(RUN) zenml init >/dev/null
	$(RUN) zenml analytics opt-out >/dev/null

demo: env .zen  ## run every pipeline on bundled/synthetic data, print metrics and where outputs are
	$(RUN) model-factory demo

# --dist loadscope keeps a module on one worker, so a module-scoped fixture (a trained model)
# is built once, not once per worker; tests/helpers/timing_plugin.py balances the two workers by the
# test durations in tests/durations.json and lists any test over 60 s at the end.
test: env $(CHECKOV) browser  ## the whole suite, slow tests included (what CI runs)
	$(RUN) pytest -n 2 --dist loadscope --durations=15

test-durations: env $(CHECKOV) browser  ## the whole suite, rewriting tests/durations.json (worker balancing)
	$(RUN) pytest -n 2 --dist loadscope --durations=15 --store-durations

test-fast: env $(CHECKOV) browser  ## the suite without slow tests
	$(RUN) pytest -n 2 --dist loadscope -m "not slow"

bench: env  ## (~24 min on 2 quiet cores) DBSCAN vs scikit-learn 10k..25M rides, taxi F1 per rule 10k..10M (~6 min, sklearn peaks ~12 GB; BENCH_ARGS=--quick); forecast service vs bare FastAPI (~2 min); forecasting on all 1,115 stores plus a 50-store serial sample (~6 min), bank search vs the book's 100 x 3 random search (~6 min), ZenML overhead and make demo (~4 min); then docs/performance.md
	$(RUN) python benchmarks/dbscan_bench.py $(BENCH_ARGS)
	$(RUN) python benchmarks/taxi_anomaly_rule.py
	$(RUN) python benchmarks/serve_bench.py --out build/bench/serve.json
	$(RUN) python benchmarks/store_forecasting_bench.py $(BENCH_ARGS)
	$(RUN) python benchmarks/bank_search_bench.py $(BENCH_ARGS)
	$(RUN) python benchmarks/pipeline_overhead_bench.py $(BENCH_ARGS)
	$(RUN) python benchmarks/performance_page.py

lint: env  ## ruff, hadolint, actionlint
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) hadolint Dockerfile
	$(RUN) actionlint

compile: env  ## Kubeflow pipelines to build/kfp/<pipeline>.yaml (IMAGE=ref for the tasks' image, PIPELINE_ROOT=uri for their artifacts)
	$(RUN) model-factory compile $(if $(IMAGE),--image $(IMAGE)) $(if $(PIPELINE_ROOT),--pipeline-root $(PIPELINE_ROOT))

# Both images, built from the Dockerfile with buildah (no Docker daemon; as root on Debian it
# installs buildah itself). TARGETS picks some (runtime, serve); BASE_IMAGE=ref another base.
TARGETS ?= runtime serve
image:  ## (~3 min, then cached layers) build the images with buildah: localhost/model-factory:dev (runtime), localhost/model-factory-serve:dev (serve)
	BASE_IMAGE=$(BASE_IMAGE) infra/image/build.sh $(TARGETS)

image-check: image env  ## run the CLI, a compiled KFP task, a taxi detection and the service inside the built images
	MODEL_FACTORY_IMAGE_CHECK=1 $(RUN) pytest -m image -p no:cacheprovider -rA tests/infra/test_image_run.py

format: env
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

$(CHECKOV): | $(UV)
	$(UV) venv --quiet --python 3.11 $(TOOLS)/checkov
	$(UV) pip install --quiet --python $(TOOLS)/checkov/bin/python checkov==$(CHECKOV_VERSION)

# Tests render the HTML reports in Debian's headless chromium; apt-get needs root.
browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
	  { echo "chromium not found: install Debian's chromium package (tests render reports in it)"; exit 1; }

checkov: $(CHECKOV)  ## install checkov into .tools/checkov

check-terraform: $(CHECKOV)  ## terraform fmt, terraform test of provider-free modules, checkov (offline)
	terraform fmt -check -recursive infra/terraform
	@set -e; for dir in infra/terraform/modules/*/; do \
	  if ls $$dir/tests/*.tftest.hcl >/dev/null 2>&1; then \
	    data=$$(mktemp -d); \
	    echo "terraform test $$dir"; \
	    TF_DATA_DIR=$$data terraform -chdir=$$dir init -backend=false -input=false >/dev/null; \
	    TF_DATA_DIR=$$data terraform -chdir=$$dir test; \
	    rm -rf $$data; \
	  fi; \
	done
	$(CHECKOV) -d infra/terraform --framework terraform --skip-download --compact --quiet

clean:  ## remove environments and outputs
	rm -rf $(VENV) $(TOOLS) outputs build .zen
