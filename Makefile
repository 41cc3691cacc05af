# Two commands for a new machine: `make run` and `make test`.
# Both create the virtual environment from the lock file first.
PYTHON ?= python3
VENV := .venv
UV := $(VENV)/bin/uv
BIN := $(VENV)/bin

.PHONY: run test lint typecheck unit system-deps bench load crash sync clean fuzz audit mutate mutate-knowledge golden check

$(UV):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check "uv>=0.5"

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --all-groups --all-extras --quiet
	touch $@

sync: $(VENV)/.synced

# The web app on 127.0.0.1:8000 with the synthetic demo patients, on an SQLite file here.
run: sync
	$(BIN)/hosentinel serve --demo --host 127.0.0.1 --port 8000

test: sync lint typecheck unit

# The fast inner loop (under 2 minutes here): lint, types, and the tests of the pure core, the
# knowledge base, the FHIR importer and exporter, the layering rules and the golden assessments.
CHECK_TESTS := tests/core tests/knowledge tests/fhir tests/test_purity.py tests/test_golden_assess.py
check: sync lint typecheck
	$(BIN)/pytest -q -p no:cacheprovider $(CHECK_TESTS)

lint: sync
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

# mypy --strict on src, the benchmarks, the tests and the maintainer scripts.
typecheck: sync
	$(BIN)/mypy src
	$(BIN)/mypy bench tests
	$(BIN)/mypy scripts

# Rewrite tests/golden/*.json (`hosentinel assess` on every demo patient) after an intended change
# of the assessment output; review the diff before committing it.
golden: sync
	HOSENTINEL_REGEN_GOLDEN=1 $(BIN)/pytest -q -p no:cacheprovider tests/test_golden_assess.py

# Debian packages the tests need (PostgreSQL server, Chromium, fonts and Pango), when missing.
system-deps:
	bash scripts/install-system-deps.sh

unit: sync system-deps
	$(BIN)/pytest -q

# The long fuzzing run: the same tests as in `make test` with many more (random) examples per
# operation and input (API fuzzing with Schemathesis, FHIR import / assess / POST /fhir with
# Hypothesis). 15-20 minutes at 25 on this 2-core machine; the figures print at the end.
FUZZ_EXAMPLES ?= 25
fuzz: sync system-deps
	HOSENTINEL_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -q -p no:cacheprovider \
		tests/app/test_sec_api_fuzz.py tests/app/test_sec_input_fuzz.py

# Known vulnerabilities in the locked dependencies (needs PyPI's JSON API or an OSV service:
# AUDIT_ARGS="--service osv --osv-url http://mirror/v1/query" for a local mirror).
audit: sync
	$(BIN)/python scripts/audit.py $(AUDIT_ARGS)

# Mutation testing (docs/mutation-testing.md; not part of `make test`). mutmut over core/ and the
# knowledge loader with the fast tests; the notes tests find ../shared from mutants/ via ./shared.
# MUTANTS="names..." limits the run (a sample: scripts/mutation_report.py --sample 400).
mutate: sync
	ln -sfn ../shared shared
	$(if $(MUTANTS),mkdir -p mutants && echo "$(MUTANTS)" > mutants/sample.txt)
	$(BIN)/mutmut run --max-children 2 $(MUTANTS); status=$$?; rm -f shared; exit $$status
	$(BIN)/python scripts/mutation_report.py $(if $(MUTANTS),--names mutants/sample.txt)

# The knowledge DATA: thresholds, codes, conditions, levels, joints (KMUT_ARGS="--sample 40").
mutate-knowledge: sync
	$(BIN)/python scripts/mutate_knowledge.py $(KMUT_ARGS)

bench: sync
	$(BIN)/python bench/bench_evaluate.py
	$(BIN)/python bench/bench_app.py
	$(BIN)/python bench/bench_cdshooks.py
	$(BIN)/python bench/bench_screen.py
	$(BIN)/python bench/bench_directory.py
	$(BIN)/python bench/bench_notes.py

# The long reliability runs (bounded versions are in `make test`): 50 clinicians for 30 s against
# the real server on SQLite and PostgreSQL; 50 kill -9 trials per backend.
load: sync system-deps
	$(BIN)/python bench/bench_load.py

crash: sync system-deps
	$(BIN)/python bench/bench_crash.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# Rules about the source alone (module sizes, one home per moved module): in the fast loop.
CHECK_TESTS += tests/test_module_size.py tests/test_one_home.py
