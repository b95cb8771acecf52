#!/bin/bash
# Start-up cost of an instrumented program when no daemon is present.
#
#   benches/startup.sh [RUNS]      (default 2000 runs per variant; needs hyperfine, cc, python3)
#
# Times c-examples/hello (5 events) with hyperfine (no shell in between), in five variants:
#   plain         the same program with tracing compiled out (no libust at all)
#   no-daemon     linked with libust, no UST_* variable: the default sockets are absent
#   nonexistent   linked with libust, UST_DAEMON_SOCKET=/nonexistent
#   with-daemon   linked with libust, registering with a running `ust daemon` (no session)
#   daemonless    linked with libust, UST_TRACE=DIR (in-process tracing, for reference)
# and prints mean, spread, median and minimum of each, and the delay added over `plain`. Figures are from one run on this
# machine: a benchmark, not a test.
set -euo pipefail

runs=${1:-2000}
root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
work=$(mktemp -d /tmp/ust-startup-bench.XXXXXX)
daemon=
trap '[ -n "$daemon" ] && kill "$daemon"; rm -rf "$work"' EXIT

for tool in hyperfine cc python3 cargo; do
	command -v "$tool" >/dev/null || { echo "startup.sh: $tool is missing" >&2; exit 1; }
done

echo "== building libust and ust (release)"
cargo build --release -q -p ust -p ust-tools --manifest-path "$root/Cargo.toml"
mkdir -p "$work/lib"
cp "$target/release/libust.so" "$work/lib/libust.so"
ln -s libust.so "$work/lib/libust.so.1"

echo "== building hello with libust, and a plain copy with tracing compiled out"
hello="$root/c-examples/hello"
cc -O2 -I"$root/include" -I"$hello" "$hello/hello.c" "$hello/hello-tp.c" -o "$work/hello-ust" \
	-L"$work/lib" -Wl,-rpath,"$work/lib" -lust
mkdir "$work/plain"
cp "$hello/hello.c" "$work/plain/"
printf '#define tracepoint(...) do { } while (0)\n' >"$work/plain/hello-tp.h"
cc -O2 "$work/plain/hello.c" -o "$work/hello-plain"

# Make sure no daemon answers at the default places for the no-daemon variants.
export XDG_RUNTIME_DIR="$work/runtime"
mkdir -m 0700 "$XDG_RUNTIME_DIR"
unset UST_DAEMON_SOCKET UST_TRACE

# One hyperfine run per variant, with the variant's environment exported to hyperfine itself
# (no `env` program in front of the measured one).
bench() {
	local name=$1 exe=$2
	shift 2
	env "$@" hyperfine -N --warmup 100 --runs "$runs" --export-json "$work/$name.json" \
		-n "$name" "$exe 5" 2>/dev/null | sed -n '/Time\|Range/p' | sed "s/^/$name: /"
}

echo "== timing ($runs runs each)"
bench plain "$work/hello-plain"
bench no-daemon "$work/hello-ust"
bench nonexistent "$work/hello-ust" UST_DAEMON_SOCKET=/nonexistent
"$target/release/ust" daemon --socket "$work/d.sock" >/dev/null 2>&1 &
daemon=$!
until "$target/release/ust" list --socket "$work/d.sock" >/dev/null 2>&1; do sleep 0.05; done
bench with-daemon "$work/hello-ust" UST_DAEMON_SOCKET="$work/d.sock"
bench daemonless "$work/hello-ust" UST_TRACE="$work/trace"

python3 - "$work" <<'EOF'
import json, sys
def load(name):
    return json.load(open(f"{sys.argv[1]}/{name}.json"))["results"][0]
base = load("plain")
print("\n== start-up delay over the plain program (microseconds)")
print(f"{'variant':12} {'mean':>8} {'stddev':>8} {'median':>8} {'min':>8}   added: median      min")
for name in ["plain", "no-daemon", "nonexistent", "with-daemon", "daemonless"]:
    r = {k: v * 1e6 for k, v in load(name).items() if k in ("mean", "stddev", "median", "min")}
    print(f"{name:12} {r['mean']:8.0f} {r['stddev']:8.0f} {r['median']:8.0f} {r['min']:8.0f}"
          f"   {r['median'] - base['median'] * 1e6:+14.0f} {r['min'] - base['min'] * 1e6:+8.0f}")
EOF
