#!/usr/bin/env bash
# End-to-end ingest benchmark: outcomesd vs kcat on 1 M events from the mock
# cluster. See ingest_bench.py for what is measured and how.
#   tests/bench/ingest_bench.sh [--build=DIR] [--runs=N] [--json=FILE]
exec python3 "$(dirname "$0")/ingest_bench.py" "$@"
