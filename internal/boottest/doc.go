// Package boottest holds the boot tests: each builds a guest program from
// testdata with gotoro's builder, boots it under QEMU (TCG) and checks what
// the guest printed and its exit status. Without QEMU they skip, unless
// GOTORO_REQUIRE_VM=1 (set by CI), which makes a missing QEMU a failure.
package boottest
