# The two commands of the README: `make demo` runs the platform, `make test` runs the tests.
# Each installs what it needs (venv, Python packages, bubblewrap, configurable-http-proxy).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: demo test test-compose install system-deps clean

demo: install system-deps
	$(VENV)/bin/arena demo

test: install system-deps
	@if $(PY) -c "import socket; socket.create_connection(('127.0.0.1', 5432), 1)" 2>/dev/null; then \
		echo "PostgreSQL answers on 127.0.0.1:5432: database tests run on SQLite and PostgreSQL"; \
		export ARENA_TEST_POSTGRES_URL="$${ARENA_TEST_POSTGRES_URL:-$(PG_URL)}"; \
	else echo "PostgreSQL not reachable: database tests run on SQLite only"; fi; \
	$(PY) -m pytest $(PYTEST_ARGS)

# The production path on a real Docker engine (README "Deploying"): not part of `make test`, whose
# CI budget the image builds would overrun. Starts the engine if none answers (and stops it after),
# builds local stand-in bases when no registry answers, the three images, then drives the stack.
test-compose: install
	@set -e; start=$$(date +%s); bash deploy/engine.sh start; bash deploy/engine.sh versions; \
	trap 'bash deploy/engine.sh stop' EXIT; \
	if [ -z "$$PYTHON_BASE" ]; then bash deploy/local-bases.sh; fi; \
	bash deploy/build-images.sh; \
	$(PY) -m pytest -m compose -s -p no:cacheprovider tests/deploy/test_compose_e2e.py $(PYTEST_ARGS); \
	echo "== make test-compose: $$(( $$(date +%s) - start )) s"

install: $(STAMP)

# torch's CPU wheel goes in first, so that sdv does not pull the CUDA build.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e ".[test]"
	rm -f $(VENV)/.installed-* && touch $@

system-deps:
	@missing=""; for tool in bwrap:bubblewrap nft:nftables ip:iproute2 setpriv:util-linux prlimit:util-linux npm:npm chromium:chromium; do \
		command -v $${tool%%:*} >/dev/null || missing="$$missing $${tool##*:}"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
		else echo "please install:$$missing (sudo apt-get install$$missing)"; exit 1; fi; fi
	@command -v configurable-http-proxy >/dev/null || npm install --global --silent configurable-http-proxy

clean:
	rm -rf $(VENV) var
