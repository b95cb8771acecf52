#!/usr/bin/env bash
# Every test: sets up, checks formatting and lints, builds, starts LTTng's
# session daemon (for the side-by-side tests, when root) and runs the whole
# test suite of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
if [ "$(id -u)" = 0 ] && ! lttng list >/dev/null 2>&1; then
	lttng-sessiond --daemonize --no-kernel
fi

cargo fmt --all -- --check
cargo build --release --workspace
cargo clippy --release --workspace --all-targets -- -D warnings
cargo test --release --workspace
