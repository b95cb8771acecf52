#!/bin/bash
# Start-up (and exit) cost of an instrumented program when no daemon is present.
#
#   benches/startup.sh [RUNS]      (default 2000 runs per variant; needs hyperfine, cc, python3)
#
# Times c-examples/hello (5 events) with hyperfine (no shell in between), in five variants:
#   plain         the same program with tracing compiled out (no libust at all)
#   no-daemon     linked with libust, no UST_* variable: the default sockets are absent
#   nonexistent   linked with libust, UST_DAEMON_SOCKET=/nonexistent
#   with-daemon   linked with libust, registering with a running `ust daemon` (no session)
#   daemonless    linked with libust, UST_TRACE=DIR (in-process tracing, for reference)
# hello exits within a millisecond, often before the library's background listener has set up
# its wait for a daemon to appear; so a second set of variants times
# a program that lives 20 ms, where whatever that wait costs (at exit too) shows:
# linger-plain, linger-no-daemon and linger-nonexistent.
# Prints mean, spread, median and minimum of each, and the time added over the plain build.
# Figures are from one run on this machine: a benchmark, not a test.
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

echo "== building the programs with libust, and plain copies with tracing compiled out"
hello="$root/c-examples/hello"
printf '%s\n' '#include <unistd.h>' '#include "hello-tp.h"' \
	'int main(void) { usleep(20000); tracepoint(hello, greeting, 0, "linger"); return 0; }' \
	>"$work/linger.c"
mkdir "$work/plain"
cp "$hello/hello.c" "$work/linger.c" "$work/plain/"
printf '#define tracepoint(...) do { } while (0)\n' >"$work/plain/hello-tp.h"
for prog in "$hello/hello.c" "$work/linger.c"; do
	name=$(basename "$prog" .c)
	cc -O2 -I"$root/include" -I"$hello" "$prog" "$hello/hello-tp.c" -o "$work/$name-ust" \
		-L"$work/lib" -Wl,-rpath,"$work/lib" -lust
	cc -O2 "$work/plain/$name.c" -o "$work/$name-plain"
done

# Make sure no daemon answers at the default places for the no-daemon variants.
export XDG_RUNTIME_DIR="$work/runtime"
mkdir -m 0700 "$XDG_RUNTIME_DIR"
unset UST_DAEMON_SOCKET UST_TRACE

# One hyperfine run per variant, with the variant's environment exported to hyperfine itself
# (no `env` program in front of the measured one).
bench() {
	local name=$1 cmd=$2
	shift 2
	env "$@" hyperfine -N --warmup 100 --runs "$runs" --export-json "$work/$name.json" \
		-n "$name" "$cmd" 2>/dev/null | sed -n '/Time\|Range/p' | sed "s/^/$name: /"
}

echo "== timing ($runs runs each)"
bench plain "$work/hello-plain 5"
bench no-daemon "$work/hello-ust 5"
bench nonexistent "$work/hello-ust 5" UST_DAEMON_SOCKET=/nonexistent
"$target/release/ust" daemon --socket "$work/d.sock" >/dev/null 2>&1 &
daemon=$!
until "$target/release/ust" list --socket "$work/d.sock" >/dev/null 2>&1; do sleep 0.05; done
bench with-daemon "$work/hello-ust 5" UST_DAEMON_SOCKET="$work/d.sock"
bench daemonless "$work/hello-ust 5" UST_TRACE="$work/trace"
bench linger-plain "$work/linger-plain"
bench linger-no-daemon "$work/linger-ust"
bench linger-nonexistent "$work/linger-ust" UST_DAEMON_SOCKET=/nonexistent

python3 - "$work" <<'EOF'
import json, sys
def load(name):
    r = json.load(open(f"{sys.argv[1]}/{name}.json"))["results"][0]
    return {k: r[k] * 1e6 for k in ("mean", "stddev", "median", "min")}
print("\n== time added over the plain build (microseconds)")
print(f"{'variant':18} {'mean':>8} {'stddev':>8} {'median':>8} {'min':>8}   added: median      min")
names = ["plain", "no-daemon", "nonexistent", "with-daemon", "daemonless",
         "linger-plain", "linger-no-daemon", "linger-nonexistent"]
for name in names:
    r, base = load(name), load("linger-plain" if name.startswith("linger") else "plain")
    print(f"{name:18} {r['mean']:8.0f} {r['stddev']:8.0f} {r['median']:8.0f} {r['min']:8.0f}"
          f"   {r['median'] - base['median']:+14.0f} {r['min'] - base['min']:+8.0f}")
EOF
