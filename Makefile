# regwatch: `make demo` runs the main job on embedded defaults; `make test` runs the suite.
# Both install what they need (make setup) and can be run again at any time.

PY     ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt constraints.txt pyproject.toml | sha1sum | cut -c1-12)

.PHONY: setup lint test demo up down bench scaleout es-start es-stop clean-data

setup: $(STAMP)
	@bash infra/prerequisites.sh
	@$(BIN)/python -c "from infra.local_es import distribution; print('Elasticsearch distribution:', distribution())"

$(STAMP):
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt -c constraints.txt
	$(BIN)/python -m pip install -q --no-deps -e . >$(VENV)/editable-install.log 2>&1 || (cat $(VENV)/editable-install.log; exit 1)
	@rm -f $(VENV)/.installed-* && touch $@

# ruff on the whole tree; mypy (strict) on the packages that [tool.mypy] lists in pyproject.toml.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

# `make test` runs the suite, then again (all but the Airflow and `realclock` tests) with the clock 400 days ahead,
# so that no test leans on today's date. Not FAKETIME_DONT_FAKE_MONOTONIC: with it libfaketime
# 0.9.10 breaks Python 3.11's time.sleep (EINVAL); without it a timed lock wait that expires
# never returns, hence the overall timeout.
test: setup lint
	$(BIN)/python -m pytest
	PYTHONDONTWRITEBYTECODE=1 timeout 1800 faketime -f '+400d' $(BIN)/python -m pytest -m "not airflow and not realclock" -p no:cacheprovider -q

demo: setup
	@$(BIN)/python -m infra.demo demo

up: setup
	@$(BIN)/python -m infra.demo up $(if $(LIVE),--live)

down:
	@$(BIN)/python -m infra.demo down

bench: setup
	$(BIN)/python -m bench.run

scaleout: setup
	bash infra/scaleout/run.sh

es-start: setup
	$(BIN)/regwatch es start

es-stop:
	$(BIN)/regwatch es stop

clean-data:
	-@$(BIN)/python -c "from infra import local_es as l; n = l.Node(); l.stop(n); l.wipe(n)"
	rm -rf .data
