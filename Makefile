# skills-vc task verbs: run, test, lint, bench (and esco-index, eval-mapper for the mapper).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := tests/interop/node_modules/.installed

.PHONY: run wallet test lint bench bench-million install interop-deps esco-index eval-mapper clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

$(NODE_STAMP): tests/interop/package.json tests/interop/package-lock.json
	cd tests/interop && npm ci --no-audit --no-fund --silent
	touch $(NODE_STAMP)

interop-deps: $(NODE_STAMP)

## Installs into .venv, migrates, seeds demo data and serves on http://127.0.0.1:8000 (SQLite).
run: $(STAMP)
	$(BIN)/skills-vc demo
	SKILLS_VC_DEMO_WALLET_URL=http://127.0.0.1:8001 $(BIN)/skills-vc serve --host 127.0.0.1 --port 8000

## The demo holder wallet (its own SQLite file in var/), on http://127.0.0.1:8001; run it beside `make run`.
wallet: $(STAMP)
	$(BIN)/python -m wallet_demo --host 127.0.0.1 --port 8001

## The whole suite; PostgreSQL tests run when SKILLS_VC_TEST_DATABASE_URL is set.
test: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check skills_vc wallet_demo tests bench scripts
	$(BIN)/mypy

bench: $(STAMP)
	command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk)
	$(BIN)/python -m bench.run --output docs/benchmarks.md

## A million credentials on PostgreSQL (about 5 minutes on 2 cores), into docs/benchmarks-million.md;
## a scratch database on 127.0.0.1:5432 is created and dropped.
bench-million: $(STAMP)
	dropdb -h 127.0.0.1 -U postgres --if-exists skills_vc_million_bench
	createdb -h 127.0.0.1 -U postgres skills_vc_million_bench
	$(BIN)/python -m bench.million_bench --database-url postgresql+psycopg://postgres@127.0.0.1:5432/skills_vc_million_bench --output docs/benchmarks-million.md; \
	  status=$$?; dropdb -h 127.0.0.1 -U postgres skills_vc_million_bench; exit $$status

clean:
	rm -rf $(VENV) var tests/interop/node_modules .pytest_cache .mypy_cache .ruff_cache

## Rebuilds skills_vc/data/esco/ from ../shared/esco (ESCO 1.1.1, Competent crosswalk); about 3 minutes.
esco-index: $(STAMP)
	$(BIN)/python scripts/build_esco_index.py

## Recall@5/@10 and MRR per language and per component on the development set and the Competent stand-in.
eval-mapper: $(STAMP)
	$(BIN)/python scripts/eval_mapper.py
