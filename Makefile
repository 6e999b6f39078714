# The README's two commands: `make demo` and `make test`. Both set everything up first (idempotent).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup demo test bench clean chromium chromium-headless-shell

setup: $(STAMP) chromium node_modules/.installed

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

# Node tooling for the extension (web-ext lint, vendored tldts), pinned by the committed package-lock.json.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: install Node.js 20+ (the extension's lint needs it)"; exit 1; }
	npm ci --no-audit --no-fund
	touch $@

# System Chromium when none can be found (Playwright cannot download browsers on these machines), and
# Chromium's headless shell next to it: crawls prefer the shell (about twice the visits per core); the
# extension tests need the full browser (the shell cannot load extensions).
chromium: chromium-headless-shell
	@if [ -n "$$CONSENTWATCH_CHROMIUM" ] || command -v chromium >/dev/null || command -v chromium-browser >/dev/null \
	    || command -v google-chrome >/dev/null; then :; \
	else \
	    echo "installing Debian chromium"; \
	    if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi

chromium-headless-shell:
	@if command -v chromium-headless-shell >/dev/null || [ -x /usr/lib/chromium/chromium-headless-shell ]; then :; \
	else \
	    echo "installing Debian chromium-headless-shell"; \
	    if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium-headless-shell >/dev/null; \
	fi

demo: setup
	$(VENV)/bin/consentwatch demo

test: setup
	$(PY) -m pytest -q -p no:cacheprovider

bench: setup
	$(PY) bench/crawl.py

clean:
	rm -rf $(VENV) build *.egg-info
