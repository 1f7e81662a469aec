#!/usr/bin/env bash
# The whole test suite, on a fresh machine: starts a real S3-protocol server
# (moto_server) and a throwaway PostgreSQL 15, points the tests at them through
# environment variables, runs vet, the hygiene checks (scripts/lint.sh) and
# every test, and stops the servers.
#
#   scripts/test.sh            # everything
#   scripts/test.sh ./bedrocksim/...   # a subset (arguments go to `go test`)
set -euo pipefail
cd "$(dirname "$0")/.."

export BATCHGATE_CI=1
work=$(mktemp -d /tmp/batchgate-test.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
	if [ -n "${PGBIN:-}" ] && [ -d "$work/pg/data" ]; then
		runuser -u postgres -- "$PGBIN/pg_ctl" -D "$work/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { # url pid log: up to 2 minutes (a loaded machine starts moto_server slowly)
	for _ in $(seq 1 1200); do
		curl -fs -o /dev/null "$1" && return 0
		kill -0 "$2" 2>/dev/null || { echo "the server for $1 exited:" >&2; cat "$3" >&2; return 1; }
		sleep 0.1
	done
	echo "timed out waiting for $1:" >&2; cat "$3" >&2; return 1
}

# S3: moto_server (installed on every machine of this kind).
s3port=$(free_port)
moto_server -H 127.0.0.1 -p "$s3port" >"$work/moto.log" 2>&1 &
motopid=$!
pids+=($motopid)
export BATCHGATE_TEST_S3_ENDPOINT="http://127.0.0.1:$s3port"

# PostgreSQL 15: initdb refuses root, so the cluster belongs to the postgres user.
PGBIN=$(pg_config --bindir)
pgport=$(free_port)
mkdir -p "$work/pg/sock"
chmod 755 "$work"
chown -R postgres:postgres "$work/pg"
runuser -u postgres -- "$PGBIN/initdb" -D "$work/pg/data" -U postgres -A trust -E UTF8 --no-locale --no-sync >"$work/pg/initdb.log"
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$work/pg/data" -l "$work/pg/log" -w \
	-o "-c listen_addresses=127.0.0.1 -p $pgport -k $work/pg/sock -c fsync=off -c max_connections=200" start >/dev/null
export BATCHGATE_TEST_POSTGRES_DSN="postgres://postgres@127.0.0.1:$pgport/postgres?sslmode=disable"
wait_http "$BATCHGATE_TEST_S3_ENDPOINT/moto-api/" "$motopid" "$work/moto.log" # started above, while PostgreSQL initialised

echo "moto_server: $BATCHGATE_TEST_S3_ENDPOINT  postgres: $BATCHGATE_TEST_POSTGRES_DSN"

# The web console's browser test (e2e/console_test.go) needs headless Debian
# chromium and console-tests' npm dependencies (playwright-core, no browser
# download). Installed when missing; a no-op when already there.
if [ ! -x /usr/bin/chromium ]; then
	echo "installing chromium (for the console browser test)"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >"$work/apt.log" 2>&1 || { cat "$work/apt.log"; exit 1; }
	apt-get install -y -qq chromium >>"$work/apt.log" 2>&1 || { cat "$work/apt.log"; exit 1; }
fi
if [ ! -f console-tests/node_modules/.package-lock.json ] || ! cmp -s console-tests/package-lock.json console-tests/node_modules/.batchgate-lock; then
	(cd console-tests && npm ci --no-audit --no-fund --loglevel=error && cp package-lock.json node_modules/.batchgate-lock)
fi

go vet ./...
scripts/lint.sh # go.mod tidy, gofmt, staticcheck: fails with what to fix
if [ "$#" -eq 0 ]; then set -- ./...; fi
go test -count=1 -timeout 20m "$@"
