#!/usr/bin/env bash
# Runs every test: hosted packages with the race detector, then the boot
# tests, which build images and boot them under QEMU.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
go test -race -timeout 20m $(go list ./... | grep -v -e /kernel -e /internal/boottest)
# The kernel's hosted tests (its pure logic, with the race detector) and
# its build checks (escape analysis, layouts, no package initialisation).
# -count=1: these and the boot tests build images with external commands,
# which the test cache cannot see.
go test -race -count=1 -timeout 20m ./kernel/...
go test -count=1 -timeout 60m ./internal/boottest/...
# The boot-time regression guard: gotoro run's boot against the empty kernel.
bash scripts/boot-guard.sh
