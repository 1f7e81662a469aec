#!/usr/bin/env bash
# Hygiene checks, run by scripts/test.sh after `go vet` (and on their own):
# go.mod/go.sum tidy, gofmt-clean sources, and no staticcheck findings.
# Each failure says what is wrong and how to fix it.
set -euo pipefail
cd "$(dirname "$0")/.."

# staticcheck, pinned. Installed through the module proxy into a cache the
# next run reuses; reinstalled when missing or of another version.
STATICCHECK_VERSION=v0.8.2
tools=${BATCHGATE_TOOLS:-$HOME/.cache/batchgate-tools}
staticcheck="$tools/staticcheck"
if ! "$staticcheck" -version 2>/dev/null | grep -qF "(${STATICCHECK_VERSION#v})"; then
	echo "installing staticcheck $STATICCHECK_VERSION into $tools"
	mkdir -p "$tools"
	GOBIN="$tools" go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION"
fi

failed=0

if ! tidy=$(go mod tidy -diff 2>&1); then
	echo "FAIL: go.mod/go.sum are not tidy; run 'go mod tidy' and commit the result:" >&2
	echo "$tidy" >&2
	failed=1
fi

unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
	echo "FAIL: these files are not gofmt-formatted; run 'gofmt -w' on them:" >&2
	echo "$unformatted" >&2
	failed=1
fi

if ! findings=$("$staticcheck" ./... 2>&1); then
	echo "FAIL: staticcheck $STATICCHECK_VERSION reports problems; fix them (or, where a finding is wrong, add '//lint:ignore CHECK reason' on the line above):" >&2
	echo "$findings" >&2
	failed=1
fi

if [ "$failed" -ne 0 ]; then
	exit 1
fi
echo "lint: go.mod tidy, gofmt clean, staticcheck $STATICCHECK_VERSION clean"
