#!/usr/bin/env bash
# qemu-profile.sh: where QEMU's vCPU thread spends a TCG boot, by category,
# for a gotoro image against the empty PVH kernel (issue 16; docs/boot.md,
# "QEMU's side of a booted hello").
#
#   scripts/qemu-profile.sh [-n RUNS] [-counts] IMAGE
#
# It runs `gotoro bench boot -accel tcg -n RUNS -trace=false -image IMAGE`
# with qemu-system-x86_64 replaced on PATH by a wrapper that names QEMU's
# threads (-name g,debug-threads=on: the vCPU thread is "CPU 0/TCG") and
# runs each QEMU under `perf record` (DWARF call chains: Debian's QEMU has
# no frame pointers). Each sample of the vCPU thread is put in the first
# category its call chain matches: translation (tb_gen_code and what it
# calls, its host page faults apart), generated code (the leaf in QEMU's
# code buffer), TB lookup, softmmu TLB, helpers, host page faults, host
# kernel, the execution loop. Figures are ms per run at the sampling rate,
# which perf's own overhead inflates: compare the shares, and hello with
# the empty kernel of the same call.
#
# -counts also counts, per run and for the vCPU thread alone, the calls of
# QEMU functions that stand for guest events (uprobes, added and removed
# here): CR3 writes (cpu_x86_update_cr3), whole-TLB flushes (tlb_flush),
# single-page flushes such as INVLPG (tlb_flush_page), softmmu TLB fills
# (x86_cpu_tlb_fill), hardware interrupts (do_interrupt_x86_hardirq: the
# timer), exceptions and interrupts delivered (x86_cpu_do_interrupt),
# MMIO and port accesses (memory_region_dispatch_read/write) and waits
# (qemu_cond_wait_impl: a halted vCPU sleeps there).
#
# Needs perf (Debian: linux-perf) and root (uprobes, tracing); GOTORO
# names the gotoro binary (default: gotoro on PATH). Not part of the test
# suite: it measures, it does not check.
set -euo pipefail

usage() {
	echo "usage: $0 [-n RUNS] [-counts] IMAGE" >&2
	exit 2
}
runs=10
counts=0
while [ $# -gt 0 ]; do
	case "$1" in
	-n)
		[ $# -ge 2 ] || usage
		runs=$2
		shift 2
		;;
	-counts) counts=1; shift ;;
	--) shift; break ;;
	-*) echo "$0: unknown option $1" >&2; usage ;;
	*) break ;;
	esac
done
[ $# -eq 1 ] || usage
# gotoro bench boot needs 10 runs at least.
case $runs in
'' | *[!0-9]* | 0* | [0-9])
	echo "$0: RUNS must be a whole number from 10 on, got '$runs'" >&2
	exit 2
	;;
esac
[ -f "$1" ] || { echo "$0: no image $1" >&2; exit 2; }
image=$(realpath "$1")
gotoro=${GOTORO:-$(command -v gotoro || true)}
qemu=$(command -v qemu-system-x86_64 || true)
for need in "$gotoro" "$qemu" "$(command -v perf || true)"; do
	if [ -z "$need" ]; then
		echo "$0: needs gotoro (or GOTORO), qemu-system-x86_64 and perf on PATH" >&2
		exit 2
	fi
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/qemu-profile.XXXXXX")
probes=()
cleanup() {
	for p in "${probes[@]}"; do perf probe -q -d "probe_qemu:$p" 2>/dev/null || true; done
	rm -rf "$dir"
}
trap cleanup EXIT
mkdir "$dir/bin" "$dir/data"
# The wrapper: one perf data file per QEMU, named by what it boots (the
# empty kernel's command line says arg=empty).
cat >"$dir/bin/qemu-system-x86_64" <<EOF
#!/bin/sh
case "\$*" in *arg=empty*) kind=empty ;; *) kind=image ;; esac
exec perf record -q \$PERF_OPTS -o "$dir/data/\$kind.\$\$.data" -- "$qemu" -name g,debug-threads=on "\$@"
EOF
chmod +x "$dir/bin/qemu-system-x86_64"

bench() {
	PERF_OPTS="$1" PATH="$dir/bin:$PATH" "$gotoro" bench boot -accel tcg -n "$runs" -trace=false -image "$image" >"$dir/bench.txt" 2>&1 ||
		{ cat "$dir/bench.txt" >&2; exit 1; }
}

# havedata fails the run unless perf recorded boots of a kind.
havedata() {
	local files=("$dir/data/$1".*.data)
	if [ ! -e "${files[0]}" ]; then
		echo "$0: no perf data of the $1 boots: QEMU did not run under the perf wrapper" >&2
		exit 1
	fi
}

# samples prints the vCPU thread's samples of every data file of a kind.
samples() {
	for f in "$dir/data/$1".*.data; do
		perf script -i "$f" -F comm,ip,sym,dso --comm 'CPU 0/TCG' 2>/dev/null
	done
}

# classify reads perf script output (one sample a paragraph, leaf frame
# first) and prints each category's ms per run and share.
classify() {
	awk -v hz="$1" -v runs="$runs" '
	function cat(   i, s, d, jit, fromgen, kern) {
		for (i = 1; i <= n; i++) if (sym[i] ~ /^(tb_gen_code|tcg_gen_code|gen_intermediate_code|translator_loop|tcg_optimize|tb_link_page|tcg_tb_insert)/) {
			for (i = 1; i <= n; i++) if (sym[i] == "asm_exc_page_fault") return "translation: host page faults (code buffer, malloc)"
			return "translation (tb_gen_code)"
		}
		jit = (dso[1] ~ /^\/tmp\/perf-/ || dso[1] == "//anon")
		if (jit) return "generated code"
		for (i = 1; i <= n; i++) if (dso[i] ~ /^\/tmp\/perf-/ || dso[i] == "//anon") fromgen = 1
		if (dso[1] == "[kernel.kallsyms]") {
			for (i = 1; i <= n; i++) if (sym[i] == "asm_exc_page_fault") return "host page faults (guest RAM, QEMU memory)"
			for (i = 1; i <= n; i++) if (sym[i] ~ /^(__x64_sys_ppoll|do_sys_poll|__x64_sys_futex|futex_)/) return "host kernel: futex, poll"
			return "host kernel: other"
		}
		for (i = 1; i <= n; i++) if (sym[i] ~ /^(qht_lookup|helper_lookup_tb|tb_htable|tcg_tb_lookup)/) return "TB lookup"
		for (i = 1; i <= n; i++) if (sym[i] ~ /^(tlb_flush|tlb_set_page|x86_cpu_tlb_fill|tlb_fill|probe_access|get_page_addr_code|tlb_reset_dirty|tcg_flush_jmp_cache|tlb_protect_code|tlb_unprotect_code)/) return "softmmu TLB: fill, flush"
		for (i = 1; i <= n; i++) if (sym[i] ~ /^(memory_region_dispatch|apic_|address_space_)/) return "helpers: MMIO, ports, LAPIC"
		for (i = 1; i <= n; i++) if (sym[i] ~ /^helper_.*_mmu$|^cpu_(ld|st)/) return "helpers: memory slow path (XSAVE/XRSTOR, misses)"
		for (i = 1; i <= n; i++) if (sym[i] ~ /^helper_/) return "helpers: other"
		if (fromgen) return "helpers: other (unnamed, called from generated code)"
		for (i = 1; i <= n; i++) if (sym[i] ~ /^(cpu_exec|tcg_cpus_exec)$/) return "execution loop (cpu_exec, interrupts)"
		return "other (thread start, queued work)"
	}
	function flush() { if (n) { c[cat()]++; total++ }; n = 0 }
	/^[^ \t]/ { flush(); next }
	/^$/ { flush(); next }
	{
		line = $0; sub(/^[ \t]+[0-9a-f]+ /, "", line)
		d = line; sub(/.* \(/, "", d); sub(/\)$/, "", d)
		s = line; sub(/ \([^(]*\)$/, "", s)
		n++; sym[n] = s; dso[n] = d
	}
	END {
		flush()
		for (k in c) printf "%8.2f ms/run %5.1f %%  %s\n", c[k] / hz * 1000 / runs, 100 * c[k] / total, k | "sort -rn"
		close("sort -rn")
		printf "%8.2f ms/run total (%d samples)\n", total / hz * 1000 / runs, total
	}'
}

hz=5000
bench "-F $hz --call-graph dwarf,8192"
echo "# QEMU's vCPU thread (CPU 0/TCG), $runs runs each, perf record -F $hz --call-graph dwarf"
for kind in image empty; do
	havedata $kind
	echo "## $([ $kind = image ] && basename "$image" || echo "empty PVH kernel")"
	samples $kind | classify $hz
done

if [ $counts = 1 ]; then
	rm -f "$dir"/data/*
	events=()
	for p in cpu_x86_update_cr3 tlb_flush tlb_flush_page x86_cpu_tlb_fill do_interrupt_x86_hardirq x86_cpu_do_interrupt memory_region_dispatch_read memory_region_dispatch_write qemu_cond_wait_impl; do
		if ! perf probe -l "probe_qemu:$p" 2>/dev/null | grep -q .; then
			perf probe -q -x "$qemu" "$p"
			probes+=("$p")
		fi
		events+=(-e "probe_qemu:$p")
	done
	bench "${events[*]}"
	echo "# calls per run on the vCPU thread (uprobes on $qemu)"
	for kind in image empty; do
		havedata $kind
		echo "## $([ $kind = image ] && basename "$image" || echo "empty PVH kernel")"
		for f in "$dir/data/$kind".*.data; do
			perf script -i "$f" -F comm,event 2>/dev/null
		done | awk -v runs="$runs" '/^ *CPU 0\/TCG / { sub(/:$/, "", $NF); sub(/^probe_qemu:/, "", $NF); c[$NF]++ }
			END { for (k in c) printf "%10.1f  %s\n", c[k] / runs, k }' | sort -k2
	done
fi
