package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestTaskState(t *testing.T) {
	for _, c := range []struct {
		stat, comm, state string
		ok                bool
	}{
		{"123 (qemu-system-x86) D 1 123 ...", "qemu-system-x86", "D", true},
		{"7 (a (b) c) R 1 7", "a (b) c", "R", true},
		{"9 (kworker/0:1) S 2", "kworker/0:1", "S", true},
		{"garbage", "", "", false},
		{"1 (x)", "", "", false},
	} {
		comm, state, ok := taskState(c.stat)
		if comm != c.comm || state != c.state || ok != c.ok {
			t.Errorf("taskState(%q) = %q, %q, %v; want %q, %q, %v", c.stat, comm, state, ok, c.comm, c.state, c.ok)
		}
	}
}

func TestBusyTasks(t *testing.T) {
	root := t.TempDir()
	task := func(pid, tid, stat, wchan, stack string) {
		d := filepath.Join(root, pid, "task", tid)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(d, "stat"), []byte(stat), 0o644)
		os.WriteFile(filepath.Join(d, "wchan"), []byte(wchan), 0o644)
		os.WriteFile(filepath.Join(d, "stack"), []byte(stack), 0o644)
	}
	task("100", "100", "100 (qemu) S 1", "do_sys_poll", "")
	task("100", "101", "101 (CPU 0/KVM) D 1", "kvm_vcpu_block", "[<0>] kvm_vcpu_block+0x1/0x2\n")
	task("200", "200", "200 (spin) R 1", "0", "")
	got := busyTasks(root)
	if len(got) != 2 {
		t.Fatalf("busyTasks = %+v, want the D and the R task", got)
	}
	if got[0].tid != "101" || got[0].state != "D" || got[0].wchan != "kvm_vcpu_block" || got[0].stack != "[<0>] kvm_vcpu_block+0x1/0x2" {
		t.Errorf("first busy task %+v", got[0])
	}
	if got[1].comm != "spin" || got[1].state != "R" {
		t.Errorf("second busy task %+v", got[1])
	}
}

func TestWatchOverdue(t *testing.T) {
	done := make(chan struct{})
	close(done)
	called := false
	watchOverdue(time.Hour, done, func() { called = true })
	if called {
		t.Error("stuck called for a run that ended")
	}
	watchOverdue(time.Millisecond, make(chan struct{}), func() { called = true })
	if !called {
		t.Error("stuck not called for a run past its bound")
	}
	if overdueAfter(0) != runOverdue || overdueAfter(4) != runOverdue || overdueAfter(8) != 2*runOverdue {
		t.Errorf("overdueAfter: %v, %v, %v", overdueAfter(0), overdueAfter(4), overdueAfter(8))
	}
}
