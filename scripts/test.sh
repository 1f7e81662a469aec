#!/usr/bin/env bash
# The whole test suite, on a fresh machine: starts an S3-protocol server
# (moto_server, or versitygw when moto_server is missing) and a throwaway
# PostgreSQL, points the tests at them through environment variables, runs
# vet, the hygiene checks (scripts/lint.sh) and every test, and stops the
# servers.
#
#   scripts/test.sh            # everything
#   scripts/test.sh ./bedrocksim/...   # a subset (arguments go to `go test`)
#   BATCHGATE_TEST_SERVERS_ONLY=1 scripts/test.sh go test ./e2e/ -run X
#                              # any command against the servers, without vet and lint
#
# What it needs, and where it comes from:
#   go (the go.mod version), curl, python3   must be installed
#   PostgreSQL (initdb, pg_ctl)              Debian's postgresql, installed when run as root
#   chromium, npm                            Debian's chromium and npm (the console's browser test),
#                                            installed when run as root
#   moto_server (pip install 'moto[server]') optional: without it, versitygw (a Go module,
#                                            installed once into ~/.cache/batchgate-tools) serves
#                                            S3, and the tests that need moto's IAM, STS or
#                                            SSE-KMS echo are skipped with that reason.
set -euo pipefail
cd "$(dirname "$0")/.."

export BATCHGATE_CI=1
tools=${BATCHGATE_TOOLS:-$HOME/.cache/batchgate-tools}
is_root() { [ "$(id -u)" -eq 0 ]; }

# need CMD DEBIAN_PACKAGE WHAT: installs the package when CMD is missing and
# this runs as root; otherwise says what to install and stops.
missing=()
need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	if is_root && command -v apt-get >/dev/null 2>&1 && [ -n "$2" ]; then
		echo "installing $2 (for $3)"
		export DEBIAN_FRONTEND=noninteractive
		if [ -z "${apt_updated:-}" ]; then apt-get update -qq >/dev/null && apt_updated=1; fi
		apt-get install -y -qq "$2" >/dev/null && return 0
	fi
	missing+=("$1 ($3)${2:+: apt-get install $2}")
}
need go "" "building and testing; https://go.dev/dl/, version $(sed -n 's/^go //p' go.mod) or later"
need curl curl "waiting for the test servers"
need python3 python3 "picking free ports"
# PostgreSQL's server binaries: on Debian under /usr/lib/postgresql/N/bin.
pgbin() {
	if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then pg_config --bindir; return; fi
	ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}
if [ -z "$(pgbin)" ] || [ ! -x "$(pgbin)/initdb" ]; then
	if is_root && command -v apt-get >/dev/null 2>&1; then
		echo "installing postgresql (for the PostgreSQL store's tests)"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq >/dev/null && apt_updated=1
		apt-get install -y -qq postgresql >/dev/null
	else
		missing+=("PostgreSQL's initdb and pg_ctl (the PostgreSQL store's tests): apt-get install postgresql")
	fi
fi
need chromium chromium "the console's browser test"
need npm npm "the console's browser test"
if [ "${#missing[@]}" -gt 0 ]; then
	echo "scripts/test.sh needs (run it as root to install the Debian packages, or install them yourself):" >&2
	printf '  %s\n' "${missing[@]}" >&2
	exit 1
fi

work=$(mktemp -d /tmp/batchgate-test.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
	if [ -n "${PGBIN:-}" ] && [ -d "$work/pg/data" ]; then
		as_pg "$PGBIN/pg_ctl" -D "$work/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { # url pid log [any]: up to 2 minutes (a loaded machine starts moto_server slowly); "any" accepts any HTTP status
	local f=-fs
	[ "${4:-}" = any ] && f=-s
	for _ in $(seq 1 1200); do
		curl $f -o /dev/null "$1" && return 0
		kill -0 "$2" 2>/dev/null || { echo "the server for $1 exited:" >&2; cat "$3" >&2; return 1; }
		sleep 0.1
	done
	echo "timed out waiting for $1:" >&2; cat "$3" >&2; return 1
}

# S3: moto_server when installed, else versitygw (a Go module, cached).
VERSITYGW_VERSION=v1.8.0
s3port=$(free_port)
export BATCHGATE_TEST_S3_ENDPOINT="http://127.0.0.1:$s3port"
if command -v moto_server >/dev/null 2>&1; then
	s3name=moto_server
	moto_server -H 127.0.0.1 -p "$s3port" >"$work/s3.log" 2>&1 &
	s3pid=$!
	s3ready="$BATCHGATE_TEST_S3_ENDPOINT/moto-api/"
else
	s3name=versitygw
	versitygw="$tools/versitygw"
	if ! go version -m "$versitygw" 2>/dev/null | grep -q "versity/versitygw[[:space:]]*$VERSITYGW_VERSION"; then
		echo "moto_server is not installed: installing versitygw $VERSITYGW_VERSION into $tools instead (a few minutes, once)"
		mkdir -p "$tools"
		GOBIN="$tools" go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"
	fi
	echo "moto_server is not installed: S3 is versitygw; the tests that need moto's IAM, STS or SSE-KMS are skipped (pip install 'moto[server]' runs them)"
	export BATCHGATE_TEST_S3_SERVER=versitygw
	mkdir -p "$work/s3"
	# The tests sign with testenv's static credentials.
	ROOT_ACCESS_KEY=testing ROOT_SECRET_KEY=testing "$versitygw" --port "127.0.0.1:$s3port" posix "$work/s3" >"$work/s3.log" 2>&1 &
	s3pid=$!
	s3ready="$BATCHGATE_TEST_S3_ENDPOINT/"
fi
pids+=($s3pid)

# PostgreSQL: initdb refuses root, so as root the cluster belongs to the postgres user.
as_pg() { if is_root; then runuser -u postgres -- "$@"; else "$@"; fi; }
PGBIN=$(pgbin)
pgport=$(free_port)
mkdir -p "$work/pg/sock"
chmod 755 "$work"
if is_root; then chown -R postgres:postgres "$work/pg"; fi
as_pg "$PGBIN/initdb" -D "$work/pg/data" -U postgres -A trust -E UTF8 --no-locale --no-sync >"$work/pg/initdb.log"
as_pg "$PGBIN/pg_ctl" -D "$work/pg/data" -l "$work/pg/log" -w \
	-o "-c listen_addresses=127.0.0.1 -p $pgport -k $work/pg/sock -c fsync=off -c max_connections=200" start >/dev/null
export BATCHGATE_TEST_POSTGRES_DSN="postgres://postgres@127.0.0.1:$pgport/postgres?sslmode=disable"
wait_http "$s3ready" "$s3pid" "$work/s3.log" any # started above, while PostgreSQL initialised

echo "$s3name: $BATCHGATE_TEST_S3_ENDPOINT  postgres: $BATCHGATE_TEST_POSTGRES_DSN"

# The web console's browser test (e2e/console_test.go) needs headless Debian
# chromium (checked above) and console-tests' npm dependencies
# (playwright-core, no browser download).
if [ ! -f console-tests/node_modules/.package-lock.json ] || ! cmp -s console-tests/package-lock.json console-tests/node_modules/.batchgate-lock; then
	(cd console-tests && npm ci --no-audit --no-fund --loglevel=error && cp package-lock.json node_modules/.batchgate-lock)
fi

if [ -n "${BATCHGATE_TEST_SERVERS_ONLY:-}" ]; then
	# For trying a command against the servers: scripts/test.sh runs it instead of the suite.
	"$@"
	exit
fi
go vet ./...
scripts/lint.sh # go.mod tidy, gofmt, staticcheck: fails with what to fix
if [ "$#" -eq 0 ]; then set -- ./...; fi
go test -count=1 -timeout 20m "$@"
