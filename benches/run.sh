#!/bin/sh
# Runs the UST versus LTTng-UST 2.13 benchmark (benches/compare.rs).
# Starts LTTng's session daemon first when none answers and lttng is installed;
# without it the benchmark still runs and reports UST only.
set -eu
cd "$(dirname "$0")/.."
if command -v lttng >/dev/null 2>&1 && ! lttng list >/dev/null 2>&1; then
	echo "starting lttng-sessiond" >&2
	lttng-sessiond --daemonize --no-kernel || echo "could not start lttng-sessiond" >&2
fi
exec cargo bench --bench compare "$@"
