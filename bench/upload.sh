#!/usr/bin/env bash
# Upload benchmark: a large chat JSONL through `POST /v1/files` (validated,
# translated and streamed to S3 by batchgate) beside a plain SDK multipart
# upload of the same bytes to the same S3 server. Reports throughput, CPU
# seconds per GB and the gateway's peak RSS (VmHWM).
#
#   bench/upload.sh [SIZE_BYTES] [RECORDS]     # default 1 GiB, 50,000 records
#
# S3: versitygw when bench/.bin/versitygw exists (install it with
#   GOBIN=$PWD/bench/.bin go install github.com/versity/versitygw/cmd/versitygw@v1.8.0),
# else moto_server (slower: its own throughput then caps both figures).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:-1073741824}
RECORDS=${2:-50000}
work=$(mktemp -d /tmp/batchgate-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]:-}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 1 200); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; echo "timeout: $1" >&2; exit 1; }

mkdir -p bench/.bin
go build -o bench/.bin/batchgate ./cmd/batchgate
go build -o bench/.bin/s3put ./bench/s3put
go build -o bench/.bin/genjsonl ./bench/genjsonl

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
sleep 1
aws --endpoint-url "$S3" s3api create-bucket --bucket bench >/dev/null 2>&1 || python3 - "$S3" <<'PY'
import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/bench", method="PUT"))
PY

echo "generating $SIZE bytes, $RECORDS records..."
bench/.bin/genjsonl -bytes "$SIZE" -records "$RECORDS" >"$work/in.jsonl"
bytes=$(stat -c %s "$work/in.jsonl")

# Baseline: plain SDK multipart upload of the same bytes.
read -r _ base_s < <(bench/.bin/s3put -endpoint "$S3" -bucket bench -file "$work/in.jsonl")

cat >"$work/config.yaml" <<YAML
model_list:
  - model_name: bedrock-batch-claude
    litellm_params:
      model: bedrock/us.anthropic.claude-3-5-sonnet-20240620-v1:0
      s3_bucket_name: bench
      s3_endpoint_url: $S3
      aws_batch_role_arn: arn:aws:iam::123456789012:role/bench
    model_info: {mode: batch}
general_settings: {master_key: sk-bench}
YAML
gwport=$(free_port)
bench/.bin/batchgate serve --config "$work/config.yaml" --addr "127.0.0.1:$gwport" --data "$work/data" >"$work/gw.log" 2>&1 &
gwpid=$!
pids+=($gwpid)
wait_http "http://127.0.0.1:$gwport/health/liveliness"
cpu0=$(awk '{print $14+$15}' /proc/$gwpid/stat)
start=$(date +%s.%N)
curl -sS --fail-with-body -o "$work/file.json" "http://127.0.0.1:$gwport/v1/files" -H "Authorization: Bearer sk-bench" \
	-F purpose=batch -F target_model_names=bedrock-batch-claude -F "file=@$work/in.jsonl"
end=$(date +%s.%N)
cpu1=$(awk '{print $14+$15}' /proc/$gwpid/stat)
hwm=$(awk '/VmHWM/{print $2}' /proc/$gwpid/status)
ticks=$(getconf CLK_TCK)

python3 - "$bytes" "$base_s" "$start" "$end" "$cpu0" "$cpu1" "$ticks" "$hwm" "$s3name" <<'PY'
import sys
b, base, t0, t1, c0, c1, tck, hwm, s3 = sys.argv[1:]
b=int(b); base=float(base); gw=float(t1)-float(t0); cpu=(int(c1)-int(c0))/int(tck)
gb=b/1e9
print(f"\nupload of {b/2**20:.0f} MiB to {s3}")
print(f"{'path':<28}{'seconds':>9}{'MB/s':>9}{'CPU s/GB':>10}{'peak RSS':>10}")
print(f"{'plain SDK multipart':<28}{base:>9.2f}{b/1e6/base:>9.1f}{'':>10}{'':>10}")
print(f"{'batchgate POST /v1/files':<28}{gw:>9.2f}{b/1e6/gw:>9.1f}{cpu/gb:>10.2f}{int(hwm)/1024:>8.0f}MB")
print(f"ratio to plain upload: {base/gw:.2f}")
PY
