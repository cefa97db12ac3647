# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1:8000
PYTEST_ARGS ?=

.PHONY: run serve test lint messages migrate demo clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# Compiled message catalogues are produced here, never committed.
messages: $(STAMP)
	$(PY) manage.py compilemessages --ignore '.venv/*' -v 0

migrate: messages
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py demo

# The task worker (mail, long exports) runs beside the development server and stops with it.
run: demo
	@$(PY) manage.py db_worker --queue-name '*' & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST)

# Production shape on PostgreSQL (DATABASE_URL): gunicorn, the worker and the schedule.
serve: messages
	deploy/serve

test: messages
	$(PY) manage.py makemigrations --check --dry-run -v 0
	$(PY) -m pytest -q -n auto $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) var staticfiles
