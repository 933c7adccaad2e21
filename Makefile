# PartnerHub: `make run` serves the demo on http://127.0.0.1:8000, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never

TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/partnerhub
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
PYTEST_WORKERS ?= 2

.PHONY: install run test lint bench worker beat screenshots

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml uv.lock
	$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv \
		|| $(PYTHON) -m pip install --quiet --user --break-system-packages uv
	$(PYTHON) -m uv sync --frozen --python $(PYTHON)
	touch $@

# Embedded defaults: SQLite, Celery tasks in-process, e-mail on the console.
run: export DEBUG ?= 1
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py runserver 127.0.0.1:8000

test: install
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
		$(BIN)/pytest -n $(PYTEST_WORKERS) --create-db $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	git ls-files -z '*.py' | xargs -0 $(BIN)/django-upgrade --target-version 5.2
	$(BIN)/mypy
	DEBUG=1 DATABASE_URL=sqlite://:memory: $(BIN)/python manage.py makemigrations --check --dry-run
	DEBUG=1 DATABASE_URL=sqlite://:memory: $(BIN)/python manage.py spectacular --validate --fail-on-warn --file /dev/null

worker: install
	$(BIN)/celery -A partnerhub worker -l info --concurrency 2

beat: install
	$(BIN)/celery -A partnerhub beat -l info

screenshots: install
	$(BIN)/python scripts/screenshots.py

bench: install
	cd bench && ../$(BIN)/python import_metrics.py
	cd bench && ../$(BIN)/python recalculate.py --partners 20000
	cd bench && ../$(BIN)/python recalculate.py --partners 50000
	cd bench && ../$(BIN)/python split_run.py --partners 200000
	cd bench && ../$(BIN)/python memory.py
	cd bench && ../$(BIN)/python accrue.py
	cd bench && ../$(BIN)/python api_metrics.py
	cd bench && ../$(BIN)/python partner_list.py
	cd bench && ../$(BIN)/python page_load.py
