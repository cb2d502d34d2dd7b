# Two entry points for a newcomer on Debian/Ubuntu: `make up` and `make test`.
# Both install what they need first (Python venv, Prometheus from the OS packages, npm test tools).

VENV   ?= .venv
PY     := $(VENV)/bin/python
AA     := $(VENV)/bin/agent-analytics
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup up test lint bench prometheus node-tools otelcol clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $@

prometheus:
	@command -v prometheus >/dev/null && command -v promtool >/dev/null || \
	  ( $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq prometheus )

node-tools:
	@if [ -f tests/logql/package.json ]; then cd tests/logql && npm ci --no-audit --no-fund --silent; fi

setup: $(VENV)/.installed prometheus node-tools

# The OpenTelemetry Collector of compose.yaml, built with Go from collector/builder-config.yaml
# into the user cache (minutes the first time; instant once built, also for a fresh clone).
otelcol: $(VENV)/.installed
	@$(PY) -m tests.support.otelcol

up: setup
	$(AA) up

test: setup otelcol
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest

bench: setup
	$(PY) tests/bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
