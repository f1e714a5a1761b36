# Everything a fresh machine needs, from project files only: python3 (3.11+) and Java 17.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: demo test test-fast bench install clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

demo: install
	$(BIN)/segdsl apply rulesets/telco_churn.seg \
	    --input customer=segdsl/samples/telco_customers.csv \
	    --output out/telco_segments.parquet --labels

test: install
	$(BIN)/pytest -p no:cacheprovider -n 2

test-fast: install
	$(BIN)/pytest -p no:cacheprovider -n 2 -m "not full"

bench: install
	$(BIN)/python benchmarks/macro.py

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis .benchmarks
