#!/usr/bin/env bash
# Soak test of the web-server appliance: examples/webserver serving a
# shared directory (virtio-fs) through -p, under wrk with 50 connections,
# while a loop downloads every file and checks it byte for byte and lists
# the directories. At the end it reports errors, mismatches, QEMU's
# resident memory and the guest's Go memory at start and end, the
# connections still open once the load has stopped, and whether the
# appliance stopped cleanly (SIGTERM, exit status 0).
#
#   bash scripts/soak.sh [DURATION]     # default 30m; CI runs 2m
#
# Exit status 0 only if there were no errors and no mismatches, every
# connection was closed and the stop was clean. Needs root (virtiofsd);
# installs QEMU and wrk if missing.
set -euo pipefail
cd "$(dirname "$0")/.."

dur=${1:-30m}
case $dur in
*s) secs=${dur%s} ;;
*m) secs=$((${dur%m} * 60)) ;;
*h) secs=$((${dur%h} * 3600)) ;;
*) echo "soak: duration $dur: want e.g. 120s, 2m or 1h" >&2; exit 2 ;;
esac

bash scripts/setup.sh >/dev/null
if ! command -v wrk >/dev/null 2>&1; then
	echo "soak: installing wrk"
	if [ "$(id -u)" = 0 ]; then sudo=""; else sudo=sudo; fi
	$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq wrk curl >/dev/null
fi

work=$(mktemp -d)
gpid=""
cleanup() {
	[ -n "$gpid" ] && kill -9 "$gpid" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

# The served tree: files of 0 B, 1 KiB, 133 KiB and 10 MiB, a directory
# of 200 small files, and their checksums.
www=$work/www
mkdir -p "$www/many"
: >"$www/empty.bin"
head -c 1024 /dev/urandom >"$www/small.bin"
head -c 136192 /dev/urandom >"$www/toro.bin"
head -c $((10 << 20)) /dev/urandom >"$www/big.bin"
for i in $(seq 1 200); do echo "file $i" >"$www/many/f$i.txt"; done
(cd "$www" && sha256sum empty.bin small.bin toro.bin big.bin) >"$work/sums"

go build -o "$work/gotoro" ./cmd/gotoro
"$work/gotoro" build -o "$work/web.img" ./examples/webserver >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port

"$work/gotoro" run -accel tcg -mem 256M -fs "$www:/www" -p "$port:80" "$work/web.img" -quiet /www >"$work/console" 2>&1 &
gpid=$!
end=$((SECONDS + 240))
until curl -sf -m 5 -o /dev/null "$base/-/stats"; do
	if ! kill -0 $gpid 2>/dev/null || [ $SECONDS -gt $end ]; then
		echo "soak: the appliance did not start:" >&2
		cat "$work/console" >&2
		exit 1
	fi
	sleep 0.5
done
qpid=$(pgrep -P $gpid -f qemu-system | head -1)

# rss PID: resident memory in KiB.
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
# stat FIELD: a number from /-/stats.
stat() { curl -sf -m 30 "$base/-/stats" | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

rss0=$(rss "$qpid")
sys0=$(stat go_sys_bytes)
heap0=$(stat heap_inuse_bytes)
echo "soak: $dur against $base (gotoro pid $gpid, QEMU pid $qpid)"

wrk -t2 -c50 -d"${secs}s" --timeout 30s "$base/small.bin" >"$work/wrk" 2>&1 &
wpid=$!

# The checking loop: every file byte for byte, the root and the 200-file
# directory listed completely.
checks=0 errors=0 mismatches=0
stop_at=$((SECONDS + secs))
while [ $SECONDS -lt $stop_at ]; do
	for f in empty.bin small.bin toro.bin big.bin; do
		if ! curl -sf -m 120 -o "$work/got" "$base/$f"; then
			errors=$((errors + 1)); echo "soak: GET /$f failed" >&2; continue
		fi
		want=$(awk -v f="$f" '$2 == f {print $1}' "$work/sums")
		got=$(sha256sum <"$work/got" | cut -d' ' -f1)
		if [ "$want" != "$got" ]; then
			mismatches=$((mismatches + 1)); echo "soak: /$f differs from the host's" >&2
		fi
		checks=$((checks + 1))
	done
	if ! curl -sf -m 60 -o "$work/list" "$base/"; then
		errors=$((errors + 1)); echo "soak: GET / failed" >&2
	elif ! grep -q big.bin "$work/list" || ! grep -q 'many/' "$work/list"; then
		mismatches=$((mismatches + 1)); echo "soak: GET / listing is incomplete" >&2
	fi
	if ! curl -sf -m 60 -o "$work/list" "$base/many/"; then
		errors=$((errors + 1)); echo "soak: GET /many/ failed" >&2
	elif [ "$(grep -c 'href="f[0-9]*.txt"' "$work/list")" != 200 ]; then
		mismatches=$((mismatches + 1)); echo "soak: GET /many/ lists $(grep -c 'href="f[0-9]*.txt"' "$work/list") of 200 files" >&2
	fi
	checks=$((checks + 2))
done
wait $wpid || errors=$((errors + 1))
wrk_requests=$(awk '/requests in/ {print $1}' "$work/wrk")
wrk_errors=$(awk '/Socket errors/ {print} /Non-2xx/ {print}' "$work/wrk")
rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk")
[ -n "$wrk_errors" ] && errors=$((errors + 1))

# Connections still open once the load is gone (the stats request is one).
open=$(stat open_connections)
for _ in $(seq 1 60); do
	[ "$open" -le 1 ] && break
	sleep 1
	open=$(stat open_connections)
done
rss1=$(rss "$qpid")
sys1=$(stat go_sys_bytes)
heap1=$(stat heap_inuse_bytes)

# Clean stop: SIGTERM to gotoro, the program's graceful shutdown, status 0.
kill -TERM $gpid
status=0
wait $gpid || status=$?
gpid=""
clean=no
if [ $status = 0 ] && grep -q "webserver: stopped (signal)" "$work/console"; then clean=yes; fi

mib() { awk -v k="$1" 'BEGIN {printf "%.1f MiB", k / 1024}'; }
bmib() { awk -v b="$1" 'BEGIN {printf "%.1f MiB", b / 1048576}'; }
echo "soak: wrk: ${wrk_requests:-0} requests, ${rps:-0} requests/s${wrk_errors:+; $wrk_errors}"
echo "soak: checks: $checks, errors: $errors, mismatches: $mismatches"
echo "soak: QEMU RSS: $(mib "$rss0") at start, $(mib "$rss1") at end"
echo "soak: guest Go memory (Sys/HeapInuse): $(bmib "$sys0")/$(bmib "$heap0") at start, $(bmib "$sys1")/$(bmib "$heap1") at end"
echo "soak: connections open after the load: $open (the stats request counts as one)"
echo "soak: clean stop: $clean (gotoro exit status $status)"
if [ "$errors" != 0 ] || [ "$mismatches" != 0 ] || [ "$open" -gt 1 ] || [ $clean != yes ]; then
	echo "soak: FAIL" >&2
	tail -20 "$work/console" >&2
	exit 1
fi
echo "soak: PASS"
