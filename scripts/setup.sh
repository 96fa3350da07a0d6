#!/usr/bin/env bash
# Installs what gotoro needs on a Debian machine: QEMU (qemu-system-x86).
# Go 1.26 must already be on PATH. Safe to run again.
set -euo pipefail

if ! command -v go >/dev/null 2>&1; then
	echo "setup: Go is not on PATH; install Go 1.26 first" >&2
	exit 1
fi
if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
	echo "setup: installing QEMU (qemu-system-x86) with apt-get"
	SUDO=""
	if [ "$(id -u)" != 0 ]; then
		SUDO=sudo
	fi
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq qemu-system-x86 >/dev/null
fi
qemu-system-x86_64 --version | head -1
go version
