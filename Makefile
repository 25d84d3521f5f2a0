# The two commands of the README: `make run` (portal on the embedded default) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test install install-test lint format messages fullstack-native

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"

## Run the portal at http://127.0.0.1:8000 on SQLite with tasks in-process and the demo data.
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver 127.0.0.1:8000

## Install what the tests need (Python packages, Chromium), lint, then run the whole suite.
test: install-test
	bash scripts/test.sh

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports

format:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Regenerate and compile the French translation catalogue.
messages:
	$(BIN)/python manage.py makemessages -l fr --no-obsolete --ignore=.venv --ignore=tests --ignore=bench
	$(BIN)/python manage.py compilemessages -l fr --ignore=.venv
