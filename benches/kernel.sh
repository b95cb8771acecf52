#!/usr/bin/env bash
# What `ust trace --kernel` costs, beside `perf record` of the same tracepoints and a tracefs
# instance recording them, in one run (needs root):
#
#  * per context switch: benches/c/kernel_load.c's ping-pong, two processes pinned to CPU 0
#    (a round trip is 2 switches, 2 wake-ups and 4 system calls), per category;
#  * per system call: a getppid() loop, per category;
#  * the traced program's UST ns/event (benches/c/bench.c, 3 integers, 1 thread) under
#    `ust trace` (TSC clock), under `ust trace --kernel sched` (CLOCK_MONOTONIC, kernel
#    recording beside it), and daemonless with UST_CLOCK=tsc / monotonic for the clock alone.
#
# Each figure is the fastest of ROUNDS runs (default 5), configurations interleaved: the
# machine is shared and noisy. "added" is the figure minus the untraced one. "rec ns/ev" is
# the CPU time `ust`'s recording thread spent per kernel event (reading the rings, writing
# CTF), on top of what the traced workload pays in the kernel.
#
# Usage: sudo benches/kernel.sh        (ROUNDS=N, PINGPONG=N, GETPPID=N, EVENTS=N to change)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
	echo "benches/kernel.sh: recording kernel events needs root" >&2
	exit 1
fi
ROUNDS=${ROUNDS:-5}
PINGPONG=${PINGPONG:-100000}
GETPPID=${GETPPID:-2000000}
EVENTS=${EVENTS:-5000000}

cargo build --release --workspace -q
root=$PWD
ust=$root/target/release/ust
work=$(mktemp -d /tmp/ust-kernel-bench-XXXXXX)
instance=""
cleanup() {
	if [ -n "$instance" ] && [ -d "$instance" ]; then
		for e in "$instance"/events/*/*/enable; do echo 0 >"$e" 2>/dev/null || true; done
		rmdir "$instance" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

cc -O2 -o "$work/kernel_load" benches/c/kernel_load.c
cc -O2 -DBENCH_UST -I include -I benches/c benches/c/bench.c benches/c/bench_tp_ust.c \
	-L target/release -lust -Wl,-rpath,"$root/target/release" -lpthread -o "$work/bench_ust"

tracefs=/sys/kernel/tracing
if ! [ -d "$tracefs/events" ]; then
	mount -t tracefs nodev "$tracefs"
fi

declare -A tracepoints=(
	[sched]="sched:sched_switch sched:sched_waking sched:sched_wakeup sched:sched_wakeup_new sched:sched_process_fork sched:sched_process_exec sched:sched_process_exit sched:sched_process_free task:task_newtask"
	[syscalls]="raw_syscalls:sys_enter raw_syscalls:sys_exit"
	[irq]="irq:irq_handler_entry irq:irq_handler_exit irq:softirq_entry irq:softirq_exit irq:softirq_raise"
)

ns_of() { sed -n 's/^ns_per_op=\([0-9.]*\)$/\1/p; s/.*ns_per_event=\([0-9.]*\).*/\1/p' | head -1; }

# One run of a configuration; prints "ns_per_op kernel_events recorder_ms".
run() { # CONFIG CATEGORY CMD...
	local config=$1 cat=$2
	shift 2
	local dir="$work/t" out err
	rm -rf "$dir" "$work/perf.data"
	case $config in
	plain)
		out=$("$@")
		echo "$(ns_of <<<"$out") - -"
		;;
	ust)
		out=$("$ust" trace --kernel "$cat" -o "$dir" -- "$@" 2>"$work/err")
		err=$(cat "$work/err")
		local line events ms
		line=$(grep '^ust: kernel: ' <<<"$err" || true)
		events=$(sed -n 's/^ust: kernel: \([0-9]*\) events.*/\1/p' <<<"$line")
		ms=$(sed -n 's/.*, \([0-9.]*\) ms of CPU.*/\1/p' <<<"$line")
		if grep -q 'LOST' <<<"$err"; then events="$events(lost)"; fi
		echo "$(ns_of <<<"$out") ${events:--} ${ms:--}"
		;;
	perf)
		local list
		list=$(tr ' ' ',' <<<"${tracepoints[$cat]}")
		out=$(perf record -q -a -m 1024 --clockid monotonic -e "$list" -o "$work/perf.data" -- "$@" 2>/dev/null)
		echo "$(ns_of <<<"$out") - -"
		;;
	tracefs)
		instance="$tracefs/instances/ust-kernel-bench-$$"
		mkdir "$instance"
		echo mono >"$instance/trace_clock"
		echo 4096 >"$instance/buffer_size_kb"
		for tp in ${tracepoints[$cat]}; do
			echo 1 >"$instance/events/${tp%%:*}/${tp#*:}/enable"
		done
		out=$("$@")
		for tp in ${tracepoints[$cat]}; do
			echo 0 >"$instance/events/${tp%%:*}/${tp#*:}/enable"
		done
		rmdir "$instance"
		instance=""
		echo "$(ns_of <<<"$out") - -"
		;;
	esac
}

# measure KEY CONFIG CAT CMD...: keeps the fastest run of a configuration, as "ns events ms".
declare -A best
measure() {
	local key=$1
	shift
	local r
	r=$(run "$@")
	local ns=${r%% *}
	if [ -z "${best[$key]:-}" ] || awk -v a="$ns" -v b="${best[$key]%% *}" 'BEGIN{exit !(a<b)}'; then
		best[$key]=$r
	fi
}

# measure_value KEY VALUE: keeps the smallest VALUE.
measure_value() {
	if [ -z "${best[$1]:-}" ] || awk -v a="$2" -v b="${best[$1]%% *}" 'BEGIN{exit !(a<b)}'; then
		best[$1]="$2 - -"
	fi
}

echo "benches/kernel.sh: $ROUNDS rounds; ping-pong $PINGPONG round trips, $GETPPID getppid calls, $EVENTS UST events" >&2
for ((round = 1; round <= ROUNDS; round++)); do
	echo "round $round/$ROUNDS" >&2
	for load in pingpong getppid; do
		n=$PINGPONG
		[ $load = getppid ] && n=$GETPPID
		measure "$load plain -" plain - "$work/kernel_load" $load "$n"
		for cat in sched syscalls irq; do
			for config in ust perf tracefs; do
				measure "$load $config $cat" "$config" "$cat" "$work/kernel_load" $load "$n"
			done
		done
	done
	out=$("$ust" trace -o "$work/u" -- "$work/bench_ust" int3 "$EVENTS" 1 2>/dev/null)
	rm -rf "$work/u"
	measure_value "ust-events trace-tsc" "$(ns_of <<<"$out")"
	out=$("$ust" trace --kernel sched -o "$work/u" -- "$work/bench_ust" int3 "$EVENTS" 1 2>/dev/null)
	rm -rf "$work/u"
	measure_value "ust-events trace-kernel-sched" "$(ns_of <<<"$out")"
	for clock in tsc monotonic; do
		out=$(UST_TRACE="$work/u" UST_CLOCK=$clock UST_SUBBUF_SIZE=1M UST_NUM_SUBBUF=16 \
			"$work/bench_ust" int3 "$EVENTS" 1)
		rm -rf "$work/u"
		measure_value "ust-events daemonless-$clock" "$(ns_of <<<"$out")"
	done
done

printf '\n%-9s %-9s %-22s %10s %10s %10s %10s\n' workload category recorder "ns/op" added "events/op" "rec ns/ev"
for load in pingpong getppid; do
	n=$PINGPONG
	[ $load = getppid ] && n=$GETPPID
	read -r base _ _ <<<"${best[$load plain -]}"
	printf '%-9s %-9s %-22s %10.1f %10s %10s %10s\n' $load - "untraced" "$base" - - -
	for cat in sched syscalls irq; do
		for config in ust perf tracefs; do
			read -r ns events ms <<<"${best[$load $config $cat]}"
			label=$config
			[ $config = ust ] && label="ust trace --kernel"
			[ $config = perf ] && label="perf record"
			[ $config = tracefs ] && label="tracefs (kernel only)"
			per_op=-
			rec=-
			if [ "$events" != - ] && [ "${events%(lost)}" = "$events" ]; then
				per_op=$(awk -v e="$events" -v n="$n" 'BEGIN{printf "%.2f", e/n}')
				rec=$(awk -v ms="$ms" -v e="$events" 'BEGIN{printf "%.0f", ms*1e6/e}')
			elif [ "$events" != - ]; then
				per_op=lost
			fi
			printf '%-9s %-9s %-22s %10.1f %10.1f %10s %10s\n' $load $cat "$label" "$ns" \
				"$(awk -v a="$ns" -v b="$base" 'BEGIN{print a-b}')" "$per_op" "$rec"
		done
	done
done
printf '\nUST 3-integer event, 1 thread (ns/event):\n'
for key in trace-tsc trace-kernel-sched daemonless-tsc daemonless-monotonic; do
	printf '  %-22s %8.1f\n' "$key" "${best[ust-events $key]%% *}"
done
