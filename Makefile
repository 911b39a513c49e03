# The README's commands. `make run` serves the demo; `make test` runs every test. Both install what
# they need first.
VENV ?= .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
LOCALES := cy ar
PYBABEL := $(BIN)/pybabel

.PHONY: install run test lint i18n i18n-compile assets chromium audit bench clean

install: $(VENV)/.installed node_modules/.installed assets i18n-compile

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund
	touch $@

# Front-end code comes from npm and is copied here; static/vendor/ is never committed.
assets: node_modules/.installed
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
	cp node_modules/htmx-ext-sse/dist/sse.min.js static/vendor/htmx-ext-sse.min.js
	cp node_modules/rrweb/dist/rrweb.umd.min.cjs static/vendor/rrweb.min.js
	cp node_modules/rrweb/dist/rrweb.umd.min.cjs.map static/vendor/rrweb.umd.min.cjs.map

i18n-compile: $(VENV)/.installed
	$(PYBABEL) compile -d i18n -D messages

# Extract every string, update the Welsh and Arabic catalogues, compile them.
i18n: $(VENV)/.installed
	$(PYBABEL) extract -F i18n/babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		--omit-header -o i18n/messages.pot .
	for locale in $(LOCALES); do \
		$(PYBABEL) update -i i18n/messages.pot -d i18n -D messages -l $$locale --no-fuzzy-matching --ignore-obsolete; \
	done
	$(MAKE) i18n-compile

chromium:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		$(SUDO) apt-get install -y -qq chromium fonts-noto-core; }

run: install
	$(BIN)/portal demo

# Python with ruff; our own JavaScript (static/, not static/vendor/) parsed by node, then eslint.
lint: install
	$(BIN)/ruff check portal tests e2e accessibility bench
	$(BIN)/mypy
	for f in static/sw.js static/js/*.js; do node --check "$$f" || exit 1; done
	node_modules/.bin/eslint static

# Four workers on two cores: browser tests spend much of their time waiting for pages, so more
# workers than cores keeps both busy; work stealing evens out the long journeys at the end. Each worker
# has its own databases and live demo server. Test databases are real SQLite files, kept in memory
# (/dev/shm) where there is one, so waiting for the disk does not slow every commit.
TEST_WORKERS ?= 4

test: install chromium lint
	@base=$$(mktemp -d /dev/shm/portal-tests.XXXXXX 2>/dev/null || mktemp -d); \
	TMPDIR=$$base $(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal --basetemp=$$base/pytest; \
	status=$$?; rm -rf $$base; exit $$status

# Run the accessibility audit against a running portal (make run in another terminal).
audit: install chromium
	$(BIN)/python -m accessibility.audit --base-url http://localhost:8000

bench: install
	$(BIN)/python -m bench.pages
	$(BIN)/python -m bench.fanout
	$(BIN)/python -m bench.live_updates
	$(BIN)/python -m bench.code_timing

clean:
	rm -rf $(VENV) node_modules static/vendor i18n/*/LC_MESSAGES/*.mo demo.db*
