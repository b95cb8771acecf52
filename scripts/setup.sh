#!/usr/bin/env bash
# Installs what building and testing UST needs on Debian 12 (apt packages),
# using sudo when not root. Installs nothing that is already there.
set -euo pipefail

PACKAGES=(
	build-essential g++ pkg-config binutils util-linux
	babeltrace2 liblttng-ust-dev lttng-tools bc
	debhelper dpkg-dev devscripts lintian help2man
	hyperfine systemtap-sdt-dev
	cmake python3
	linux-perf
)

sudo=""
if [ "$(id -u)" != 0 ]; then
	sudo=sudo
fi

missing=()
for p in "${PACKAGES[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
