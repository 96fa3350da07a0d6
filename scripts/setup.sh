#!/usr/bin/env bash
# Installs what gotoro needs on a Debian machine: QEMU (qemu-system-x86),
# and QEMU's user-mode emulator (qemu-user: qemu-x86_64, the peer of
# `gotoro bench boot`, which CI's boot guard runs).
# Go 1.26 must already be on PATH. Safe to run again.
#
#   bash scripts/setup.sh          # what building, booting and testing need
#   bash scripts/setup.sh -bench   # also the web benchmark's peers: ab, wrk,
#                                  # curl, cpio and Debian's cloud kernel
set -euo pipefail

bench=0
case "${1:-}" in
"") ;;
-bench) bench=1 ;;
*)
	echo "setup: unknown argument $1; usage: setup.sh [-bench]" >&2
	exit 2
	;;
esac

if ! command -v go >/dev/null 2>&1; then
	echo "setup: Go is not on PATH; install Go 1.26 first" >&2
	exit 1
fi

updated=0
# install PKG...: installs Debian packages with apt-get (through sudo when
# not root).
install() {
	local sudo=""
	if [ "$(id -u)" != 0 ]; then
		sudo=sudo
	fi
	echo "setup: installing $* with apt-get"
	if [ $updated = 0 ]; then
		$sudo apt-get update -qq
		updated=1
	fi
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

missing=()
command -v qemu-system-x86_64 >/dev/null 2>&1 || missing+=(qemu-system-x86)
command -v qemu-x86_64 >/dev/null 2>&1 || missing+=(qemu-user)
if [ ${#missing[@]} -gt 0 ]; then
	install "${missing[@]}"
fi
if [ $bench = 1 ]; then
	missing=()
	command -v ab >/dev/null 2>&1 || missing+=(apache2-utils)
	command -v wrk >/dev/null 2>&1 || missing+=(wrk)
	command -v curl >/dev/null 2>&1 || missing+=(curl)
	command -v cpio >/dev/null 2>&1 || missing+=(cpio)
	ls /lib/modules 2>/dev/null | grep -q cloud-amd64 || missing+=(linux-image-cloud-amd64)
	if [ ${#missing[@]} -gt 0 ]; then
		install "${missing[@]}"
	fi
fi
qemu-system-x86_64 --version | head -1
go version
