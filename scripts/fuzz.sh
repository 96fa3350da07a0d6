#!/usr/bin/env bash
# Runs every Go fuzz target of the host-side device backends for a short
# time each (default 15s): the vhost-user message parser and handler, the
# ring walker, the vsock packet handler, and the image check `gotoro run`
# makes of a file before QEMU boots it. CI runs it; a crasher is saved
# under the package's testdata/fuzz and fails the run.
#
#   bash scripts/fuzz.sh [FUZZTIME]
set -euo pipefail
cd "$(dirname "$0")/.."
t=${1:-15s}
for target in host/vhostuser:FuzzServe host/vhostuser:FuzzPop host/vsock:FuzzHandleChain host/qemu:FuzzCheckImage; do
	pkg=./${target%%:*} name=${target##*:}
	echo "== fuzz $name ($pkg, $t)"
	go test -run '^$' -fuzz "^$name\$" -fuzztime "$t" "$pkg"
done
