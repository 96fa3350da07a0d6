#!/usr/bin/env bash
# Time to the web appliance's first served request, A/B: two images of
# examples/webserver (gotoro build -o A.img ./examples/webserver, from two
# trees with GOTORO_ROOT) run in turn under TCG, each from gotoro run's
# start until GET /toro.bin (133 KiB) through -p PORT:80 first returns 200
# (curl retried every 5 ms), then stopped with SIGTERM. Prints each pair
# in ms (after one warm-up run of each) and the medians and the median of the pairs' ratios A/B.
#
#   bash scripts/web-first.sh [-n PAIRS] [-tcp] A.img B.img
#
# -tcp forwards through QEMU's user network and the guest's TCP/IP stack
# (-p …/tcp) instead of vsock; there a curl that connects before the guest
# listens waits for its timeout (-m 2), which makes the times bimodal.
set -euo pipefail
cd "$(dirname "$0")/.."

pairs=10 suffix=""
while [ $# -gt 2 ]; do
	case $1 in
	-n) pairs=$2; shift 2 ;;
	-tcp) suffix=/tcp; shift ;;
	*) echo "usage: web-first.sh [-n PAIRS] [-tcp] A.img B.img" >&2; exit 2 ;;
	esac
done
[ $# -eq 2 ] || { echo "usage: web-first.sh [-n PAIRS] [-tcp] A.img B.img" >&2; exit 2; }
bash scripts/setup.sh -bench >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/www"
head -c 136192 /dev/urandom >"$work/www/toro.bin"
go build -o "$work/gotoro" ./cmd/gotoro

# first IMAGE: prints the ms to the first served request.
first() {
	local port=$((20000 + RANDOM % 20000)) start end pid
	start=$(date +%s%N)
	"$work/gotoro" run -accel tcg -timeout 2m -fs "$work/www:/www" -p "$port:80$suffix" "$1" /www >"$work/out" 2>&1 &
	pid=$!
	for _ in $(seq 1 4000); do
		if curl -s -f -o /dev/null -m 2 "http://127.0.0.1:$port/toro.bin"; then
			end=$(date +%s%N)
			kill "$pid"
			wait "$pid" || true
			echo $(((end - start) / 1000000))
			return
		fi
		sleep 0.005
	done
	kill "$pid" || true
	echo "web-first: $1 served nothing in 20 s:" >&2
	cat "$work/out" >&2
	exit 1
}

first "$1" >/dev/null # warm-up, not counted
first "$2" >/dev/null
: >"$work/pairs"
for i in $(seq 1 "$pairs"); do
	a=$(first "$1")
	b=$(first "$2")
	echo "pair $i: A $a ms, B $b ms"
	echo "$a $b" >>"$work/pairs"
done
median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
echo "A median $(cut -d' ' -f1 "$work/pairs" | median) ms, B median $(cut -d' ' -f2 "$work/pairs" | median) ms," \
	"median ratio A/B $(awk '{printf "%.3f\n", $1/$2}' "$work/pairs" | median) ($pairs pairs, load $(cut -d' ' -f1 /proc/loadavg))"
