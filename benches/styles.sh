#!/bin/bash
# The other instrumentation styles against TRACEPOINT_EVENT and LTTng-UST, each event kept.
#
#   benches/styles.sh [ROUNDS [EVENTS]]     (default 9 rounds of 2000000 events, 1 thread)
#
# Builds benches/c/bench.c with -DBENCH_STYLES against UST (and LTTng-UST when lttng-tools
# answers) and runs, interleaved, ROUNDS times each:
#   int3     tracepoint(bench, int3, ...)          a 3-integer TRACEPOINT_EVENT (UST)
#   mark3    trace_mark with the same 3 integers   (UST)
#   probe3   a custom probe recording bench:int3   (UST)
#   tracef3  tracef("%d %d %d")                    (UST, and LTTng-UST's tracef)
# Unlike `cargo bench --bench compare`, whose buffers need the consumer to keep up, the buffers
# here (4 MiB x 16 per CPU) hold the whole run: on a busy machine nothing is discarded, and no
# run looks faster for dropping events. Each trace is counted back with babeltrace2. Prints the
# fastest and median ns/event of each and the ratios of the fastest runs.
# Figures are from one run on this machine: a benchmark, not a test.
set -euo pipefail

rounds=${1:-9}
events=${2:-2000000}
root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
work=$(mktemp -d /tmp/ust-styles-bench.XXXXXX)
session=
trap '[ -n "$session" ] && lttng destroy "$session" >/dev/null; rm -rf "$work"' EXIT

for tool in cc babeltrace2 cargo; do
	command -v "$tool" >/dev/null || { echo "styles.sh: $tool is missing" >&2; exit 1; }
done
(cd "$root" && cargo build --release --lib -q)
c="$root/benches/c"
cc -O2 -falign-loops=32 -Wall -DBENCH_STYLES -DBENCH_UST -I"$c" -I"$root/include" \
	"$c/bench.c" "$c/bench_tp_ust.c" -L"$target/release" -Wl,-rpath,"$target/release" \
	-lust -lpthread -o "$work/ust"
if command -v lttng >/dev/null && lttng list >/dev/null 2>&1 &&
	cc -O2 -falign-loops=32 -Wall -DBENCH_STYLES -I"$c" "$c/bench.c" "$c/bench_tp_lttng.c" \
		-llttng-ust -ldl -lpthread -o "$work/lttng" 2>/dev/null; then
	session=ust_styles_bench_$$
	lttng create "$session" --output="$work/lttng-trace" >/dev/null
	lttng enable-channel -u --subbuf-size=4M --num-subbuf=16 ch -s "$session" >/dev/null
	lttng enable-event -u lttng_ust_tracef:event -c ch -s "$session" >/dev/null
	lttng start "$session" >/dev/null
else
	echo "note: LTTng-UST not measured (no lttng session daemon or no liblttng-ust-dev)"
fi

# ns_per_event of one run (checks that the UST trace holds every event).
run_ust() {
	rm -rf "$work/trace"
	local ns
	ns=$(UST_TRACE="$work/trace" UST_SUBBUF_SIZE=4M UST_NUM_SUBBUF=16 "$work/ust" "$1" "$events" 1 |
		sed -n 's/^ns_per_event=\([0-9.]*\).*/\1/p')
	local kept
	kept=$(babeltrace2 -c sink.utils.counter -p step=+0 "$work/trace" |
		awk '/Event message/ {print $1}')
	[ "$kept" = "$events" ] || { echo "styles.sh: $1 kept $kept of $events events" >&2; exit 1; }
	echo "$ns"
}

for ((r = 1; r <= rounds; r++)); do
	for kind in int3 mark3 probe3 tracef3; do
		echo "UST $kind $(run_ust "$kind")"
	done
	if [ -n "$session" ]; then
		echo "LTTng-UST tracef3 $("$work/lttng" tracef3 "$events" 1 |
			sed -n 's/^ns_per_event=\([0-9.]*\).*/\1/p')"
	fi
done >"$work/runs"

sort -k1,2 -k3n "$work/runs" | awk '
	{ k = $1 " " $2; n[k]++; v[k, n[k]] = $3 }
	END {
		printf "%-20s %10s %10s\n", "style", "fastest", "median"
		split("UST int3,UST mark3,UST probe3,UST tracef3,LTTng-UST tracef3", order, ",")
		for (i = 1; i <= 5; i++) {
			k = order[i]
			if (!(k in n))
				continue
			best[k] = v[k, 1]
			printf "%-20s %10.2f %10.2f\n", k, v[k, 1], v[k, int((n[k] + 1) / 2)]
		}
		tp = best["UST int3"]
		printf "\ntrace_mark / TRACEPOINT_EVENT:        %.2fx\n", best["UST mark3"] / tp
		printf "custom probe / TRACEPOINT_EVENT:      %.2fx\n", best["UST probe3"] / tp
		if ("LTTng-UST tracef3" in best)
			printf "UST tracef / LTTng-UST tracef:        %.2fx\n", \
				best["UST tracef3"] / best["LTTng-UST tracef3"]
	}'
