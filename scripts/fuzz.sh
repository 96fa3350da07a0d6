#!/usr/bin/env bash
# Runs every Go fuzz target of the host-side device backends for a fixed
# number of executions each: the vhost-user message parser and handler,
# the ring walker, the vsock packet handler, and the image check `gotoro
# run` makes of a file before QEMU boots it. CI runs it; a crasher is
# saved under the package's testdata/fuzz and fails the run.
#
#   bash scripts/fuzz.sh [FACTOR]
#
# FACTOR (a whole number from 1 to 1000, default 1) multiplies every
# target's count.
# Each count is about 10–15 s of fuzzing on the development machine.
#
# The budgets are counts (-fuzztime Nx), not durations: with a duration,
# Go 1.26's fuzzing coordinator can report "context deadline exceeded"
# and fail a target that found nothing, when a worker is still busy as
# the time runs out (go.dev/issue/75804, fixed in Go 1.27; it failed the
# project's CI once, in FuzzCheckImage). A count has no deadline to race.
# go test's -timeout bounds each target's wall time instead, so a hung
# worker still fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
factor=${1:-1}
case $factor in
'' | *[!0-9]* | 0*)
	# A leading zero would make bash read the number as octal.
	echo "fuzz.sh: FACTOR must be a whole number from 1 to 1000, got '$factor'" >&2
	exit 2
	;;
esac
if [ ${#factor} -gt 4 ] || [ "$factor" -gt 1000 ]; then
	echo "fuzz.sh: FACTOR must be a whole number from 1 to 1000, got '$factor'" >&2
	exit 2
fi
for target in host/vhostuser:FuzzServe:200000 host/vhostuser:FuzzPop:550000 \
	host/vsock:FuzzHandleChain:35000 host/qemu:FuzzCheckImage:70000; do
	IFS=: read -r dir name count <<<"$target"
	n=$((count * factor))
	echo "== fuzz $name (./$dir, ${n}x)"
	go test -run '^$' -fuzz "^$name\$" -fuzztime "${n}x" -timeout "$((5 * factor))m" "./$dir"
done
