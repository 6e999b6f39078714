# The README's two commands: `make demo` and `make test`. Both set everything up first (idempotent).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup system-packages demo test test-fast bench clean chromium chromium-headless-shell firefox postgresql extension

# Python caches compiled modules (and pytest its assertion-rewritten test modules) in __pycache__: where the
# environment forbids it (PYTHONDONTWRITEBYTECODE, set on these machines), every pytest worker rewrites every
# test module (~5 s each on a clean clone) and every `python -m api.cli` the tests start compiles the project
# again. __pycache__ is git-ignored.
unexport PYTHONDONTWRITEBYTECODE

# The Python environment, the npm tooling and the Debian packages are independent: set up side by side (on a clean
# clone npm ci ran 6 s after an 11 s pip install). The Debian packages go one at a time: apt-get holds dpkg's lock.
setup:
	@$(MAKE) --no-print-directory -j3 --output-sync=target $(STAMP) node_modules/.cmp-fixtures/.built system-packages

system-packages: postgresql
postgresql: | firefox
firefox: | chromium

# --no-compile: pip byte-compiles every module of every package it installs (mypy, hypothesis, schemathesis…),
# 5.5 s of a 14 s install on a clean clone; Python compiles the few the project imports on first use, and the
# first test collection took no longer for it (7.4 s against 8.2 s).
$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --no-compile --upgrade pip
	$(PY) -m pip install -q --no-compile -e '.[test]'
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

# Debian packages the project needs, each installed only when missing (as root, or with sudo):
# $(call apt_need,CHECK,PACKAGE) runs CHECK and installs PACKAGE when it fails.
define apt_need
	@if $(1); then :; else \
	    echo "installing Debian $(2)"; \
	    if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(2) >/dev/null; \
	fi
endef

# System Chromium (Playwright cannot download browsers on these machines), and Chromium's headless shell
# next to it: crawls prefer the shell (about twice the visits per core); the extension tests need the full
# browser (the shell cannot load extensions).
chromium: chromium-headless-shell
	$(call apt_need,[ -n "$$CONSENTWATCH_CHROMIUM" ] || command -v chromium >/dev/null || command -v chromium-browser >/dev/null || command -v google-chrome >/dev/null,chromium)

chromium-headless-shell:
	$(call apt_need,command -v chromium-headless-shell >/dev/null || [ -x /usr/lib/chromium/chromium-headless-shell ],chromium-headless-shell)

# Firefox ESR: the extension's Firefox tests drive it over WebDriver BiDi.
firefox:
	$(call apt_need,command -v firefox-esr >/dev/null || command -v firefox >/dev/null,firefox-esr)

# PostgreSQL server binaries: the store tests start a throwaway cluster of their own (tests/pg_cluster.py),
# and `--db postgresql://…` needs a server somewhere. Nothing is started here.
postgresql:
	$(call apt_need,command -v pg_ctl >/dev/null || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1,postgresql)

# The store packages in dist/: Chrome Web Store zip and Firefox package (web-ext build), each linted;
# the version is extension/manifest.json's.
extension: node_modules/.installed
	node extension/tools/package.mjs

demo: setup
	$(VENV)/bin/consentwatch demo

# Files run side by side on pytest-xdist, one worker per core (a file's module fixtures are built once, on
# one worker; tests/conftest.py starts the longest files first). TEST_WORKERS=0 runs in one process.
# Under load this VM stands still for 10-100 s at a time (kernel "workqueue lockup" logs); the wall-clock
# deadline tests subtract what tests/machine_stalls.py measured of it.
TEST_WORKERS ?= 2

test: setup
	$(PY) -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadfile

# The tier that starts no browser and no PostgreSQL and runs no whole-tree tool, in well under a minute:
# layering, data, analyzer (recorded captures), store contract on SQLite, API, extension unit tests.
# Left to `make test`: the marks in FAST_EXCLUDES (README, "Test tiers").
FAST_EXCLUDES := not browser and not postgres and not static and not slow
test-fast: $(STAMP) node_modules/.installed
	$(PY) -m pytest -q -p no:cacheprovider -m "$(FAST_EXCLUDES)" -n $(TEST_WORKERS) --dist loadfile

bench: setup
	$(PY) bench/crawl.py

clean:
	rm -rf $(VENV) build *.egg-info
