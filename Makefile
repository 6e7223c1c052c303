# `make demo` and `make test` create and reuse a local virtual environment in .venv.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test venv bench mutate clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[all]"
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	SDL_VIDEODRIVER=dummy $(PY) -m agents.cli.main demo

test: $(STAMP)
	SDL_VIDEODRIVER=dummy $(PY) -m pytest -n 2 -q

# Mutation testing of the rules (not part of `make test`: hours for every mutant, see
# docs/testing.md). MUTATE_ARGS="--sample 300" runs a seeded sample; run again to resume.
mutate: $(STAMP)
	SDL_VIDEODRIVER=dummy $(PY) tests/mutation/mutate.py $(MUTATE_ARGS)

bench: $(STAMP)
	$(PY) benchmarks/env_speed.py

clean:
	rm -rf $(VENV)
