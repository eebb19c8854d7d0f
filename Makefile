# Two entry points for people (demo, test), plus bench and lint for developers.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench fidelity lint clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m bench.cli demo

# Three pytest-xdist workers: most of the suite's wall time is waiting on subprocesses, sockets
# and paced simulators, so three workers beat two on a 2-core machine (docs/ci.md).
# Bytecode caches on even where the environment turns them off (PYTHONDONTWRITEBYTECODE=1, as on
# the machines this project is developed on): without them every worker rewrites and compiles
# the ~500 test modules again (about 12 s of CPU each), and every command, watchdog and
# simulator the suite starts compiles the project's modules again.
test: $(STAMP)
	env -u PYTHONDONTWRITEBYTECODE $(PY) -m pytest -q -n 3

bench: $(STAMP)
	$(PY) -m benchmarks

# The simulated cell against the committed DFN curves (simulators/reference): a table per chemistry,
# exit 1 on a missed target. PyBaMM is only needed to regenerate the curves (extra "fidelity").
fidelity: $(STAMP)
	$(PY) -m simulators.reference.compare

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) build *.egg-info
