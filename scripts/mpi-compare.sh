#!/usr/bin/env bash
# Compares gotoro's mpi (hosted, 2 ranks pinned to 2 cores) with Open MPI
# and MPICH running the same OSU-method C program (scripts/mpi-peer), and
# the ping-pong round trip with a raw cache-line ping-pong between two
# pinned threads, all in one run. Prints a table of medians and ratios.
#
#   scripts/mpi-compare.sh [-reps N] [-iters N] [-guest]
#
# -guest adds gotoro guest figures (QEMU TCG, -cpus 2) next to the hosted
# ones. Installs Open MPI and MPICH from apt if they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

reps=5
iters=10000
guest=0
while [ $# -gt 0 ]; do
	case $1 in
	-reps) reps=$2; shift 2 ;;
	-iters) iters=$2; shift 2 ;;
	-guest) guest=1; shift ;;
	*) echo "usage: $0 [-reps N] [-iters N] [-guest]" >&2; exit 2 ;;
	esac
done

if ! command -v mpicc.openmpi >/dev/null || ! command -v mpicc.mpich >/dev/null; then
	echo "installing Open MPI and MPICH..." >&2
	apt-get install -y libopenmpi-dev openmpi-bin mpich libmpich-dev >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mpicc.openmpi -O2 -o "$work/peer-ompi" scripts/mpi-peer/osu_peer.c
mpicc.mpich -O2 -o "$work/peer-mpich" scripts/mpi-peer/osu_peer.c
go build -o "$work/osu" ./examples/osu

ompi() { mpirun.openmpi --allow-run-as-root --oversubscribe --bind-to core -np 2 "$work/peer-ompi" "$@"; }
mpich() { mpirun.mpich -bind-to core -np 2 "$work/peer-mpich" "$@"; }
ours() { "$work/osu" -hosted -ranks 2 -iters "$2" -max "$3" "$1"; }

# The figures: benchmark, message size, largest size to run.
figures=("latency 0 65536" "latency 64 65536" "latency 4096 65536" "latency 65536 65536"
	"barrier 0 0" "reduce 4 4" "allreduce 4 4" "bcast 4 4")

# row FILE SIZE prints the latency of SIZE in an OSU table.
row() { awk -v s="$2" '!/^#/ && $1 == s { print $2; exit }' "$1"; }

# median prints the median of the numbers on stdin.
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "# $(date -u +%FT%TZ) $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
echo "# $reps runs of each, interleaved; medians in microseconds" >&2
for r in $(seq "$reps"); do
	for b in latency barrier reduce allreduce bcast; do
		max=65536
		[ "$b" = latency ] || max=4
		[ "$b" = barrier ] && max=0
		ompi "$b" "$iters" "$max" >"$work/ompi.$b.$r" 2>/dev/null
		mpich "$b" "$iters" "$max" >"$work/mpich.$b.$r" 2>/dev/null
		ours "$b" "$iters" "$max" >"$work/ours.$b.$r"
	done
	"$work/osu" -iters "$iters" pingpong >"$work/raw.$r"
	echo "# run $r of $reps done" >&2
done

if [ "$guest" = 1 ]; then
	go build -o "$work/gotoro" ./cmd/gotoro
	for b in latency barrier reduce allreduce bcast; do
		max=65536
		[ "$b" = latency ] || max=4
		[ "$b" = barrier ] && max=0
		"$work/gotoro" run -cpus 2 -timeout 10m ./examples/osu -ranks 2 -iters 1000 -max "$max" "$b" >"$work/guest.$b" 2>/dev/null || true
	done
fi

med() { # med IMPL BENCH SIZE
	for r in $(seq "$reps"); do row "$work/$1.$2.$r" "$3"; done | median
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

printf "%-18s %10s %10s %10s %10s %10s" "benchmark" "gotoro" "Open MPI" "MPICH" "÷OpenMPI" "÷MPICH"
[ "$guest" = 1 ] && printf " %10s %10s" "guest" "guest÷host"
echo
for f in "${figures[@]}"; do
	set -- $f
	g=$(med ours "$1" "$2")
	o=$(med ompi "$1" "$2")
	m=$(med mpich "$1" "$2")
	printf "%-18s %10.3f %10.3f %10.3f %10s %10s" "$1 $2 B" "$g" "$o" "$m" "$(ratio "$g" "$o")" "$(ratio "$g" "$m")"
	if [ "$guest" = 1 ]; then
		gu=$(row "$work/guest.$1" "$2")
		printf " %10s %10s" "${gu:--}" "$(ratio "${gu:-0}" "$g")"
	fi
	echo
done
rawrt=$(for r in $(seq "$reps"); do row "$work/raw.$r" 0; done | median)
rt=$(awk -v l="$(med ours latency 0)" 'BEGIN { print 2 * l }')
printf "%-18s %10.3f %10s %10s %10s\n" "raw ping-pong RT" "$rawrt" "" "" ""
printf "%-18s %10.3f %10s %10s %10s\n" "gotoro RT (2×lat)" "$rt" "" "" "÷raw $(ratio "$rt" "$rawrt")"
echo "targets: latency 0 B and barrier ÷OpenMPI <= 0.80; RT ÷raw <= 1.30"
