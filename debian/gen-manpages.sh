#!/bin/sh
# Generates the man pages of the ust command from its --help output with
# help2man: ust.1 for the command and ust-SUB.1 for each subcommand listed
# under "Commands:" in `ust --help` (clap's layout), and ust-dtrace.1 for the
# ust-dtrace command built beside it.
#
#   debian/gen-manpages.sh PATH/TO/ust VERSION OUTPUT_DIR
set -eu

[ $# -eq 3 ] || { echo "usage: $0 PATH/TO/ust VERSION OUTPUT_DIR" >&2; exit 2; }
ust=$(realpath "$1")
version=$2
out=$3

mkdir -p "$out"
wrappers=$(mktemp -d)
trap 'rm -rf "$wrappers"' EXIT

# The first line of clap's help is the command's one-line description.
about=$("$ust" --help | head -n 1)
help2man --no-info --no-discard-stderr --version-string="$version" \
	--section=1 --name="$about" --output="$out/ust.1" "$ust"

# "Commands:" lists "  NAME  DESCRIPTION" lines up to the next blank line.
"$ust" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z0-9-]*\)  *\(.*\)$/\1 \2/p' |
while read -r sub description; do
	[ "$sub" != help ] || continue
	# help2man runs a program, not a program with arguments: wrap it.
	printf '#!/bin/sh\nexec "%s" %s "$@"\n' "$ust" "$sub" >"$wrappers/ust-$sub"
	chmod +x "$wrappers/ust-$sub"
	help2man --no-info --no-discard-stderr --version-string="$version" \
		--section=1 --name="$description" --output="$out/ust-$sub.1" \
		"$wrappers/ust-$sub"
done

help2man --no-info --no-discard-stderr --version-string="$version" --section=1 \
	--name="DTrace provider files (dtrace -h/-G) for UST" \
	--output="$out/ust-dtrace.1" "$(dirname "$ust")/ust-dtrace"
