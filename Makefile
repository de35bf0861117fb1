# The interface of the project: CI and the README call only these targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
CHECKOV_VENV := .venv-checkov
DEPLOY_VENV := .venv-deploy
PIP_TOOLS_VENV := .venv-piptools
PIP_TOOLS_VERSION := 7.5.2
TOOLS := .tools
ACTIONLINT_VERSION := v1.7.12
CHECKOV_VERSION := 3.3.30
STAMP := $(VENV)/.installed
LOCAL_STAMP := $(VENV)/.installed-local
PORT ?= 8080

.PHONY: help setup setup-local setup-checkov setup-deploy lock-deploy setup-actionlint lint lint-py \
        lint-workflows fmt test test-unit test-integration check-generated check-infra render demo demo-keep \
        serve bench package clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# make demo needs only the local platform's extra; everything else installs the dev extra (a superset).
$(LOCAL_STAMP): pyproject.toml requirements/constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24,<26"
	$(PY) -m pip install --quiet --disable-pip-version-check -c requirements/constraints.txt -e '.[local]'
	@touch $(LOCAL_STAMP)

$(STAMP): pyproject.toml requirements/constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24,<26"
	$(PY) -m pip install --quiet --disable-pip-version-check -c requirements/constraints.txt -e '.[dev]'
	@touch $(STAMP) $(LOCAL_STAMP)

setup: $(STAMP) ## Create .venv with the pinned dependencies (every extra) and install obsctl into it

setup-local: $(LOCAL_STAMP) ## .venv with obsctl and the local platform only (what make demo needs)

$(CHECKOV_VENV)/.installed: requirements/checkov.txt
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements/checkov.txt
	@touch $@

setup-checkov: $(CHECKOV_VENV)/.installed ## checkov in its own venv (it and python-hcl2 both ship a module named hcl2)

# What runs with AWS credentials in the deploy job (obsctl) is installed only from hashes.
$(DEPLOY_VENV)/.installed: requirements/deploy.txt
	@test -x $(DEPLOY_VENV)/bin/python || $(PYTHON) -m venv $(DEPLOY_VENV)
	$(DEPLOY_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements/deploy.txt
	@touch $@

setup-deploy: $(DEPLOY_VENV)/.installed ## obsctl's runtime dependencies from requirements/deploy.txt, pip --require-hashes (run obsctl as PYTHONPATH=. .venv-deploy/bin/python -m obsctl)

lock-deploy: ## Regenerate requirements/deploy.txt (hashes of every file PyPI has for each pin) with a pinned pip-tools
	@test -x $(PIP_TOOLS_VENV)/bin/pip-compile || $(PYTHON) -m venv $(PIP_TOOLS_VENV)
	$(PIP_TOOLS_VENV)/bin/python -m pip install --quiet --disable-pip-version-check "pip-tools==$(PIP_TOOLS_VERSION)"
	env -u PIP_FIND_LINKS $(PIP_TOOLS_VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
		--no-emit-index-url --no-emit-find-links --constraint requirements/constraints.txt \
		--output-file requirements/deploy.txt pyproject.toml

$(TOOLS)/actionlint:
	GOBIN=$(CURDIR)/$(TOOLS) GOFLAGS=-mod=mod go install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)

setup-actionlint: $(TOOLS)/actionlint ## actionlint, built from the Go module proxy

lint-py: setup ## ruff (lint + format check), mypy, and the import layers (import-linter)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

lint-workflows: setup setup-actionlint ## actionlint and zizmor over .github/workflows
	$(TOOLS)/actionlint
	$(BIN)/zizmor --offline .github/workflows

lint: lint-py lint-workflows check-infra ## Every static check: Python, workflows, Terraform

fmt: setup ## Format Python and Terraform in place
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
	$(PY) -m tools.terraform fmt

check-generated: setup ## Fail when a committed generated file differs from what the code renders
	$(PY) -m tools.generated check

render: setup ## Re-render every generated file (alarms, Grafana rules, dashboards, index templates)
	$(PY) -m tools.generated write

check-infra: setup setup-checkov ## terraform fmt -check, init + validate + plan of both roots (real engine, local emulator), checkov
	$(PY) -m tools.terraform fmt-check
	$(PY) -m tools.terraform_engine check
	$(CHECKOV_VENV)/bin/checkov --quiet --compact --directory infra --config-file infra/.checkov.yaml

test-unit: setup ## Unit tests only
	$(BIN)/pytest tests/unit -q

test-integration: setup ## Integration and end-to-end tests (start a local OpenSearch node and moto)
	$(BIN)/pytest tests/integration tests/e2e -q

test: setup lint-py check-generated check-infra ## ruff, mypy, drift and infra checks, then every test
	$(BIN)/pytest -q

demo: setup-local ## Run the whole platform locally end to end, on what terraform apply of infra/live creates in the emulator; writes build/demo/summary.json
	$(BIN)/obsctl demo

demo-keep: setup-local ## The demo, then keep its API and OpenSearch running until Ctrl-C (for `obsctl logs`)
	$(BIN)/obsctl demo --keep

serve: setup-local ## Serve the API locally on 127.0.0.1 (PORT=8080) behind a SigV4 gateway
	$(BIN)/obsctl serve --port $(PORT)

bench: setup ## Benchmarks: function cold start, shipper throughput and memory
	$(PY) -m bench

package: setup ## Build the Lambda zips reproducibly into build/dist
	$(PY) -m tools.package

clean: ## Remove build output, caches and the virtualenvs
	rm -rf build dist $(VENV) $(CHECKOV_VENV) $(DEPLOY_VENV) $(PIP_TOOLS_VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
