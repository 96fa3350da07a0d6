#!/usr/bin/env bash
# boot-guard.sh: the boot-time regression guard CI runs (scripts/test.sh).
# gotoro bench boot times `gotoro run hello.img` against an empty PVH kernel
# on the same QEMU, alternately, and fails when the median of the paired
# ratios exceeds a bound: wall time (start → exit) over BOOT_MAX_RATIO, or
# the CPU time of the boot's processes over BOOT_MAX_CPU_RATIO. Ratios, not
# absolute times: the machine's speed moves both sides. One failing
# measurement is repeated once, since a busy machine can slow the guest
# more than the empty kernel; two in a row fail the build. The same
# measurement times runs started from a snapshot (gotoro run -snapshot,
# one untimed run saves it first) against the same floor, bounded by
# BOOT_MAX_SNAP_RATIO (wall) and BOOT_MAX_SNAP_CPU_RATIO (CPU time).
# The report also shows the user-mode peer (hello as a static linux/amd64
# executable under qemu-x86_64 against a 3-instruction exit program: the
# Go runtime's own start under TCG), which no bound checks.
# docs/boot.md ("The regression guard") says how the bounds were chosen
# and what they catch; docs/benchmarks.md keeps the measured history.
set -euo pipefail
cd "$(dirname "$0")/.."
bound=${BOOT_MAX_RATIO:-8}
cpubound=${BOOT_MAX_CPU_RATIO:-3.6}
snapbound=${BOOT_MAX_SNAP_RATIO:-5}
snapcpubound=${BOOT_MAX_SNAP_CPU_RATIO:-2.1}
# Translated blocks of the kernel's boot (974 for hello on 2026-12-07 at
# the session's start, 738 after kboot16g, 694 after kboot16j, 606 after
# kboot16k, 630 with the kernel's later growth, 539 after kboot16k's
# second round): does not depend on the load, so it catches a few
# percent more boot code.
kblocks=${BOOT_MAX_KERNEL_BLOCKS:-560}
# The instructions in those blocks (3,408 for hello on 2026-12-08): under
# TCG the boot's time follows them more closely than the blocks (a block
# of many stores costs more), so straight-line growth shows here first.
kinsns=${BOOT_MAX_KERNEL_INSNS:-3600}
runs=${BOOT_RUNS:-20}
bin="$(mktemp "${TMPDIR:-/tmp}/gotoro-boot-guard.XXXXXX")"
trap 'rm -f "$bin"' EXIT
CGO_ENABLED=0 go build -o "$bin" ./cmd/gotoro
for attempt in 1 2; do
	status=0
	"$bin" bench boot -accel tcg -n "$runs" -trace=false -max-ratio "$bound" -max-cpu-ratio "$cpubound" \
		-snapshot -max-snapshot-ratio "$snapbound" -max-snapshot-cpu-ratio "$snapcpubound" \
		-max-kernel-blocks "$kblocks" -max-kernel-insns "$kinsns" || status=$?
	case $status in
	0) exit 0 ;;
	1) echo "boot-guard: attempt $attempt above a bound (wall $bound, CPU $cpubound; from a snapshot: wall $snapbound, CPU $snapcpubound; kernel boot $kblocks translated blocks, $kinsns instructions)" ;;
	*) echo "boot-guard: gotoro bench boot failed (status $status)" >&2; exit "$status" ;;
	esac
done
echo "boot-guard: gotoro run's boot or its start from a snapshot exceeded a bound against the empty kernel in two measurements: a boot-time regression (see docs/boot.md)" >&2
exit 1
