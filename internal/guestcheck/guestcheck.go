// Package guestcheck is the check harness of the programs that the boot
// tests run both natively and in the guest (internal/boottest/testdata):
// each check prints "ok NAME" or "FAIL NAME: why", so a test can hold the
// guest's lines against the ones Linux printed. By default the first
// failed check ends the program with status 1; after KeepGoing a failed
// check is counted and the program goes on, and Done ends it.
//
// The state is the program's own: one harness per process, as the
// programs are small mains that print one report.
package guestcheck

import (
	"errors"
	"fmt"
	"os"
)

var (
	keepGoing bool
	failed    bool
)

// KeepGoing makes a failed check print its line and go on; Done then
// exits 1 if any failed.
func KeepGoing() { keepGoing = true }

// Failed reports whether a check has failed so far.
func Failed() bool { return failed }

// Check prints "ok NAME" if ok, else "FAIL NAME: " and the formatted
// reason, and fails.
func Check(name string, ok bool, format string, args ...any) {
	if ok {
		fmt.Printf("ok %s\n", name)
		return
	}
	fmt.Printf("FAIL %s: "+format+"\n", append([]any{name}, args...)...)
	failed = true
	if !keepGoing {
		os.Exit(1)
	}
}

// Expect checks that got is want (errors.Is), or that both are nil.
func Expect(name string, got, want error) {
	Check(name, errors.Is(got, want) || got == nil && want == nil, "got %v, want %v", got, want)
}

// Must ends the program when err is not nil: a step the checks after it
// depend on failed.
func Must(name string, err error) {
	if err != nil {
		fmt.Printf("FAIL %s: %v\n", name, err)
		os.Exit(1)
	}
}

// Value returns v, or ends the program as Must does when err is not nil.
func Value[T any](v T, err error) T {
	if err != nil {
		fmt.Printf("FAIL: %v\n", err)
		os.Exit(1)
	}
	return v
}

// Done prints okLine ("NAME ok") if no check failed, else exits 1.
func Done(okLine string) {
	if failed {
		os.Exit(1)
	}
	fmt.Println(okLine)
}

// Faults reports whether f panicked: with debug.SetPanicOnFault on, a
// memory fault (SIGSEGV, or SIGBUS past a mapped file's end) in f is such
// a panic, so a check can touch memory that must not be reachable.
func Faults(f func()) (did bool) {
	defer func() {
		if r := recover(); r != nil {
			did = true
		}
	}()
	f()
	return false
}
