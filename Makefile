# The two commands a new user runs first: `make demo` (the main job) and `make test`.
# Everything else they need (venv, Docker engine, base images) is made on the way.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
KIT := $(BIN)/kit
REPORTS := reports
# The measurement notebooks, re-executed by nbval in `make test` (their checked cells hold only
# stable facts) as copies parameterised by tests/notebooks/nbval_copies.py: a store of their own,
# empty when `make test` starts, the local profile, small trials. 00_overview and explore read
# whatever the store holds, so their pages are tested on a store the test makes instead.
NOTEBOOKS := notebooks/01_base_images.ipynb notebooks/02_layers.ipynb notebooks/03_multistage.ipynb \
    notebooks/04_distribution.ipynb notebooks/05_builders.ipynb
ALL_NOTEBOOKS := $(NOTEBOOKS) notebooks/00_overview.ipynb notebooks/explore.ipynb

.PHONY: demo test lint typecheck unit engine-tests notebook-tests bench lab notebooks engine bases clean

$(BIN)/kit: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -U pip
	$(BIN)/pip install -q -e '.[test,lab,dask]'
	touch $@

engine: $(BIN)/kit
	$(KIT) engine up

# --as-official: notes-api's Dockerfiles (notebook 05) say FROM python:3.11-slim, as Dockerfiles
# written against the official images do; offline those names are the embedded bases' tags.
bases: engine
	$(KIT) bases --as-official

# A new run id per `make demo`; `make demo RUN_ID=<id>` resumes that run (finished cells skipped).
# (Simply expanded: the batch and the report must name the same run.)
ifndef RUN_ID
RUN_ID := $(shell date -u +%Y%m%dT%H%M%SZ)-demo
endif

# The default matrix (every bundled notebook, local profile) into runs/$(RUN_ID)/, then the
# report; a failed or partial cell still gets its page, and the exit code says so. Each phase
# (venv, engine, bases, every notebook, the report) is timed: batch.json keeps the breakdown,
# the index page and the last line show it.
now = $$(date +%s.%N)
demo:
	@t0=$(now); $(MAKE) --no-print-directory $(BIN)/kit || exit; t1=$(now); \
	$(MAKE) --no-print-directory engine || exit; t2=$(now); \
	$(MAKE) --no-print-directory bases || exit; t3=$(now); \
	span() { awk "BEGIN { printf \"%.1f\", $$2 - $$1 }"; }; \
	status=0; $(KIT) batch notebooks/default.yml --run-id $(RUN_ID) \
	    --phase venv=$$(span $$t0 $$t1) --phase engine=$$(span $$t1 $$t2) \
	    --phase bases=$$(span $$t2 $$t3) || status=$$?; \
	$(KIT) report runs/$(RUN_ID) --out $(REPORTS) --quiet || status=1; exit $$status

lint: $(BIN)/kit
	$(BIN)/ruff check kit tests
	$(BIN)/ruff format --check kit tests
	$(BIN)/lint-imports

typecheck: $(BIN)/kit
	$(BIN)/mypy kit

unit: $(BIN)/kit
	$(BIN)/pytest tests/unit -q

# nbval's copies run first (the notebook smoke tests then reuse what they measured: same store,
# same parameters); coverage of kit/ is reported, with a floor (pyproject: fail_under), the
# processes the tests start included (coverage run, not pytest-cov's --cov: with it nbval starts
# a second coverage inside each kernel, which then never answers); and the repository's results/
# must be as it was before.
test: lint typecheck bases
	@nb=$$(mktemp -d); trap 'rm -rf "$$nb"' EXIT; \
	listing() { find results -type f -printf '%P %s %T@\n' 2>/dev/null | sort | md5sum; }; \
	before=$$(listing); \
	$(BIN)/python tests/notebooks/nbval_copies.py "$$nb" $(NOTEBOOKS) >/dev/null || exit 1; \
	rm -f .coverage .coverage.*; status=0; \
	TEST_NOTEBOOK_STORE="$$nb/store" $(BIN)/coverage run -m pytest "$$nb"/*.ipynb tests -q -rs \
	    -c pyproject.toml --rootdir . --durations=30 --nbval-lax --nbval-current-env \
	    --nbval-sanitize-with tests/notebooks/sanitize.cfg || status=$$?; \
	$(BIN)/coverage combine -q && $(BIN)/coverage report || { [ $$status -ne 0 ] || status=1; }; \
	if [ "$$(listing)" != "$$before" ]; then echo "make test changed results/" >&2; status=1; fi; \
	exit $$status

bench: bases
	$(KIT) bench

# Re-execute the committed notebooks in place so they carry the outputs of a real run
# (KIT_FORCE=1: measured in that run, nothing reused from the store).
notebooks: bases
	@for nb in $(ALL_NOTEBOOKS); do KIT_FORCE=1 $(KIT) notebook $$nb --out notebooks --no-html --quiet || exit 1; done

lab: $(BIN)/kit
	$(BIN)/python -m ipykernel install --user --name image-diet-kit --display-name "image-diet kit"
	# Loopback only; Jupyter refuses to run as root unless told, and root is how this kit runs.
	$(BIN)/jupyter lab notebooks --ip=127.0.0.1 --no-browser $$([ "$$(id -u)" = 0 ] && echo --allow-root)

clean:
	-$(KIT) clean --images
	rm -rf $(REPORTS) results runs
