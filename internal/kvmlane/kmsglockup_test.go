package main

import (
	"fmt"
	"io"
	"strings"
	"syscall"
	"testing"
)

func TestForwardLockups(t *testing.T) {
	var in strings.Builder
	rec := func(seq int, text string) { fmt.Fprintf(&in, "4,%d,%d,-;%s\n", seq, seq*1000, text) }
	rec(1, "kvm: something before")
	rec(2, "watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [qemu-system-x86:473]")
	rec(3, "Modules linked in: kvm_amd kvm")
	rec(4, "RIP: 0010:kvm_mmu_page_fault+0x12/0x400 [kvm]")
	rec(5, "watchdog: BUG: soft lockup - CPU#3 stuck for 22s! [qemu-system-x86:474]")
	rec(6, "RIP: 0010:svm_vcpu_run+0x1/0x2 [kvm_amd]")
	rec(7, "watchdog: BUG: soft lockup - CPU#1 stuck for 48s! [qemu-system-x86:473]")
	rec(8, "RIP: 0010:kvm_mmu_page_fault+0x12/0x400 [kvm]")
	for i := 0; i < lockupReportLines+5; i++ {
		rec(9+i, "later")
	}
	var got []string
	forwardLockups(strings.NewReader(in.String()), func(s string) { got = append(got, s) })
	want := []string{
		"watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [qemu-system-x86:473]",
		"Modules linked in: kvm_amd kvm",
		"RIP: 0010:kvm_mmu_page_fault+0x12/0x400 [kvm]",
		"watchdog: BUG: soft lockup - CPU#3 stuck for 22s! [qemu-system-x86:474]",
		"RIP: 0010:svm_vcpu_run+0x1/0x2 [kvm_amd]",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("forwarded:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestForwardLockupsBound(t *testing.T) {
	var in strings.Builder
	fmt.Fprintf(&in, "0,1,1,-;watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [x:1]\n")
	for i := 0; i < 2*lockupReportLines; i++ {
		fmt.Fprintf(&in, "4,%d,1,-;line %d\n", i+2, i)
	}
	n := 0
	forwardLockups(strings.NewReader(in.String()), func(string) { n++ })
	if n != 1+lockupReportLines {
		t.Errorf("forwarded %d records, want %d", n, 1+lockupReportLines)
	}
}

func TestModuleBases(t *testing.T) {
	mods := `kvm_amd 155648 0 - Live 0xffffffffc041e000
kvm 1146880 1 kvm_amd, Live 0xffffffffc0600000
irqbypass 16384 1 kvm, Live 0xffffffffc03f0000
`
	if got, want := moduleBases(mods, "kvm", "kvm_amd"), "kvm_amd 0xffffffffc041e000 kvm 0xffffffffc0600000"; got != want {
		t.Errorf("moduleBases = %q, want %q", got, want)
	}
}

// kmsgReads is /dev/kmsg as read(2) gives it: one record or one error a
// read.
type kmsgReads []any

func (k *kmsgReads) Read(b []byte) (int, error) {
	if len(*k) == 0 {
		return 0, io.EOF
	}
	next := (*k)[0]
	*k = (*k)[1:]
	if err, ok := next.(error); ok {
		return 0, err
	}
	return copy(b, next.(string)), nil
}

// TestForwardLockupsAfterLostRecords: /dev/kmsg answers EPIPE when records
// were overwritten before they were read (a burst of messages, as a
// lockup storm makes); the log goes on after them, and so does the
// forwarding: a later CPU's report is still printed.
func TestForwardLockupsAfterLostRecords(t *testing.T) {
	in := kmsgReads{
		"4,1,1,-;watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [qemu-system-x86:473]\n",
		syscall.EPIPE,
		"4,90,2,-;watchdog: BUG: soft lockup - CPU#2 stuck for 22s! [qemu-system-x86:474]\n",
		"4,91,3,-;RIP: 0010:svm_vcpu_run+0x1/0x2 [kvm_amd]\n",
	}
	var got []string
	forwardLockups(&in, func(s string) { got = append(got, s) })
	want := []string{
		"watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [qemu-system-x86:473]",
		"watchdog: BUG: soft lockup - CPU#2 stuck for 22s! [qemu-system-x86:474]",
		"RIP: 0010:svm_vcpu_run+0x1/0x2 [kvm_amd]",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("forwarded:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
