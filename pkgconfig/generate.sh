#!/bin/sh
# Generates ust.pc and ust-lttng-compat.pc from the .pc.in templates beside
# this script, for an installation under PREFIX. Used by debian/rules and by
# anyone installing UST by hand:
#
#   pkgconfig/generate.sh [--prefix DIR] [--libdir DIR] [--includedir DIR]
#                         [--version VERSION] [--output DIR]
#
# Defaults: --prefix /usr/local, --libdir PREFIX/lib, --includedir
# PREFIX/include, --version from the root Cargo.toml, --output the current
# directory. Directories under PREFIX are written relative to ${prefix}.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
prefix=/usr/local
libdir=
includedir=
version=
output=.

usage() {
	sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	[ $# -ge 2 ] || usage
	case "$1" in
	--prefix) prefix=$2 ;;
	--libdir) libdir=$2 ;;
	--includedir) includedir=$2 ;;
	--version) version=$2 ;;
	--output) output=$2 ;;
	*) usage ;;
	esac
	shift 2
done

prefix=${prefix%/}
[ -n "$libdir" ] || libdir=$prefix/lib
[ -n "$includedir" ] || includedir=$prefix/include
if [ -z "$version" ]; then
	version=$(sed -n 's/^version *= *"\(.*\)"/\1/p' "$here/../Cargo.toml" | head -n 1)
	[ -n "$version" ] || { echo "generate.sh: no version in Cargo.toml; pass --version" >&2; exit 1; }
fi

# A directory under the prefix is written as ${prefix}/..., so that
# `pkg-config --define-prefix` can relocate the installation.
relative() {
	case "$1" in
	"$prefix"/*) printf '${prefix}/%s\n' "${1#"$prefix"/}" ;;
	*) printf '%s\n' "$1" ;;
	esac
}

mkdir -p "$output"
for template in "$here"/ust.pc.in "$here"/ust-lttng-compat.pc.in; do
	name=$(basename "$template" .in)
	sed -e "s|@PREFIX@|$prefix|g" \
		-e "s|@LIBDIR@|$(relative "$libdir")|g" \
		-e "s|@INCLUDEDIR@|$(relative "$includedir")|g" \
		-e "s|@VERSION@|$version|g" \
		"$template" >"$output/$name"
done
