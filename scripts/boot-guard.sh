#!/usr/bin/env bash
# boot-guard.sh: the boot-time regression guard CI runs (scripts/test.sh).
# gotoro bench boot times `gotoro run hello.img` against an empty PVH kernel
# on the same QEMU and fails when the median of the paired ratios exceeds
# BOOT_MAX_RATIO. A ratio, not an absolute time: the machine's speed moves
# both. One failing measurement is repeated once, since a busy machine can
# slow the guest more than the empty kernel; two in a row fail the build.
# docs/boot.md says how the bound was chosen and docs/benchmarks.md keeps
# the measured history.
set -euo pipefail
cd "$(dirname "$0")/.."
bound=${BOOT_MAX_RATIO:-4.0}
runs=${BOOT_RUNS:-15}
go build -o "${TMPDIR:-/tmp}/gotoro-boot-guard" ./cmd/gotoro
bin="${TMPDIR:-/tmp}/gotoro-boot-guard"
trap 'rm -f "$bin"' EXIT
for attempt in 1 2; do
	status=0
	"$bin" bench boot -accel tcg -n "$runs" -max-ratio "$bound" || status=$?
	case $status in
	0) exit 0 ;;
	1) echo "boot-guard: attempt $attempt above the bound $bound" ;;
	*) echo "boot-guard: gotoro bench boot failed (status $status)" >&2; exit "$status" ;;
	esac
done
echo "boot-guard: gotoro run's boot is more than $bound times the empty kernel's in two measurements: a boot-time regression (see docs/boot.md)" >&2
exit 1
