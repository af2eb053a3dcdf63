# Two commands do all the set-up (see README): `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
XIAKE := $(PY) -m xiake
HOST ?= 127.0.0.1
PORT ?= 8000
# gunicorn: 2 × cores + 1 sync workers (one request at a time per process). Keep-alive
# connections stay with the gthread worker that accepted them, so with 3 × 2 one worker queued
# while another idled; a sync worker takes a connection only when it is free (docs/deploy.md).
WORKERS ?= $(shell echo $$(( $$(nproc) * 2 + 1 )))
THREADS ?= 1
PG_URL ?= postgres://postgres@127.0.0.1:5432/xiake
RUN_APT := fonts-noto-cjk gettext
TEST_APT := $(RUN_APT) chromium postgresql
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test install install-test system-packages assets messages migrate demo serve \
        lint test-sqlite test-postgres test-slow test-fuzz-api bench wheelhouse clean

# gunicorn serves the pages; scripts/serve.py starts `xiake task_worker` beside it for the
# background tasks (compilations, pushes, e-mails) and stops both together.
# The demo runs without FIELD_ENCRYPTION_KEYS: a key pair is generated into var/ (production sets
# the keys in the environment; `migrate` refuses to run without them otherwise).
run: export FIELD_ENCRYPTION_DEV_KEY ?= 1
# each gunicorn worker keeps its SQLite connection (a new one costs ~4 ms of CPU per request;
# docs/deploy.md, benchmarks/README.md "Matching engine")
run: export SQLITE_CONN_MAX_AGE ?= 60
run: install assets messages migrate
	@$(XIAKE) collectstatic --noinput -v0
	@$(XIAKE) demo --if-empty --url http://$(HOST):$(PORT)/
	$(PY) scripts/serve.py -- $(VENV)/bin/gunicorn xiake.wsgi:application --bind $(HOST):$(PORT) \
		--workers $(WORKERS) --threads $(THREADS) --timeout 120 --access-logfile - \
		--forwarded-allow-ips 127.0.0.1

test: install-test assets messages lint test-sqlite test-postgres

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)

install: $(VENV)/bin/activate
	@$(MAKE) -s system-packages PACKAGES="$(RUN_APT)"
	$(PIP) install -q -e .

install-test: $(VENV)/bin/activate
	@$(MAKE) -s system-packages PACKAGES="$(TEST_APT)"
	$(PIP) install -q -e '.[test]'

# Debian packages: CJK fonts for PDFs, gettext for translations, Chromium for the browser tests.
system-packages:
	@missing=""; for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

assets: node_modules/.package-lock.json
	$(PY) scripts/build_assets.py

messages:
	@$(XIAKE) compilemessages -v0 --ignore '.venv/*' --ignore 'node_modules/*'

migrate:
	$(XIAKE) migrate --noinput -v0

demo:
	$(XIAKE) demo --if-empty --url http://$(HOST):$(PORT)/

lint:
	$(VENV)/bin/ruff check xiake tests benchmarks
	$(VENV)/bin/ruff format --check xiake tests benchmarks
	XIAKE_VAR_DIR=$$(mktemp -d) $(XIAKE) makemigrations --check --dry-run -v1

test-sqlite:
	$(VENV)/bin/pytest -p no:cacheprovider $(PYTEST_ARGS)

test-postgres:
	DATABASE_URL=$(PG_URL) $(VENV)/bin/pytest -p no:cacheprovider $(PYTEST_ARGS)

# Fault and fuzz tests (docs/operations.md "Fault and fuzz tests"): processes killed half-way,
# a private PostgreSQL restarted under load, a full disk, hypothesis, and schemathesis on every API
# operation as four identities (3 generated cases each + 1 on an existing record). All of them on
# SQLite; the process-kill tests once more on PostgreSQL. `.ci/run` runs this after `make test`.
test-slow: install-test assets messages
	$(VENV)/bin/pytest -p no:cacheprovider --slow $(PYTEST_ARGS)
	DATABASE_URL=$(PG_URL) $(VENV)/bin/pytest -p no:cacheprovider --slow tests/ops/test_faults.py $(PYTEST_ARGS)

# The thorough schemathesis run (not in CI): 25 generated cases per operation + 5 on a record.
test-fuzz-api: install-test assets messages
	$(VENV)/bin/pytest -p no:cacheprovider --slow --api-fuzz tests/fuzz/test_api_schema.py $(PYTEST_ARGS)

bench:
	$(PY) -m benchmarks.run $(BENCH_ARGS)

# Offline bundle for an air-gapped installation (docs/deploy.md): every wheel in dist/wheelhouse.
wheelhouse: install assets messages
	PYTHON=$(PY) scripts/wheelhouse.sh $(WHEELHOUSE_ARGS) dist/wheelhouse

clean:
	rm -rf $(VENV) node_modules xiake/static/vendor var/staticfiles
