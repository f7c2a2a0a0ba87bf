# The two commands: `make run` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV := .venv
ifeq ($(OS),Windows_NT)
BIN := $(VENV)/Scripts
else
BIN := $(VENV)/bin
endif
PY := $(BIN)/python
DATA_DIR ?= .demo
# Debian packages the suite needs: a virtual screen, a CJK font for printing, PDF and QR
# readers to check printed documents, LibreOffice to prove a ledger opens in an office suite,
# PostgreSQL for the township's storage tests (a throwaway server per run), and Chromium for
# the console's browser tests (Playwright drives it; no browser download).
DEBIAN_PACKAGES := xvfb xauth fonts-noto-cjk poppler-utils zbar-tools libreoffice-calc-nogui \
	postgresql chromium

.PHONY: run test system-deps venv bench locale clean dist

run: venv
	$(PY) -m station --data-dir $(DATA_DIR) demo

test: system-deps venv
	$(PY) -m pytest -n auto

bench: system-deps venv
	$(PY) bench/store.py
	$(PY) bench/forms.py
	$(PY) bench/scans.py
	$(PY) bench/ui_start.py
	$(PY) bench/caselist.py
	$(PY) bench/sync.py
	$(PY) bench/township_load.py

# A wheel and the one-folder app (dist/station) for this platform: docs/packaging.md.
dist: venv
	$(PY) -m build --wheel --outdir dist .
	$(BIN)/pyinstaller --noconfirm packaging/station.spec
	$(PY) packaging/release_zip.py dist/station dist

# Re-extract the messages, merge them into the zh_CN catalog and compile it.
locale: venv
	@mkdir -p build
	$(BIN)/pybabel extract -F babel.cfg -k _ -k ngettext:1,2 -k pgettext:1c,2 --no-location \
		--sort-output -o build/station.pot forms station sync
	$(BIN)/pybabel update -i build/station.pot -d assets/locale -D station -l zh_CN \
		--no-fuzzy-matching
	$(BIN)/pybabel compile -d assets/locale -D station -l zh_CN

venv: $(VENV)/.installed

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,postgres,dist]"
	@touch $@

# Installs the missing Debian packages when running on Debian/Ubuntu as root (or with sudo);
# elsewhere it says what it skipped and carries on.
system-deps:
	@if ! command -v apt-get >/dev/null 2>&1; then \
		echo "system-deps: not a Debian/Ubuntu system, skipping $(DEBIAN_PACKAGES)"; \
	else \
		missing=""; \
		for p in $(DEBIAN_PACKAGES); do \
			dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; \
		done; \
		if [ -n "$$missing" ]; then \
			if [ "$$(id -u)" = 0 ]; then SUDO=""; \
			elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; \
			else echo "system-deps: need root to install:$$missing"; exit 1; fi; \
			echo "system-deps: installing$$missing"; \
			$$SUDO apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
		fi; \
	fi

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .hypothesis
