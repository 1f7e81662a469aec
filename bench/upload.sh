#!/usr/bin/env bash
# Upload benchmark only (see bench/run.sh for the whole suite):
#
#   bench/upload.sh [SIZE_BYTES] [RECORDS]     # default 1 GB, 50,000 records
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_SIZES=${1:-1000000000} BENCH_RECORDS=${2:-50000} BENCH_SKIP="download api postgres reconcile" exec bash bench/run.sh
