#!/usr/bin/env bash
# Web-appliance benchmark: the same examples/webserver program serving a
# 133 KiB file (136192 bytes), measured in one run with ab and wrk at one
# and at 50 concurrent clients, as
#   native   a process on the host,
#   vsock    the gotoro appliance with -p's default forward (vsock into the
#            guest's TCP listener),
#   tcp      the gotoro appliance with -p .../tcp (QEMU user network and the
#            guest's TCP/IP stack, gVisor netstack),
#   linux-microvm  the same program as /init of Debian's kernel on the same
#            QEMU machine and accelerator (scripts/linux-peer.sh),
# and prints requests/s, p50 and p99, with ratios to native, to the Linux
# microVM and to Toro's published 2.27 requests/s (ab -c 1). Guests run
# under TCG.
#
#   bash scripts/web-bench.sh [-quick]
#
# It installs what it needs (scripts/setup.sh -bench).
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
[ "${1:-}" = "-quick" ] && quick=1
bash scripts/setup.sh -bench >/dev/null
N1=300; N50=1000; DUR=10s
if [ $quick = 1 ]; then N1=30; N50=100; DUR=2s; fi

work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
mkdir "$work/www"
head -c 136192 /dev/urandom >"$work/www/toro.bin"
go build -o "$work/gotoro" ./cmd/gotoro
go build -o "$work/webserver" ./examples/webserver
"$work/gotoro" build -o "$work/web.img" ./examples/webserver >/dev/null

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_up URL: wait (up to 4 minutes) until the server answers. Each try
# is bounded: a forward that accepts but never answers must not hang it.
wait_up() {
	local end=$((SECONDS + 240))
	while [ $SECONDS -lt $end ]; do
		curl -sf -m 5 -o /dev/null "$1/-/stats" && return 0
		sleep 0.5
	done
	return 1
}

# finish PID: waits up to 30 s for a server told to shut down, then kills
# it (Debian's kernel on microvm sometimes spins in "reboot: Restarting
# system" instead of exiting QEMU).
finish() {
	local end=$((SECONDS + 30))
	while kill -0 "$1" 2>/dev/null && [ $SECONDS -lt $end ]; do
		sleep 0.5
	done
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# measure NAME URL: prints "NAME ab1 ab50 wrk1-rps wrk1-p50 wrk1-p99 wrk50-rps wrk50-p50 wrk50-p99"
measure() {
	local name=$1 url=$2/toro.bin
	local ab1 ab50 w1 w50
	ab1=$(ab -q -n $N1 -c 1 "$url" 2>/dev/null | awk '/Requests per second/ {print $4}' || true)
	ab50=$(ab -q -s 60 -n $N50 -c 50 "$url" 2>/dev/null | awk '/Requests per second/ {print $4}' || true)
	w1=$(wrk -t1 -c1 -d$DUR --latency "$url" 2>/dev/null | awk '/Requests\/sec/ {r=$2} / 50%/ {p50=$2} / 99%/ {p99=$2} END {print r, p50, p99}' || true)
	w50=$(wrk -t2 -c50 -d$DUR --latency --timeout 30s "$url" 2>/dev/null | awk '/Requests\/sec/ {r=$2} / 50%/ {p50=$2} / 99%/ {p99=$2} END {print r, p50, p99}' || true)
	echo "$name ${ab1:-fail} ${ab50:-fail} ${w1:-fail - -} ${w50:-fail - -}" >>"$work/results"
}

echo "# web-bench $(date -u +%FT%TZ) load: $(cut -d' ' -f1-3 /proc/loadavg) quick=$quick"

p=$(port)
"$work/webserver" -quiet -addr 127.0.0.1:$p "$work/www" >/dev/null &
pids+=($!)
if wait_up http://127.0.0.1:$p; then measure native http://127.0.0.1:$p; else echo "native server did not start" >&2; fi

for mode in vsock tcp; do
	p=$(port)
	suffix=""
	[ $mode = tcp ] && suffix=/tcp
	"$work/gotoro" run -accel tcg -fs "$work/www:/www" -p $p:80$suffix "$work/web.img" -quiet -shutdown-token bench /www >"$work/$mode.log" 2>&1 &
	pid=$!
	pids+=($pid)
	if wait_up http://127.0.0.1:$p; then
		measure gotoro-$mode http://127.0.0.1:$p
		curl -s -m 10 -X POST -H "Authorization: Bearer bench" http://127.0.0.1:$p/-/shutdown >/dev/null || true
	else
		echo "gotoro ($mode) did not start:" >&2
		cat "$work/$mode.log" >&2
	fi
	finish $pid
done

p=$(port)
bash scripts/linux-peer.sh "$work/www" $p >"$work/linux.log" 2>&1 &
pid=$!
pids+=($pid)
if wait_up http://127.0.0.1:$p; then
	measure linux-microvm http://127.0.0.1:$p
	curl -s -m 10 -X POST -H "Authorization: Bearer bench" http://127.0.0.1:$p/-/shutdown >/dev/null || true
else
	echo "the Linux microVM peer did not start:" >&2
	tail -5 "$work/linux.log" >&2
fi
finish $pid

awk '
function ratio(a, b) { return (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) ? sprintf("%.3g", a / b) : "-" }
{ name[NR] = $1; for (i = 2; i <= NF; i++) v[NR, i] = $i; if ($1 == "native") nat = NR; if ($1 == "linux-microvm") lin = NR }
END {
	printf "%-14s %10s %10s %10s %9s %9s %10s %9s %9s\n", "server", "ab-c1 r/s", "ab-c50 r/s", "wrk-c1 r/s", "p50", "p99", "wrk-c50", "p50", "p99"
	for (r = 1; r <= NR; r++)
		printf "%-14s %10s %10s %10s %9s %9s %10s %9s %9s\n", name[r], v[r,2], v[r,3], v[r,4], v[r,5], v[r,6], v[r,7], v[r,8], v[r,9]
	print ""
	printf "%-14s %11s %11s %11s %11s %11s %11s %11s %11s %11s\n", "ratio", "ab1/nat", "ab50/nat", "wrk1/nat", "wrk50/nat", "ab1/linux", "ab50/linux", "wrk1/linux", "wrk50/linux", "ab1/Toro"
	for (r = 1; r <= NR; r++)
		printf "%-14s %11s %11s %11s %11s %11s %11s %11s %11s %11s\n", name[r], ratio(v[r,2], v[nat,2]), ratio(v[r,3], v[nat,3]), ratio(v[r,4], v[nat,4]), ratio(v[r,7], v[nat,7]), lin ? ratio(v[r,2], v[lin,2]) : "-", lin ? ratio(v[r,3], v[lin,3]) : "-", lin ? ratio(v[r,4], v[lin,4]) : "-", lin ? ratio(v[r,7], v[lin,7]) : "-", ratio(v[r,2], 2.27)
}' "$work/results"
