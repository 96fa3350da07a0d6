// Command kvmlane runs gotoro's boot cases under real KVM on a machine
// whose own /dev/kvm cannot run gotoro, by nesting: QEMU's TCG emulates
// AMD SVM with nested paging, so a Linux guest under TCG has a working
// /dev/kvm.
//
//	L0  this machine: qemu-system-x86_64 -accel tcg -cpu max
//	L1  Debian's cloud kernel, an initramfs with this program as /init,
//	    kvm_amd (nested=1), this machine's QEMU, the gotoro command and
//	    the case images built here
//	L2  gotoro guests under -accel kvm, booted and checked by the cases of
//	    package internal/bootcase, the list the TCG boot tests run too
//
// Usage (from the repository; needs root for apt-get, Go 1.26, QEMU):
//
//	go run ./internal/kvmlane [-run REGEXP] [-count N] [-work DIR] ...
//
// It prints one PASS/FAIL line per case and exits 0 only if all passed.
// In L1 the same binary runs as process 1 (see l1.go). docs/kvm.md tells
// what the lane covers and what it cannot.
package main

import (
	"fmt"
	"os"
)

func main() {
	if os.Getpid() == 1 {
		l1Main()
		return
	}
	if err := hostMain(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "kvmlane:", err)
		os.Exit(exitCode(err))
	}
}
