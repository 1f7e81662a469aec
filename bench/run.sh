#!/usr/bin/env bash
# batchgate's benchmark suite, in one command:
#
#   bash bench/run.sh
#
# 1. Upload: a chat JSONL through POST /v1/files (validated, translated and
#    streamed to S3 by `batchgate serve`) beside a plain SDK multipart upload
#    of the same bytes to the same S3 server (versitygw), at two sizes to show
#    that the gateway's memory stays flat when the file doubles.
# 2. Download: that file run as a batch through `batchgate bedrock-sim`, then
#    its output through GET /v1/files/{id}/content (OpenAI form) beside a
#    plain SDK GET of the raw output object and of the object served.
# 3. API latency: GET /v1/batches/{id} and GET /v1/batches?limit=100 under
#    concurrent load with BENCH_BATCHES batches, on SQLite and PostgreSQL.
# 4. Reconciler: BENCH_JOBS jobs finished in the emulator, observed and
#    settled by the gateway's reconciler.
#
# Environment (defaults in brackets):
#   BENCH_SIZES     upload sizes in bytes ["500000000 1000000000"]
#   BENCH_RECORDS   records per file [50000]
#   BENCH_BATCHES   batches in the store for the API test [100000]
#   BENCH_API_TIME  load time per endpoint and store [10s]
#   BENCH_API_CONC  concurrent API clients [16]
#   BENCH_JOBS      jobs for the reconciler test [10000]
#   BENCH_SKIP      words among: upload download api postgres reconcile
# Quick run: BENCH_SIZES="50000000 100000000" BENCH_RECORDS=5000 BENCH_BATCHES=10000 BENCH_JOBS=1000 BENCH_API_TIME=3s bash bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${BENCH_SIZES:-"500000000 1000000000"}
RECORDS=${BENCH_RECORDS:-50000}
BATCHES=${BENCH_BATCHES:-100000}
API_TIME=${BENCH_API_TIME:-10s}
API_CONC=${BENCH_API_CONC:-16}
JOBS=${BENCH_JOBS:-10000}
SKIP=${BENCH_SKIP:-}
skip() { [[ " $SKIP " == *" $1 "* ]]; }

# On tmpfs when there is room, so that the figures measure CPU and memory
# rather than this machine's disk (both sides write the same bytes).
tmp=/tmp
if [ -d /dev/shm ] && [ "$(df -Pk /dev/shm | awk 'NR==2{print $4}')" -gt 8000000 ]; then tmp=/dev/shm; fi
work=$(mktemp -d "$tmp/batchgate-bench.XXXXXX")
chmod 755 "$work"
pids=()
PGBIN=""
cleanup() {
	for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
	if [ -n "$PGBIN" ] && [ -d "$work/pg/data" ]; then
		runuser -u postgres -- "$PGBIN/pg_ctl" -D "$work/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 1 300); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; echo "timeout: $1" >&2; exit 1; }
ticks=$(getconf CLK_TCK)
cpu_of() { awk -v t="$ticks" '{printf "%.2f", ($14+$15)/t}' "/proc/$1/stat"; }
hwm_of() { awk '/VmHWM/{printf "%.0f", $2/1024}' "/proc/$1/status"; }
now() { date +%s.%N; }
results="$work/results.tsv"
: >"$results"
row() { printf '%s\n' "$(IFS=$'\t'; echo "$*")" >>"$results"; }

echo "== building" >&2
mkdir -p bench/.bin
for p in batchgate:./cmd/batchgate s3put:./bench/s3put genjsonl:./bench/genjsonl apibench:./bench/apibench reconbench:./bench/reconbench; do
	go build -o "bench/.bin/${p%%:*}" "${p#*:}"
done
if [ ! -x bench/.bin/versitygw ]; then
	echo "== installing versitygw v1.8.0 (a few minutes, once)" >&2
	GOBIN=$PWD/bench/.bin go install github.com/versity/versitygw/cmd/versitygw@v1.8.0 >&2 || echo "versitygw install failed: falling back to moto_server" >&2
fi

export AWS_ACCESS_KEY_ID=benchkey AWS_SECRET_ACCESS_KEY=benchsecret AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
s3port=$(free_port)
if [ -x bench/.bin/versitygw ]; then
	s3name=versitygw
	mkdir -p "$work/s3"
	ROOT_ACCESS_KEY=$AWS_ACCESS_KEY_ID ROOT_SECRET_KEY=$AWS_SECRET_ACCESS_KEY bench/.bin/versitygw --port "127.0.0.1:$s3port" posix "$work/s3" >"$work/s3.log" 2>&1 &
else
	s3name=moto_server
	moto_server -H 127.0.0.1 -p "$s3port" >"$work/s3.log" 2>&1 &
fi
pids+=($!)
S3="http://127.0.0.1:$s3port"
for _ in $(seq 1 100); do curl -s -o /dev/null "$S3" && break; sleep 0.1; done
mkbucket() {
	python3 - "$S3" "$1" <<'PY'
import sys, hmac, hashlib, datetime, urllib.request, os
# A SigV4-signed CreateBucket, so no AWS CLI is needed.
ep, bucket = sys.argv[1], sys.argv[2]
ak, sk, region = os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"], "us-east-1"
host = ep.split("://", 1)[1]
t = datetime.datetime.now(datetime.UTC); amz = t.strftime("%Y%m%dT%H%M%SZ"); day = t.strftime("%Y%m%d")
ph = hashlib.sha256(b"").hexdigest()
canon = f"PUT\n/{bucket}\n\nhost:{host}\nx-amz-content-sha256:{ph}\nx-amz-date:{amz}\n\nhost;x-amz-content-sha256;x-amz-date\n{ph}"
scope = f"{day}/{region}/s3/aws4_request"
sts = f"AWS4-HMAC-SHA256\n{amz}\n{scope}\n{hashlib.sha256(canon.encode()).hexdigest()}"
k = ("AWS4" + sk).encode()
for m in (day, region, "s3", "aws4_request"):
    k = hmac.new(k, m.encode(), hashlib.sha256).digest()
sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
req = urllib.request.Request(f"{ep}/{bucket}", method="PUT", headers={"x-amz-date": amz, "x-amz-content-sha256": ph,
    "Authorization": f"AWS4-HMAC-SHA256 Credential={ak}/{scope}, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={sig}"})
urllib.request.urlopen(req).read()
PY
}

simport=$(free_port)
bench/.bin/batchgate bedrock-sim --addr "127.0.0.1:$simport" --s3-endpoint "$S3" --step-delay 100ms --min-records -1 \
	--max-concurrent-jobs 100000 --max-file-bytes 4294967296 --max-job-bytes 8589934592 >"$work/sim.log" 2>&1 &
pids+=($!)
SIM="http://127.0.0.1:$simport"
wait_http "$SIM/"

gwpid=""
start_gateway() { # bucket datadir
	cat >"$work/config-$1.yaml" <<YAML
model_list:
  - model_name: bedrock-batch-claude
    litellm_params:
      model: bedrock/us.anthropic.claude-3-5-sonnet-20240620-v1:0
      s3_bucket_name: $1
      s3_endpoint_url: $S3
      bedrock_endpoint_url: $SIM
      aws_batch_role_arn: arn:aws:iam::123456789012:role/bench
    model_info: {mode: batch}
general_settings: {master_key: sk-bench}
YAML
	gwport=$(free_port)
	bench/.bin/batchgate serve --config "$work/config-$1.yaml" --addr "127.0.0.1:$gwport" --data "$2" --reconcile-interval 1s >>"$work/gw.log" 2>&1 &
	gwpid=$!
	pids+=($gwpid)
	GW="http://127.0.0.1:$gwport"
	wait_http "$GW/health/liveliness"
}
stop_gateway() { kill "$gwpid" 2>/dev/null || true; wait "$gwpid" 2>/dev/null || true; }
json_field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

for size in $SIZES; do
	skip upload && break
	bucket="bench-$size"
	mkbucket "$bucket"
	mib=$((size / 1000000))
	echo "== upload ${mib} MB, $RECORDS records" >&2
	bench/.bin/genjsonl -bytes "$size" -records "$RECORDS" >"$work/in.jsonl"
	bytes=$(stat -c %s "$work/in.jsonl")
	sync
	read -r _ base_s < <(bench/.bin/s3put -endpoint "$S3" -bucket "$bucket" -key baseline.jsonl -file "$work/in.jsonl")
	start_gateway "$bucket" "$work/data-$size"
	c0=$(cpu_of "$gwpid"); t0=$(now)
	curl -sS --fail-with-body -o "$work/file.json" "$GW/v1/files" -H "Authorization: Bearer sk-bench" \
		-F purpose=batch -F target_model_names=bedrock-batch-claude -F "file=@$work/in.jsonl"
	t1=$(now); c1=$(cpu_of "$gwpid"); hwm=$(hwm_of "$gwpid")
	row upload "$mib" "$bytes" "$base_s" "$(echo "$t1 - $t0" | bc)" "$(echo "$c1 - $c0" | bc)" "$hwm"
	file_id=$(json_field "$work/file.json" id)
	rm -f "$work/in.jsonl"

	skip download && { stop_gateway; continue; }
	echo "== batch of ${mib} MB through bedrock-sim" >&2
	t0=$(now)
	curl -sS --fail-with-body -o "$work/batch.json" "$GW/v1/batches" -H "Authorization: Bearer sk-bench" -H "Content-Type: application/json" \
		-d "{\"input_file_id\":\"$file_id\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}"
	batch_id=$(json_field "$work/batch.json" id)
	while :; do
		curl -sS -o "$work/batch.json" "$GW/v1/batches/$batch_id" -H "Authorization: Bearer sk-bench"
		st=$(json_field "$work/batch.json" status)
		case $st in completed) break ;; failed | expired | cancelled) echo "batch $st: $(cat "$work/batch.json")" >&2; exit 1 ;; esac
		sleep 1
	done
	batch_s=$(echo "$(now) - $t0" | bc)
	out_id=$(json_field "$work/batch.json" output_file_id)
	stop_gateway
	echo "== download ${mib} MB output" >&2
	read -r raw_bytes get_s < <(bench/.bin/s3put -get -endpoint "$S3" -bucket "$bucket" -key batchgate/output/)
	# The OpenAI form batchgate wrote at settlement, read the same way:
	# what the gateway adds to a plain GET of the bytes it serves.
	read -r _ served_get_s < <(bench/.bin/s3put -get -endpoint "$S3" -bucket "$bucket" -key "batchgate/output/$batch_id/openai/output.jsonl")
	start_gateway "$bucket" "$work/data-$size"
	c0=$(cpu_of "$gwpid"); t0=$(now)
	curl -sS --fail-with-body -o /dev/null -w '%{size_download}\n' "$GW/v1/files/$out_id/content" -H "Authorization: Bearer sk-bench" >"$work/dl"
	t1=$(now); c1=$(cpu_of "$gwpid"); hwm=$(hwm_of "$gwpid")
	row download "$mib" "$raw_bytes" "$get_s" "$(echo "$t1 - $t0" | bc)" "$(echo "$c1 - $c0" | bc)" "$hwm" "$(cat "$work/dl")" "$batch_s" "$served_get_s"
	stop_gateway
done

if ! skip api; then
	echo "== API latency, SQLite, $BATCHES batches" >&2
	bench/.bin/apibench -store sqlite -batches "$BATCHES" -c "$API_CONC" -d "$API_TIME" | sed 's/^/api\t/' >>"$results"
	if ! skip postgres && command -v pg_config >/dev/null; then
		echo "== API latency, PostgreSQL, $BATCHES batches" >&2
		PGBIN=$(pg_config --bindir)
		pgport=$(free_port)
		mkdir -p "$work/pg/sock"
		chown -R postgres:postgres "$work/pg"
		runuser -u postgres -- "$PGBIN/initdb" -D "$work/pg/data" -U postgres -A trust -E UTF8 --no-locale --no-sync >"$work/pg/initdb.log"
		runuser -u postgres -- "$PGBIN/pg_ctl" -D "$work/pg/data" -l "$work/pg/log" -w \
			-o "-c listen_addresses=127.0.0.1 -p $pgport -k $work/pg/sock -c fsync=off -c max_connections=200" start >/dev/null
		bench/.bin/apibench -store postgres -dsn "postgres://postgres@127.0.0.1:$pgport/postgres?sslmode=disable" \
			-batches "$BATCHES" -c "$API_CONC" -d "$API_TIME" | sed 's/^/api\t/' >>"$results"
	fi
fi

if ! skip reconcile; then
	echo "== reconciler, $JOBS jobs" >&2
	mkbucket bench-reconcile
	bench/.bin/reconbench -jobs "$JOBS" -s3 "$S3" -bedrock "$SIM" -bucket bench-reconcile | sed 's/^/reconcile\t/' >>"$results"
fi

python3 - "$results" "$s3name" "$API_CONC" "$tmp" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
s3, conc = sys.argv[2], sys.argv[3]
import os
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print(f"\nmachine: {os.cpu_count()} CPUs, {cpu}, {os.sysconf('SC_PHYS_PAGES')*os.sysconf('SC_PAGE_SIZE')/2**30:.0f} GiB; S3: {s3} on the same machine, data in {sys.argv[4]}\n")
up = [r for r in rows if r[0] in ("upload", "download")]
if up:
    print(f"| path | size | baseline MB/s | batchgate MB/s | ratio (baseline time / batchgate time) | batchgate CPU s/GB | peak RSS |")
    print(f"|---|---|---|---|---|---|---|")
    for r in up:
        kind, mb, b, base, gw, cpu_s, hwm = r[:7]
        b, base, gw, cpu_s = int(b), float(base), float(gw), float(cpu_s)
        # Rates and CPU are per byte of the file moved: the input uploaded, or
        # the raw Bedrock output read and converted (the OpenAI form is smaller).
        name = "upload: POST /v1/files vs SDK multipart PUT" if kind == "upload" else "download: GET /v1/files/{id}/content vs SDK GET of the raw output"
        print(f"| {name} | {int(mb)} MB | {b/1e6/base:.0f} | {b/1e6/gw:.0f} | {base/gw:.2f} | {cpu_s/(b/1e9):.2f} | {hwm} MB |")
        if kind == "download":
            # The same download beside a plain GET of the very object served.
            served, served_base = int(r[7]), float(r[9])
            print(f"| download: GET /v1/files/{{id}}/content vs SDK GET of the same OpenAI-form object | {served/1e6:.0f} MB | {served/1e6/served_base:.0f} | {served/1e6/gw:.0f} | {served_base/gw:.2f} | {cpu_s/(served/1e9):.2f} | {hwm} MB |")
    for r in rows:
        if r[0] == "download":
            print(f"\n(batch of {r[1]} MB through bedrock-sim: {float(r[8]):.0f} s from POST /v1/batches to completed, the OpenAI-form output written at settlement included; raw output {int(r[2])/1e6:.0f} MB, OpenAI form {int(r[7])/1e6:.0f} MB)")
api = [r for r in rows if r[0] == "api"]
if api:
    print(f"\n| store | endpoint ({conc} clients) | requests | req/s | p50 ms | p99 ms |")
    print("|---|---|---|---|---|---|")
    for _, store, ep, n, secs, rps, p50, p99 in api:
        print(f"| {store} | {ep} | {n} | {rps} | {p50} | {p99} |")
rec = [r for r in rows if r[0] == "reconcile"]
if rec:
    print("\n| reconciler: jobs | seconds to settle all | Bedrock calls | calls/s | gateway CPU s |")
    print("|---|---|---|---|---|")
    for _, jobs, secs, calls, cps, cpu_s in rec:
        print(f"| {jobs} | {secs} | {calls} | {cps} | {cpu_s} |")
PY
