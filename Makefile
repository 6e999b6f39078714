# The README's two commands: `make demo` and `make test`. Both set everything up first (idempotent).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup demo test bench clean chromium firefox postgresql extension

setup: $(STAMP) chromium firefox postgresql node_modules/.installed node_modules/.cmp-fixtures/.built

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

# Node tooling, pinned by the committed package-lock.json: the extension's (web-ext lint, vendored tldts) and the
# real consent managers the fake internet serves to its real-CMP fixture sites (crawler/testing/npm_files.py).
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: install Node.js 20+ (the extension's lint needs it)"; exit 1; }
	npm ci --no-audit --no-fund
	touch $@

# The real-CMP fixture sites' own CMP code (crawler/testing/sites/real_cmps/*.js), bundled with its npm
# libraries as a site would ship it.
node_modules/.cmp-fixtures/.built: node_modules/.installed $(wildcard crawler/testing/sites/real_cmps/*.js)
	npm run --silent build:cmp-fixtures
	touch $@

# System Chromium when none can be found (Playwright cannot download browsers on these machines).
chromium:
	@if [ -n "$$CONSENTWATCH_CHROMIUM" ] || command -v chromium >/dev/null || command -v chromium-browser >/dev/null \
	    || command -v google-chrome >/dev/null; then :; \
	else \
	    echo "installing Debian chromium"; \
	    if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi

# Debian's Firefox ESR when no Firefox can be found (the extension's Firefox tests drive it over WebDriver BiDi).
firefox:
	@if command -v firefox-esr >/dev/null || command -v firefox >/dev/null; then :; \
	else \
	    echo "installing Debian firefox-esr"; \
	    if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq firefox-esr >/dev/null; \
	fi

# The store packages in dist/: Chrome Web Store zip and Firefox package (web-ext build), each linted;
# the version is extension/manifest.json's.
extension: node_modules/.installed
	node extension/tools/package.mjs

# PostgreSQL server binaries when none can be found: the store tests start a throwaway cluster of their own
# (tests/pg_cluster.py), and `--db postgresql://…` needs a server somewhere. Nothing is started here.
postgresql:
	@if command -v pg_ctl >/dev/null || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then :; \
	else \
	    echo "installing Debian postgresql"; \
	    if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql >/dev/null; \
	fi

demo: setup
	$(VENV)/bin/consentwatch demo

test: setup
	$(PY) -m pytest -q -p no:cacheprovider

bench: setup
	$(PY) bench/crawl.py

clean:
	rm -rf $(VENV) build *.egg-info
