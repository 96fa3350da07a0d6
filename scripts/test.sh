#!/usr/bin/env bash
# Runs every test: hosted packages with the race detector, then the boot
# tests, which build images and boot them under QEMU.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
go test -race -timeout 20m $(go list ./... | grep -v -e /kernel -e /internal/boottest)
# -count=1: these tests build and boot images with external commands, which
# the test cache cannot see.
go test -count=1 -timeout 60m ./kernel/... ./internal/boottest/...
