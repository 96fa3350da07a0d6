#!/usr/bin/env bash
# The KVM lane: gotoro's boot cases (internal/bootcase, the list the TCG
# boot tests run) under -accel kvm, inside a Linux guest that runs under
# TCG with nested SVM (docs/kvm.md). Needs root on Debian: it fetches
# Debian's cloud kernel and busybox-static with apt-get download.
#
#   bash scripts/kvm-lane.sh [-run REGEXP] [-count N] [-linux-control] [-boot-bench N] [-v]
#
# Prints PASS/FAIL per case; exits 0 only if every case passed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
exec go run ./internal/kvmlane "$@"
