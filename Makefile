# Everything a fresh machine needs, from project files only: python3 (3.11+) and Java 17.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: demo test test-fast fuzz bench bench-spark spark-up spark-down docs install clean

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

# the front end's fuzzing, twenty times CI's examples, with a new seed each run (printed)
fuzz: install
	@seed=$${SEGDSL_FUZZ_SEED:-$$(date +%s)}; echo "fuzz seed $$seed (SEGDSL_FUZZ_SEED=$$seed reproduces it)"; \
	SEGDSL_FUZZ_SEED=$$seed SEGDSL_RANDOM_SCALE=$${SEGDSL_RANDOM_SCALE:-20} \
	    $(BIN)/pytest -p no:cacheprovider -n 2 tests/property/test_front_end_fuzz.py

bench: install
	$(BIN)/python benchmarks/bench.py

# a Spark standalone master, two workers and a Spark Connect server on 127.0.0.1 (.ci/spark.sh):
# tests/cluster runs on them, and `make bench-spark` measures on them
spark-up: install
	SEGDSL_PYTHON=$(abspath $(BIN))/python bash .ci/spark.sh up

spark-down:
	SEGDSL_PYTHON=$(abspath $(BIN))/python bash .ci/spark.sh down

# the Spark engine on the local cluster next to the DuckDB engine (docs/scale.md)
bench-spark: spark-up
	$(BIN)/python benchmarks/spark_scale.py --dir-output

# the documentation site (English and Simplified Chinese) in out/site; any warning fails it
docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir out/site

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis .benchmarks
