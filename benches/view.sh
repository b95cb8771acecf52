#!/bin/bash
# `ust view` against babeltrace2 on two large traces of EVENTS events (default 5,000,000):
#   * an LTTng-UST trace: `ust_test:tick` events (3 fields + vpid/vtid/procname context, one
#     pinned thread per CPU, blocking channel so nothing is discarded), recorded with lttng;
#     skipped when lttng-tools or liblttng-ust-dev is missing (it drives lttng-sessiond: root);
#   * a UST trace: c-examples/threads, one thread, daemonless (UST_TRACE=DIR), with buffers
#     that hold the whole run (UST_SUBBUF_SIZE=4M UST_NUM_SUBBUF=32 ./threads 1 EVENTS): with
#     1M x 16 a busy machine's consumer falls behind and a quarter of the events is discarded.
#
#   benches/view.sh [EVENTS]
#     KEEP=1        keep the traces (their directory is printed)
#     ROUNDS=N      time each command N times and keep the best (default 1)
#     BIG=EVENTS    also record a UST trace of that many events and report the peak RSS of
#                   ust view and --summary on it (babeltrace2 is not run on it); its size is
#                   printed: events the consumer cannot keep up with are discarded, so ask
#                   for more than 16 bytes x 1 GB (BIG=90000000 gives about 1 GB here)
#
# For each trace, with /usr/bin/time, TZ=UTC, stdout to /dev/null: babeltrace2 DIR,
# ust view DIR, ust view --summary DIR: wall time, peak RSS, and the speed-up ratios
# (targets: 5x for ust view, 20x for --summary). Figures are from one run on this machine:
# a benchmark, not a test.
set -euo pipefail

events=${1:-5000000}
rounds=${ROUNDS:-1}
root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
work=$(mktemp -d /tmp/ust-view-bench.XXXXXX)
session="ust-view-bench-$$"
cleanup() {
	lttng destroy "$session" >/dev/null 2>&1 || true
	[ "${KEEP:-0}" = 1 ] && echo "traces kept in $work" || rm -rf "$work"
}
trap cleanup EXIT

for tool in babeltrace2 cc bc /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "view.sh: $tool is missing" >&2; exit 1; }
done

echo "== building ust and libust (release)"
cargo build --release -q -p ust -p ust-tools --manifest-path "$root/Cargo.toml"
ust="$target/release/ust"
threads_src="$root/c-examples/threads"
cc -O2 -I"$root/include" -I"$threads_src" "$threads_src/threads.c" "$threads_src/threads-tp.c" \
	-L"$target/release" -Wl,-rpath,"$target/release" -lust -lpthread -o "$work/threads"

# record_lttng DIR: EVENTS tick events with LTTng-UST into DIR; false when LTTng cannot.
record_lttng() {
	command -v lttng >/dev/null && command -v lttng-sessiond >/dev/null || return 1
	cc -O2 -I"$root/tools/tests/c" "$root/tools/tests/c/ust_test_app.c" -o "$work/app" \
		-llttng-ust -ldl -lpthread 2>/dev/null || return 1
	lttng list >/dev/null 2>&1 || lttng-sessiond --daemonize --no-kernel || return 1
	local ncpu per_thread
	ncpu=$(nproc)
	per_thread=$(((events + ncpu - 1) / ncpu))
	lttng create "$session" --output="$1" >/dev/null
	lttng enable-channel -u -s "$session" --subbuf-size=4M --num-subbuf=8 \
		--blocking-timeout=inf big >/dev/null
	lttng enable-event -u -s "$session" -c big 'ust_test:tick' >/dev/null
	lttng add-context -u -s "$session" -c big -t vpid -t vtid -t procname >/dev/null
	lttng start "$session" >/dev/null
	LTTNG_UST_ALLOW_BLOCKING=1 "$work/app" "$per_thread"
	lttng stop "$session" >/dev/null
	lttng destroy "$session" >/dev/null
}

# record_ust DIR N: N threads:tick events with UST into DIR.
record_ust() {
	UST_SUBBUF_SIZE=4M UST_NUM_SUBBUF=32 UST_TRACE="$1" "$work/threads" 1 "$2" >/dev/null
}

# run NAME CMD...: best wall seconds of ROUNDS runs and peak RSS (KiB), stdout to /dev/null;
# sets NAME_secs.
run() {
	local name=$1 best="" secs rss
	shift
	for _ in $(seq "$rounds"); do
		/usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>&1
		read -r secs rss <"$work/time"
		if [ -z "$best" ] || [ "$(echo "$secs < $best" | bc)" = 1 ]; then best=$secs; fi
	done
	printf '  %-12s %8.2f s  %8d KiB peak RSS\n' "$name" "$best" "$rss"
	eval "${name//-/_}_secs=$best"
}

# compare LABEL DIR: babeltrace2, ust view and ust view --summary on DIR.
compare() {
	echo "== $1: $(du -sh "$2" | cut -f1), $("$ust" view --summary "$2" 2>/dev/null | grep -m1 ' events, ')"
	"$ust" view --summary "$2" 2>/dev/null | grep '^WARNING' || true
	run babeltrace2 babeltrace2 "$2"
	run ust-view "$ust" view "$2"
	run ust-summary "$ust" view --summary "$2"
	awk -v b="$babeltrace2_secs" -v v="$ust_view_secs" -v s="$ust_summary_secs" 'BEGIN {
		printf "  ust view is %.1fx faster than babeltrace2 (target 5x)\n", b / (v > 0 ? v : 0.001)
		printf "  ust view --summary is %.1fx faster than babeltrace2 (target 20x)\n", b / (s > 0 ? s : 0.001)
	}'
}

export TZ=UTC
echo "== recording $events events with UST (c-examples/threads)"
record_ust "$work/ust" "$events"
echo "== recording about $events events with LTTng-UST"
if record_lttng "$work/lttng"; then lttng_ok=1; else lttng_ok=0; echo "  (skipped: LTTng cannot record here)"; fi

compare "UST trace" "$work/ust"
[ "$lttng_ok" = 1 ] && compare "LTTng-UST trace" "$work/lttng"

if [ -n "${BIG:-}" ]; then
	echo "== recording $BIG events with UST (peak RSS on a large trace)"
	record_ust "$work/big" "$BIG"
	rm -rf "$work/ust" "$work/lttng"
	echo "== big UST trace: $(du -sh "$work/big" | cut -f1)"
	run ust-view "$ust" view "$work/big"
	run ust-summary "$ust" view --summary "$work/big"
fi
