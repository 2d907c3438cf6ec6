#!/bin/sh
# Runs every fuzz_* binary of BUILD_DIR for SECONDS against a temp copy of its seed corpus.
# Usage: tests/fuzz/run.sh BUILD_DIR SECONDS   (exit 1 if any fuzzer finds a crash)
set -eu
if [ $# -ne 2 ]; then
    echo "usage: $0 BUILD_DIR SECONDS" >&2
    exit 2
fi
build=$1
secs=$2
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
count=0
for bin in $(find "$build" -type f -name 'fuzz_*' ! -name '*.*' -perm -u+x | sort); do
    name=$(basename "$bin")
    count=$((count + 1))
    work="$tmp/$name/corpus"
    art="$tmp/$name/artifacts"
    mkdir -p "$work" "$art"
    # Seeds live in tests/fuzz/<area>/corpus/<name>/, with or without the fuzz_ prefix;
    # they are copied so the run never adds files to the repository.
    seed=$(find "$here" -type d \( -path "*/corpus/$name" -o -path "*/corpus/${name#fuzz_}" \) |
        head -n 1)
    if [ -n "$seed" ]; then
        cp -R "$seed/." "$work/"
    else
        echo "warning: no seed corpus for $name" >&2
    fi
    echo "== $name: ${secs}s, $(ls "$work" | wc -l) seeds"
    if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$art/" "$work" >"$tmp/$name/log" 2>&1; then
        grep -E '^stat::number_of_executed_units|^Done' "$tmp/$name/log" || true
    else
        failed=1
        echo "!! $name FAILED; log tail:" >&2
        tail -n 40 "$tmp/$name/log" >&2
        keep="$build/fuzz-artifacts/$name"
        mkdir -p "$keep"
        cp -R "$art/." "$keep/" 2>/dev/null || true
        echo "!! crashing inputs copied to $keep" >&2
    fi
done
if [ "$count" -eq 0 ]; then
    echo "no fuzz_* binaries under $build (configure with -DAREC_FUZZ=ON and CC=clang-14)" >&2
    exit 1
fi
exit $failed
