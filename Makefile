# Two entry points: `make demo` and `make test`. Both work on a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test check lint venv clean bench bench-batch node-deps web-deps soak

# The Node.js host example (examples/node) is tested by `make test` (scripts/install-system-deps.sh installs
# node and npm when missing); npm ci runs here, never in a test.
NODE_EXAMPLE := examples/node
NODE_STAMP := $(NODE_EXAMPLE)/node_modules/.package-lock.json

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# CPU build of torch from the pinned version first; the package's own range (torch>=2.4) then installs nothing more.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[export,server,dev]'
	touch $(STAMP)

venv: $(STAMP)

$(NODE_STAMP): $(NODE_EXAMPLE)/package.json $(NODE_EXAMPLE)/package-lock.json
	cd $(NODE_EXAMPLE) && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund

# The browser build (web/): onnxruntime-web from the committed lockfile (web-export copies its WASM files).
WEB_STAMP := web/node_modules/.package-lock.json
$(WEB_STAMP): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --prefer-offline

web-deps: $(WEB_STAMP)

node-deps: $(NODE_STAMP) $(WEB_STAMP)

demo: $(STAMP)
	$(PY) -m yourtts_onnx demo --workdir build/demo

test: $(STAMP)
	bash scripts/install-system-deps.sh
	$(MAKE) node-deps
	$(PY) -m ruff check src tests
	$(PY) -m ruff format --check src tests
	$(PY) -m pytest -q $(PYTEST_ARGS)
	# each deliberate bug (wrong clip, one clip for the mean, a perturbed flow weight, a dropped sentence,
	# zero INT8 calibration) must fail a targeted test, run on a temporary copy of the repository; no
	# baseline run: the suite above has just passed those tests unmutated
	$(PY) scripts/mutation_check.py --no-baseline

# the fast lane: lint and the tests that need no browser, Node, Ray, reference export (torch) or long run
FAST := not (browser or node or ray or export or slow)
check: $(STAMP)
	$(PY) -m ruff check src tests
	$(PY) -m ruff format --check src tests
	$(PY) -m pytest -q -m "$(FAST)" $(PYTEST_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check src tests
	$(PY) -m ruff format --check src tests

# Bytecode compiled first, as a wheel install has it (pip compiles on install; an editable install does not,
# and PYTHONDONTWRITEBYTECODE machines never cache it), so that CLI start-up is measured as users get it.
bench: $(STAMP)
	$(PY) -m compileall -q src
	$(PY) -m yourtts_onnx bench --out benchmarks/results

# batch on Ray (1 and 2 workers) next to a plain loop, with the full-size INT8 bundle; results in benchmarks/batch
bench-batch: $(STAMP)
	$(PY) -m yourtts_onnx.batch.bench --work build/bench --out benchmarks/batch

# the HTTP service and the Wyoming server driven together (loopback only; not part of `make test`): RSS over
# time, errors and latency percentiles into benchmarks/soak; SOAK_ARGS="--minutes 5 --bundle B" to change it
soak: $(STAMP)
	$(PY) scripts/soak.py $(SOAK_ARGS)

clean:
	rm -rf build $(VENV) $(NODE_EXAMPLE)/node_modules web/node_modules
