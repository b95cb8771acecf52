#!/bin/sh
# What the daemon's outputs cost the traced program, in one run: the same loop (3-integer
# event, 1 thread pinned to CPU 0) recorded by daemon sessions writing a trace (baseline), a
# trace rotated every 1 MiB, a flight recorder, a flight recorder snapshotted every 100 ms, and
# a session streamed to lttng-relayd on loopback; rounds interleaved, fastest round of each
# printed. Then the time `ust snapshot` takes to write a 64 MiB flight recorder.
# Usage: benches/outputs.sh [EVENTS_PER_RUN] [ROUNDS]   (default 10000000 and 5)
set -eu
N=${1:-10000000}
ROUNDS=${2:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
cargo build --release --workspace >/dev/null
U=$ROOT/target/release/ust
W=$(mktemp -d)
DAEMON=; RELAYD=; SNAPPER=
trap 'kill $SNAPPER $RELAYD $DAEMON 2>/dev/null; rm -rf "$W"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

cc -O2 -falign-loops=32 -DBENCH_UST -I include -I benches/c benches/c/bench.c benches/c/bench_tp_ust.c \
   -L target/release -lust -Wl,-rpath,"$ROOT/target/release" -lpthread -o "$W/bench"
S=$W/d.sock
"$U" daemon --socket "$S" 2>/dev/null & DAEMON=$!
C=$(port); D=$(port); L=$(port)
mkdir -m 700 "$W/relayd"
lttng-relayd -o "$W/relayd" -C tcp://127.0.0.1:$C -D tcp://127.0.0.1:$D -L tcp://127.0.0.1:$L 2>/dev/null & RELAYD=$!
sleep 1
ctl() { "$U" "$@" --socket "$S" >/dev/null; }
BUF="--subbuf-size 1M --num-subbuf 16"

# One run of scenario $1 (session k); prints the program's ns/event and the session's losses.
run() {
    name=$1; k=$2; out=$W/t-$k
    case $name in
        trace)    ctl create "s$k" -o "$out" $BUF ;;
        rotate)   ctl create "s$k" -o "$out" $BUF; ctl enable-rotation "s$k" --size 1M ;;
        recorder|snapshots) ctl create "s$k" --snapshot -o "$out" $BUF ;;
        relay)    ctl create "s$k" --relay "net://127.0.0.1:$C:$D" $BUF ;;
    esac
    ctl enable "s$k" 'bench:*'
    ctl start "s$k"
    if [ "$name" = snapshots ]; then
        ( while :; do "$U" snapshot "s$k" --socket "$S" >/dev/null 2>&1; sleep 0.1; done ) & SNAPPER=$!
    fi
    ns=$(UST_DAEMON_SOCKET=$S UST_REGISTER_TIMEOUT=10000 taskset -c 0 "$W/bench" int3 "$N" 1 \
         | sed -n 's/.*ns_per_event=\([0-9.]*\).*/\1/p')
    if [ -n "$SNAPPER" ]; then kill $SNAPPER; wait $SNAPPER 2>/dev/null || true; SNAPPER=; fi
    lost=$("$U" stop "s$k" --socket "$S" | sed -n 's/.* events, \([0-9]*\) discarded.*/\1/p')
    extra=
    case $name in
        rotate) extra=" chunks=$("$U" status "s$k" --socket "$S" | sed -n 's/.*archived: *\([0-9]*\).*/\1/p')" ;;
        snapshots) extra=" snapshots=$("$U" status "s$k" --socket "$S" | sed -n 's/.*snapshots: *\([0-9]*\).*/\1/p')" ;;
    esac
    ctl destroy "s$k"
    rm -rf "$out" "$W"/relayd/*
    echo "$ns discarded=$lost$extra"
}

SCENARIOS="trace rotate recorder snapshots relay"
k=0
for r in $(seq "$ROUNDS"); do
    for s in $SCENARIOS; do
        k=$((k + 1))
        echo "$s $(run "$s" "$k")" >> "$W/results"
    done
done
echo "ns/event of the 3-integer event, 1 thread, $N events per run, fastest of $ROUNDS rounds:"
best() { grep "^$1 " "$W/results" | sort -t' ' -k2 -g | head -1; }
base=$(best trace | cut -d' ' -f2)
for s in $SCENARIOS; do
    line=$(best "$s")
    ns=$(echo "$line" | cut -d' ' -f2)
    printf '  %-10s %6.2f ns  (%.2fx the trace session)  %s\n' "$s" "$ns" \
        "$(echo "$ns / $base" | bc -l)" "$(echo "$line" | cut -d' ' -f3-)"
done

# A 64 MiB flight recorder, full: the time `ust snapshot` takes to write it.
ctl create big --snapshot -o "$W/big" --subbuf-size 4M --num-subbuf 16
ctl enable big 'bench:*'
ctl start big
UST_DAEMON_SOCKET=$S UST_REGISTER_TIMEOUT=10000 taskset -c 0 "$W/bench" int3 5000000 1 >/dev/null
t0=$(date +%s.%N)
line=$("$U" snapshot big --socket "$S")
t1=$(date +%s.%N)
bytes=$(du -sb "$W"/big/snapshot-* | cut -f1)
python3 -c "import sys; b,t=float(sys.argv[1]),float(sys.argv[2]); print(f'64 MiB flight recorder: snapshot of {b/2**20:.1f} MiB written in {t:.3f} s ({b/2**20/t:.0f} MiB/s)')" \
    "$bytes" "$(echo "$t1 - $t0" | bc)"
echo "  $line"
ctl destroy big
