# Jalon — two commands: `make run` and `make test`.
PYTHON ?= python3.11
VENV   ?= .venv
BIN     = $(VENV)/bin
PY      = $(BIN)/python
STAMP   = $(VENV)/.installed

export DEBUG ?= 1

.PHONY: run test install migrate demo sweep clean bench check

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py demo

## Embedded default: SQLite, tasks inline, the due-work sweep beside the web server.
run: demo
	@echo "Jalon : http://127.0.0.1:8000  (identifiants de démonstration dans le README)"
	@trap 'kill 0' INT TERM EXIT; \
	$(PY) manage.py run_due --loop & \
	$(PY) manage.py runserver 127.0.0.1:8000

## The whole suite (browser tests included). DATABASE_URL / REDIS_URL select real services.
test: install
	$(PY) -m pytest $(PYTEST_ARGS)

check: install
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

## Benchmarks (not part of `make test`); see bench/README.md for the figures and options.
bench: install
	@for script in bench/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles
