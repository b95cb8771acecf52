#!/bin/bash
# `ust view` against babeltrace2 on one large LTTng-UST trace (default 5,000,000 events).
#
#   benches/view.sh [EVENTS]      (as root: it drives lttng-sessiond; keep the trace with KEEP=1)
#
# Records EVENTS `ust_test:tick` events (3 fields + vpid/vtid/procname context, 2 pinned
# threads, blocking channel so nothing is discarded), then times, with /usr/bin/time:
#   babeltrace2 DIR > /dev/null,  ust view DIR > /dev/null,  ust view --summary DIR > /dev/null
# and prints wall time, peak RSS and the speed-up ratios. Figures are from one run on this
# machine: a benchmark, not a test.
set -euo pipefail

events=${1:-5000000}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/ust-view-bench.XXXXXX)
session="ust-view-bench-$$"
cleanup() {
	lttng destroy "$session" >/dev/null 2>&1 || true
	[ "${KEEP:-0}" = 1 ] && echo "trace kept in $work" || rm -rf "$work"
}
trap cleanup EXIT

for tool in babeltrace2 lttng lttng-sessiond cc /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "view.sh: $tool is missing" >&2; exit 1; }
done

echo "== building ust (release) and the test program"
cargo build --release -q -p ust-tools --manifest-path "$root/Cargo.toml"
ust="$root/target/release/ust"
cc -O2 -I"$root/tools/tests/c" "$root/tools/tests/c/ust_test_app.c" -o "$work/app" -llttng-ust -ldl -lpthread

lttng list >/dev/null 2>&1 || lttng-sessiond --daemonize --no-kernel
ncpu=$(nproc)
per_thread=$(( (events + ncpu - 1) / ncpu ))

echo "== recording $((per_thread * ncpu)) events with LTTng-UST"
lttng create "$session" --output="$work/trace" >/dev/null
lttng enable-channel -u --subbuf-size=4M --num-subbuf=8 --blocking-timeout=inf big >/dev/null
lttng enable-event -u -c big 'ust_test:tick' >/dev/null
lttng add-context -u -c big -t vpid -t vtid -t procname >/dev/null
lttng start "$session" >/dev/null
LTTNG_UST_ALLOW_BLOCKING=1 "$work/app" "$per_thread"
lttng stop "$session" >/dev/null
lttng destroy "$session" >/dev/null
echo "trace: $(du -sh "$work/trace" | cut -f1)"

# run NAME CMD...: wall seconds and peak RSS (KiB) of CMD with stdout to /dev/null.
run() {
	local name=$1
	shift
	/usr/bin/time -f "%e %M" -o "$work/$name.time" "$@" >/dev/null
	read -r secs rss <"$work/$name.time"
	printf '%-12s %8.2f s  %8d KiB peak RSS\n' "$name" "$secs" "$rss"
	eval "${name//-/_}_secs=$secs"
}

echo "== timing (TZ=UTC, output to /dev/null)"
export TZ=UTC
run babeltrace2 babeltrace2 "$work/trace"
run ust-view "$ust" view "$work/trace"
run ust-summary "$ust" view --summary "$work/trace"
lines=$("$ust" view "$work/trace" | wc -l)
echo "events printed by ust view: $lines"
awk -v b="$babeltrace2_secs" -v v="$ust_view_secs" -v s="$ust_summary_secs" 'BEGIN {
	printf "ust view is %.1fx faster than babeltrace2 (target 5x)\n", b / (v > 0 ? v : 0.001)
	printf "ust view --summary is %.1fx faster than babeltrace2 (target 20x)\n", b / (s > 0 ? s : 0.001)
}'
