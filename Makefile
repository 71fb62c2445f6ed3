# The two commands: `make run` (portal with demo data) and `make test` (the whole suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
VENDOR := portal/static/vendor
NHSUK  := node_modules/nhsuk-frontend/dist/nhsuk
SWAGGER := node_modules/swagger-ui-dist

.DEFAULT_GOAL := install
.PHONY: install run test lint lock clean bench fuzz load corpus

install: $(VENV)/.installed $(VENDOR)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed: make PYTHON=python3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

# NHS.UK frontend and Swagger UI (the API explorer at /schema) from npm (Node 20+), copied
# next to our own static files.
# The stylesheet loses its @font-face rules: the NHS font (Frutiger) is licensed to the NHS and
# served only from its CDN, which our Content-Security-Policy does not allow, so browsers
# would log a blocked request for each weight on every page. Arial, the design system's own
# fallback, is used instead.
$(VENDOR)/.installed: package.json package-lock.json Makefile
	@command -v npm >/dev/null || { echo "npm (Node 20+) is needed for the NHS.UK frontend assets"; exit 1; }
	npm ci --silent --no-audit --no-fund
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/nhsuk
	sed -E 's/@font-face\{[^}]*\}//g' $(NHSUK)/nhsuk-frontend.min.css > $(VENDOR)/nhsuk/nhsuk-frontend.min.css
	@! grep -q 'assets.nhs.uk/fonts' $(VENDOR)/nhsuk/nhsuk-frontend.min.css || { echo "font rules left in the stylesheet"; exit 1; }
	cp $(NHSUK)/nhsuk-frontend.min.js $(VENDOR)/nhsuk/
	cp -r $(NHSUK)/assets $(VENDOR)/nhsuk/assets
	mkdir -p $(VENDOR)/swagger
	cp $(SWAGGER)/swagger-ui-bundle.js $(SWAGGER)/swagger-ui-standalone-preset.js $(SWAGGER)/swagger-ui.css $(VENDOR)/swagger/
	@touch $@

run: install
	$(BIN)/portal migrate
	$(BIN)/portal demo
	$(BIN)/portal serve

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

# Record the versions this environment was tested with (commit the result).
lock: install
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^-e ' > constraints.txt

clean:
	rm -rf $(VENV) var .pytest_cache

# Figures for the issue (not part of make test). PORTAL_BENCH_DATABASE_URL=postgresql://… for PostgreSQL.
bench: install
	$(BIN)/python benchmarks/bench.py

# Clause recognition measured on labelled contracts: the shared real corpus and our own.
corpus: install
	$(BIN)/portal contracts evaluate tests/fixtures/contracts/shared
	$(BIN)/python -m tests.contract_corpus

# Longer fuzzing of the documented API with schemathesis (make test runs a bounded pass).
fuzz: install
	PORTAL_FUZZ_EXAMPLES=200 PORTAL_FUZZ_RANDOM=1 $(BIN)/pytest -s tests/fuzz

# 50 suppliers answering and uploading at once for 60 s against PostgreSQL; checks every
# acknowledged write afterwards (PORTAL_LOAD_DATABASE_URL to choose the server).
load: install
	$(BIN)/python benchmarks/load.py
