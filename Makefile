# Two entry points for a newcomer on Debian/Ubuntu: `make up` and `make test`.
# Both install what they need first: `up` the Python venv and Prometheus from the OS packages,
# `test` also the npm test tools.

VENV   ?= .venv
PY     := $(VENV)/bin/python
AA     := $(VENV)/bin/agent-analytics
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT    := $(if $(SUDO),$(SUDO) )apt-get

.PHONY: install setup up test wheel lint bench python-venv prometheus node-tools clean

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

node-tools:
	@if [ -f tests/logql/package.json ]; then cd tests/logql && npm ci --no-audit --no-fund --silent; fi

install: $(VENV)/.installed prometheus

setup: install node-tools

up: install
	$(AA) up

test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pytest

# The installable product (rules, dashboards and configs inside): `pipx install dist/*.whl`.
wheel: $(VENV)/.installed
	$(VENV)/bin/pip wheel -q --no-deps --no-build-isolation -w dist .
	rm -rf build

bench: setup
	$(PY) tests/bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
