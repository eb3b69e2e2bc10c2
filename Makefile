# Hymy's front door.  `make demo` runs the product, `make test` runs everything.
# Both create .venv and install what they need; `make test` also installs the
# Debian packages the real-component tests use (Xvfb, Chromium, PostgreSQL)
# when it runs as root and they are missing.

VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

.PHONY: demo test reliability mutation lint bench screenshots system-deps venv clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[kiosk,collector,dev]"
	touch $@

system-deps:
	bash .ci/system-deps

demo: venv
	$(PY) -m kiosk.demo

test: system-deps venv
	$(VENV)/bin/ruff check kiosk sync tests docs
	$(VENV)/bin/pytest -q -p no:cacheprovider

# The reliability and security suite at full size (docs/reliability.md): about
# 20 minutes; `make test` runs the same scenarios bounded to a few minutes.
reliability: system-deps venv
	HYMY_RELIABILITY=full HYMY_RELIABILITY_FIGURES=reliability-figures.json \
		$(VENV)/bin/pytest -q -p no:cacheprovider -m reliability tests/
	$(PY) -m tests.reliability.report reliability-figures.json

# Mutation testing (docs/reliability.md): mutmut over each module listed in
# tests/mutation/modules.toml, one at a time, with the tests listed for it; a
# table of scores, and a failure when a module kills under 90%.  One or some:
# `make mutation MODULES="sync/metrics.py kiosk/store.py"`.
MUTATION_JOBS ?= 2
mutation: venv
	nice -n 10 $(PY) -m tests.mutation.run --jobs $(MUTATION_JOBS) $(MODULES)

bench: system-deps venv
	$(PY) tests/bench/run.py

screenshots: system-deps venv
	xvfb-run -a -s "-screen 0 1920x1080x24" $(PY) -m tools.kiosk_screenshots docs/screenshots
	$(PY) -m tools.dashboard_screenshots docs/screenshots

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache data build/mutation mutants
