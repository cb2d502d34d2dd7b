# Two entry points for a newcomer on Debian/Ubuntu: `make up` and `make test`.
# Both install what they need first: `up` the Python venv, Prometheus and Alertmanager from the OS
# packages, `test` also the npm test tools.

VENV   ?= .venv
PY     := $(VENV)/bin/python
AA     := $(VENV)/bin/agent-analytics
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT    := $(if $(SUDO),$(SUDO) )apt-get

# The current releases of the agent CLIs, outside the checkout (tests/real_clients/clients.py reads it).
CLIENTS_DIR ?= $(HOME)/.cache/agent-analytics/real-clients
TEST_WORKERS ?= $(shell echo $$(( 2 * $$(nproc) )))
CLIENT_PACKAGES := @anthropic-ai/claude-code @google/gemini-cli @openai/codex @github/copilot

.PHONY: install setup up test wheel lint bench python-venv prometheus alertmanager node-tools otelcol thanos clean real-clients real-clients-install

python-venv:
	@python3 -c 'import ensurepip, venv' 2>/dev/null || \
	  { echo "python3-venv is missing: install it with \`$(APT) install python3-venv\`, then run make again" >&2; exit 1; }

$(VENV)/.installed: pyproject.toml | python-venv
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $@

prometheus:
	@command -v prometheus >/dev/null && command -v promtool >/dev/null || \
	  ( $(APT) update -qq && DEBIAN_FRONTEND=noninteractive $(APT) install -y -qq prometheus )

# Debian names the server prometheus-alertmanager; amtool comes with it
alertmanager:
	@{ command -v alertmanager || command -v prometheus-alertmanager; } >/dev/null && command -v amtool >/dev/null || \
	  ( $(APT) update -qq && DEBIAN_FRONTEND=noninteractive $(APT) install -y -qq prometheus-alertmanager )

node-tools:
	@if [ -f tests/logql/package.json ]; then cd tests/logql && npm ci --no-audit --no-fund --silent; fi

install: $(VENV)/.installed prometheus alertmanager

setup: install node-tools

# The OpenTelemetry Collector of compose.yaml, built with Go from collector/builder-config.yaml
# into the user cache (minutes the first time; instant once built, also for a fresh clone).
otelcol: $(VENV)/.installed
	@$(PY) -m tests.support.otelcol

# Thanos (the large-organisation layout of docs/scaling-thanos.md), built with Go from its published
# module (thanos/go.mod) into the user cache: many minutes the first time, at low priority.
thanos: $(VENV)/.installed
	@nice $(PY) -m tests.support.thanos

up: install
	$(AA) up

test: setup otelcol thanos real-clients-install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	# two workers per core, a test file (or class) each: most of the suite's time is spent waiting on
	# real servers (scrapes, rule evaluations, restarts), which another worker's test can use
	AGENT_ANALYTICS_CLIENTS_DIR=$(CLIENTS_DIR) $(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadscope

# npm's @latest of each CLI (a release that changes its telemetry fails the checks, not a dashboard)
real-clients-install:
	@mkdir -p $(CLIENTS_DIR)
	npm install --prefix $(CLIENTS_DIR) --no-audit --no-fund --no-package-lock --silent \
	  $(addsuffix @latest,$(CLIENT_PACKAGES))
	@for p in $(CLIENT_PACKAGES); do \
	  echo "$$p $$(node -p "require('$(CLIENTS_DIR)/node_modules/$$p/package.json').version")"; done

real-clients: setup real-clients-install
	AGENT_ANALYTICS_CLIENTS_DIR=$(CLIENTS_DIR) $(VENV)/bin/pytest tests/real_clients -v -o junit_logging=all

# The installable product (rules, dashboards and configs inside): `pipx install dist/*.whl`.
wheel: $(VENV)/.installed
	$(VENV)/bin/pip wheel -q --no-deps --no-build-isolation -w dist .
	rm -rf build

bench: setup thanos
	$(PY) tests/bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
