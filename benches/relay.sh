#!/bin/sh
# Streaming throughput over loopback, in one run: a UST trace replayed packet by packet
# (`ust relay push`) to lttng-relayd (plain) and to `ust relay` (TLS), beside LTTng-UST's own
# consumer streaming the same event shape to the same lttng-relayd.
# Usage: benches/relay.sh [EVENTS_PER_THREAD]   (2 threads; default 2000000)
set -eu
N=${1:-2000000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
cargo build --release --workspace >/dev/null
U=$ROOT/target/release/ust
W=$(mktemp -d)
trap 'kill $RELAYD $URELAY 2>/dev/null; lttng destroy "bench-relay-$$" >/dev/null 2>&1 || true; rm -rf "$W"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
rate() { python3 -c "import sys; b,e,t=map(float,sys.argv[1:]); print(f'{b/t/1e6:8.1f} MB/s {e/t/1e6:7.2f} M events/s ({t:.2f} s)')" "$@"; }

cc -O2 -I include -I c-examples/threads c-examples/threads/threads.c c-examples/threads/threads-tp.c \
   -L target/release -lust -Wl,-rpath,"$ROOT/target/release" -o "$W/threads"
UST_TRACE="$W/trace" UST_SUBBUF_SIZE=1M UST_NUM_SUBBUF=16 "$W/threads" 2 "$N" >/dev/null
BYTES=$(cat "$W"/trace/channel0_* | wc -c)
EVENTS=$("$U" view --summary "$W/trace" | awk '/threads:tick/ {print $2; exit}')

C=$(port); D=$(port); L=$(port)
mkdir -m 700 "$W/relayd" "$W/urelay"
lttng-relayd -o "$W/relayd" -C tcp://127.0.0.1:$C -D tcp://127.0.0.1:$D -L tcp://127.0.0.1:$L & RELAYD=$!
"$U" relay gen-keys "$W/keys" --relay-name 127.0.0.1 --daemon daemon >/dev/null
"$U" relay -o "$W/urelay" --listen 127.0.0.1 --control-port 0 --data-port 0 --keys "$W/keys" >"$W/urelay.log" 2>&1 & URELAY=$!
sleep 1
UP=$(sed -n 's/.*control port \([0-9]*\) data port \([0-9]*\).*/\1:\2/p' "$W/urelay.log")

echo "trace: $EVENTS events, $BYTES bytes (2 threads)"
t0=$(now); "$U" relay push "$W/trace" --to net://127.0.0.1:$C:$D --session bench >/dev/null; t1=$(now)
printf 'ust -> lttng-relayd (plain):  '; rate "$BYTES" "$EVENTS" "$(echo "$t1 - $t0" | bc)"
t0=$(now); "$U" relay push "$W/trace" --to tls://127.0.0.1:$UP --session bench --keys "$W/keys" >/dev/null; t1=$(now)
printf 'ust -> ust relay (TLS):       '; rate "$BYTES" "$EVENTS" "$(echo "$t1 - $t0" | bc)"

# A session streamed while it records (`ust trace --relay`: the daemon's consumers hand whole
# packets to the relay as the program writes): the time from start to the session closed on
# the relay, and the events the relay received (discarded ones are reported by ust trace).
live() {
    name=$1; url=$2; shift 2
    t0=$(now)
    "$U" trace --relay "$url" "$@" --subbuf-size 1M --num-subbuf 16 -- "$W/threads" 2 "$N" \
        >/dev/null 2>"$W/live-$name.log"
    t1=$(now)
    dir=$(find "$W/$name" -mindepth 2 -maxdepth 2 -type d ! -name "bench-*" | head -1)
    lb=$(find "$dir" -name 'threads*' -type f -path '*/ust/*' ! -path '*/index/*' -exec cat {} + | wc -c)
    le=$("$U" view --summary "$dir" | awk '/threads:tick/ {print $2; exit}')
    lost=$(sed -n 's/.* \([0-9]*\) discarded.*/\1/p' "$W/live-$name.log" | head -1)
    printf '%-30s' "ust trace --relay ($name):"; rate "$lb" "${le:-0}" "$(echo "$t1 - $t0" | bc)"
    echo "    discarded: ${lost:-0}"
}
live relayd "net://127.0.0.1:$C:$D"
live urelay "tls://127.0.0.1:$UP" --keys "$W/keys"

if lttng list >/dev/null 2>&1 || lttng-sessiond --daemonize --no-kernel; then
    cc -O2 -I tools/tests/c tools/tests/c/ust_test_app.c -o "$W/lttng_app" -llttng-ust -ldl -lpthread
    S=bench-relay-$$
    lttng create "$S" --set-url net://127.0.0.1:$C:$D >/dev/null
    lttng enable-channel -u ch --subbuf-size 1M --num-subbuf 16 >/dev/null
    lttng enable-event -u -c ch 'ust_test:tick' >/dev/null
    lttng start >/dev/null
    t0=$(now); "$W/lttng_app" "$N" >/dev/null; lttng stop >/dev/null; t1=$(now)
    lttng destroy "$S" >/dev/null
    LB=$(find "$W/relayd" -path "*$S*" -name 'ch_*' -type f -exec cat {} + | wc -c)
    LE=$(babeltrace2 "$W/relayd"/*/"$S"-* 2>/dev/null | grep -c tick || true)
    printf 'LTTng-UST consumer -> lttng-relayd (record + stream, %s events): ' "$LE"
    rate "$LB" "$LE" "$(echo "$t1 - $t0" | bc)"
fi
