#!/usr/bin/env bash
# The main job: sets up, builds UST, traces c-examples/hello without any
# daemon (UST_TRACE=DIR) and prints its events with babeltrace2 and with
# `ust view`; then traces it again with `ust trace` (a private daemon).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cargo build --release --workspace

out=target/demo
rm -rf "$out"
mkdir -p "$out"
cc -O2 -I include -I c-examples/hello c-examples/hello/hello.c c-examples/hello/hello-tp.c \
	-L target/release -lust -Wl,-rpath,"$PWD/target/release" -o "$out/hello"

UST_TRACE="$out/trace" "$out/hello" 5 demo
echo
echo "== babeltrace2 $out/trace"
babeltrace2 "$out/trace"
echo
echo "== ust view $out/trace"
target/release/ust view "$out/trace"
echo
echo "== ust trace -o $out/trace-daemon -- $out/hello 3 daemon"
target/release/ust trace -o "$out/trace-daemon" -- "$out/hello" 3 daemon
