# Two commands on a fresh machine: `make run` and `make test`. Both set up first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 5000

.PHONY: setup run test translations bench clean

setup: $(VENV)/.installed node_modules/.installed translations

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

# Front-end packages from the npm registry, served locally: the venue may have no internet.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# .po files are committed; the .mo files the server reads are built here.
translations: $(VENV)/.installed
	@if ls translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then \
		$(VENV)/bin/pybabel -q compile -d translations; fi

run: setup
	$(PY) run.py serve --demo --port $(PORT)

test: setup
	$(PY) -m pytest

bench: setup
	$(PY) bench/bench_latency.py

clean:
	rm -rf $(VENV) node_modules data tests/artifacts
