# Alliance: `make run` (portal with demo data) and `make test` (the suite) do all set-up.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
HOST ?= 0.0.0.0
PORT ?= 8000

.PHONY: install run test reliability lint typecheck format check-deploy bench worker beat clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

run: install  ## the portal with demo data at http://demo.localhost:$(PORT)/ (PORT=8000 by default)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --port $(PORT)
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install  ## the whole suite (browser tests need Debian's chromium; .ci/run installs it)
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

reliability: install  ## load and fault tests: gunicorn + wrk, Celery on Redis, a PostgreSQL restart
	ALLIANCE_RELIABILITY=1 EMBEDDED_PGDATA=$(CURDIR)/var/postgres-reliability \
	$(BIN)/pytest -p no:xdist -s -q tests/reliability $(PYTEST_ARGS)

lint: install  ## ruff, ruff-format, django-upgrade, djLint (.pre-commit-config.yaml; offline)
	$(BIN)/pre-commit run --all-files --show-diff-on-failure

typecheck: install  ## mypy with django-stubs and the DRF stubs ([tool.mypy] in pyproject.toml)
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check-deploy: install
	DJANGO_SETTINGS_MODULE=config.settings.production \
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/1} \
	DJANGO_SECRET_KEY=$${DJANGO_SECRET_KEY:-$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')} \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

worker: install  ## a Celery worker (needs CELERY_BROKER_URL, e.g. redis://127.0.0.1:6379/0)
	$(BIN)/celery -A config worker --loglevel=INFO

beat: install  ## the nightly schedule
	$(BIN)/celery -A config beat --loglevel=INFO

BENCH_ARGS ?=
bench: install  ## every benchmark; writes bench/README.md (BENCH_ARGS="--scale 0.01" for a quick pass)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var/staticfiles test-artifacts
